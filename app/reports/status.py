"""The status vocabulary of a report, with its Open311 mapping.

German codes are stored; labels come in German and English. ``open311`` is the
GeoReport v2 open/closed value, ``open311_extended`` the detailed status used by
mySociety-style extensions. ``unbestaetigt`` is hidden from the public.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Status:
    code: str
    label_de: str
    label_en: str
    open311: str  # "open" | "closed"
    open311_extended: str
    public: bool = True
    # What the status change must carry, beyond an optional public note.
    requires: str | None = None  # "external_body" | "reason" | "duplicate_of"

    @property
    def is_open(self) -> bool:
        return self.open311 == "open"

    def label(self, locale: str) -> str:
        if locale == "de":
            return self.label_de
        if locale == "en":
            return self.label_en
        # The other citizen languages come from the catalogs (the msgids are listed below).
        with force_locale(locale):
            return gettext(self.label_de)


# The German labels as msgids, so the extraction puts them in the catalogs for tr, uk and ar.
# tests/test_languages.py checks that they are exactly the labels below.
TRANSLATED_LABELS = (_l("Unbestätigt"), _l("Eingegangen"), _l("In Prüfung"), _l("In Bearbeitung"), _l("Erledigt"),
                     _l("Nicht zuständig"), _l("Abgelehnt"), _l("Duplikat"))

STATUSES: dict[str, Status] = {
    s.code: s
    for s in (
        Status("unbestaetigt", "Unbestätigt", "Unconfirmed", "open", "UNCONFIRMED", public=False),
        Status("eingegangen", "Eingegangen", "Received", "open", "OPEN"),
        Status("in_pruefung", "In Prüfung", "Under review", "open", "INVESTIGATING"),
        Status("in_bearbeitung", "In Bearbeitung", "In progress", "open", "IN_PROGRESS"),
        Status("erledigt", "Erledigt", "Fixed", "closed", "FIXED"),
        Status("nicht_zustaendig", "Nicht zuständig", "Not our responsibility", "closed",
               "NOT_COUNCILS_RESPONSIBILITY", requires="external_body"),
        Status("abgelehnt", "Abgelehnt", "Rejected", "closed", "NO_FURTHER_ACTION", requires="reason"),
        Status("duplikat", "Duplikat", "Duplicate", "closed", "DUPLICATE", requires="duplicate_of"),
    )
}

OPEN_STATUSES = tuple(code for code, s in STATUSES.items() if s.is_open)
CLOSED_STATUSES = tuple(code for code, s in STATUSES.items() if not s.is_open)
PUBLIC_STATUSES = tuple(code for code, s in STATUSES.items() if s.public)
