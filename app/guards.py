"""Checks every request passes before its view runs."""
from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l

from app.errors import DomainError


def refuse_nul_characters() -> None:
    """Refuse a NUL character anywhere in the path or the query string.

    PostgreSQL cannot hold NUL in text, so a lookup by a code, reference, token or street
    that carries one fails in the database (a 500) instead of finding nothing. No browser
    sends it; scanners do. Registered for every request of the app (app.web): pages, map API,
    Open311 and staff alike. Form bodies are left to their views: what people type there is
    cleaned of control characters (``app.validation.clean_text``) and an error page here would lose it.
    Raises ``DomainError`` (400).
    """
    if "\x00" in request.path:
        raise DomainError(_l("Die Adresse der Seite enthält ein unzulässiges Zeichen."), code="nul_character")
    for name, values in request.args.lists():
        if "\x00" in name or any("\x00" in value for value in values):
            shown = name.replace("\x00", "")[:50]
            raise DomainError(_l("Das Feld „%(name)s“ enthält ein unzulässiges Zeichen.", name=shown), shown or None,
                              code="nul_character")
