"""Input checks every feature uses: typed text, length limits, e-mail addresses.

One place, so a fix (a character XML cannot carry, an address trick) reaches every form,
API and command at once. Pure functions: no database, no request; errors are
``DomainError``s naming the field, with messages through gettext.
"""
from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l

from app.errors import DomainError

# Characters XML 1.0 cannot carry (C0 controls except tab, LF, CR; lone surrogates;
# U+FFFE/U+FFFF) plus DEL and the other Unicode noncharacters (U+FDD0–U+FDEF and the
# last two code points of every plane), which no text a person types contains and which
# XML consumers refuse or choke on. PostgreSQL refuses NUL in text, too.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufdd0-\ufdef"
    + "".join(f"{chr(plane * 0x10000 + 0xFFFE)}{chr(plane * 0x10000 + 0xFFFF)}" for plane in range(17))
    + "]")

MAX_EMAIL = 254  # RFC 5321 path limit


def clean_text(raw: str | None) -> str:
    """``raw`` without control characters, lone surrogates and noncharacters ("" for None).

    Used at intake for everything a person types, and by the XML/Atom writers on their own
    (old rows, text from other paths), so one bad character can never make a feed unreadable.
    """
    return _UNSAFE.sub("", raw or "")


def too_long(label, limit: int, field: str | None) -> DomainError:
    """The one "too long" refusal: ``label`` is the field's name with its article
    (``_l("Die Beschreibung")``), so the message reads "Die Beschreibung ist zu lang
    (höchstens 5000 Zeichen)."."""
    return DomainError(_l("%(label)s ist zu lang (höchstens %(n)s Zeichen).", label=label, n=limit), field)


def check_length(value: str | None, limit: int, label, field: str | None) -> None:
    """Raise ``too_long`` when ``value`` has more than ``limit`` characters."""
    if value is not None and len(value) > limit:
        raise too_long(label, limit, field)


def length_errors(checks: list[tuple[str | None, int, object, str | None]]) -> list[DomainError]:
    """``too_long`` for each ``(value, limit, label, field)`` that is over its limit,
    for forms that list every problem at once."""
    return [too_long(label, limit, field) for value, limit, label, field in checks
            if value is not None and len(value) > limit]


def normalize_email(raw: str | None, field: str | None = "email") -> str:
    """The address in its normalized form, or ``DomainError`` if it is not one mailbox.

    Checked by email-validator (the library WTForms uses): one address, no display name,
    no quoted local part or domain literal, so a typed value can never become two recipients
    or a header. The domain is lower-cased; no DNS lookup (a typo'd domain fails at delivery).
    """
    text = clean_text(raw).strip()
    if not text or len(text) > MAX_EMAIL:
        raise DomainError(_l("Diese E-Mail-Adresse ist ungültig."), field)
    try:
        return validate_email(text, check_deliverability=False, allow_smtputf8=False).normalized
    except EmailNotValidError:
        raise DomainError(_l("Diese E-Mail-Adresse ist ungültig."), field) from None


def is_email(raw: str | None) -> bool:
    """Whether ``raw`` is one valid mailbox (see ``normalize_email``)."""
    try:
        normalize_email(raw)
    except DomainError:
        return False
    return True


def recipient_key(address: str) -> str:
    """The form of an address under which per-recipient counts are kept: normalized and
    lower-cased (mail servers treat local parts case-blind in practice)."""
    try:
        return normalize_email(address).lower()
    except DomainError:
        return clean_text(address).strip().lower()
