"""What a town's statement pages name: Impressum (§ 5 DDG, § 18 Abs. 2 MStV), privacy notice
(Art. 13 DSGVO) and accessibility statement (BITV 2.0).

The values live on the town's row (``jurisdictions.legal``, one JSONB object) because one
installation serves several towns, each with its own address, mayor and data protection officer.
They are set by an operator (``flask town-legal``), never by citizens, but the pages still render
them as text. Empty or absent fields are left out of the pages; ``missing_fields`` names those a
complete set of statements needs, so an operator sees what is still to fill in.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date

from app.validation import is_email


@dataclass(frozen=True)
class LegalField:
    name: str
    kind: str  # "text" (one line), "lines" (may span lines), "email", "phone", "url" or "date"
    help: str


FIELDS: tuple[LegalField, ...] = (
    LegalField("address_street", "text", "Impressum: street and number of the town hall, e.g. Münsterstraße 14"),
    LegalField("address_postcode", "text", "Impressum: postcode, e.g. 33428"),
    LegalField("address_town", "text", "Impressum: town of the postal address, e.g. Harsewinkel"),
    LegalField("phone", "phone", "Impressum: general phone number, e.g. 05247 935-0"),
    LegalField("email", "email", "Impressum: general e-mail address (default: the town's contact_email)"),
    LegalField("representative", "lines",
               "Impressum: who represents the town, e.g. Bürgermeisterin Sabine Amsbeck-Dopheide "
               "(default: a generic 'Die Bürgermeisterin / Der Bürgermeister')"),
    LegalField("content_responsible", "lines",
               "Impressum: responsible for the content under § 18 Abs. 2 MStV (name and address)"),
    LegalField("supervisory_authority", "lines", "Impressum: supervisory authority, e.g. Kreis Gütersloh"),
    LegalField("vat_id", "text", "Impressum: VAT identification number (§ 27a UStG), if the town has one"),
    LegalField("dpo_name", "lines", "Privacy notice: the data protection officer (name or office)"),
    LegalField("dpo_address", "lines",
               "Privacy notice: the data protection officer's postal address (default: the town's address)"),
    LegalField("dpo_email", "email", "Privacy notice: the data protection officer's e-mail address"),
    LegalField("dpo_phone", "phone", "Privacy notice: the data protection officer's phone number"),
    LegalField("feedback_name", "lines", "Accessibility statement: who takes feedback on barriers (office)"),
    LegalField("feedback_email", "email",
               "Accessibility statement: feedback e-mail (default: the Impressum's e-mail and phone)"),
    LegalField("feedback_phone", "phone", "Accessibility statement: feedback phone number"),
    LegalField("statement_date", "date", "Accessibility statement: date it was made or last reviewed (YYYY-MM-DD)"),
    LegalField("enforcement_body", "lines",
               "Accessibility statement: the enforcement body (Schlichtungsstelle nach § 16 BGG or the state's "
               "ombudsman), shown as the link text (default: the ombudsman for accessible IT of NRW)"),
    LegalField("enforcement_url", "url", "Accessibility statement: web address of the enforcement body (https://...)"),
)
FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)
_KIND = {f.name: f.kind for f in FIELDS}

MAX_LENGTH = 500
# Digits with the usual separators; a short note after it ("(Demo)", "Zentrale") is allowed.
_PHONE_RE = re.compile(r"^\+?\(?\d[\d /()\-–]{3,40}\d(\s*\([^()\n]{1,40}\))?$")
_URL_RE = re.compile(r"^https?://[^\s<>\"']+$")


class LegalSettingsError(ValueError):
    """A value ``flask town-legal`` refuses; nothing is saved."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def unknown_field_message(name: str) -> str:
    return f"unknown field {name!r}; known fields: {', '.join(FIELD_NAMES)}"


def clean_value(name: str, value: object) -> str | None:
    """The value to store for field ``name`` (None: remove it); raises LegalSettingsError."""
    if name not in _KIND:
        raise LegalSettingsError(unknown_field_message(name), name)
    kind = _KIND[name]
    if isinstance(value, date):  # a TOML date
        value = value.isoformat()
    if value is None:
        return None
    if not isinstance(value, str):
        raise LegalSettingsError(f"{name}: must be text (write it in quotes), not {type(value).__name__}", name)
    value = "\n".join(line.strip() for line in value.strip().splitlines()).strip()
    if not value:
        return None
    if len(value) > MAX_LENGTH:
        raise LegalSettingsError(f"{name}: at most {MAX_LENGTH} characters", name)
    if "\x00" in value or any(ord(c) < 32 and c != "\n" for c in value):
        raise LegalSettingsError(f"{name}: contains a control character", name)
    if kind != "lines" and "\n" in value:
        raise LegalSettingsError(f"{name}: must be a single line", name)
    if kind == "email" and not is_email(value):
        raise LegalSettingsError(f"{name}: {value!r} is not an e-mail address", name)
    if kind == "phone" and not _PHONE_RE.match(value):
        raise LegalSettingsError(f"{name}: {value!r} is not a phone number (digits, spaces, + - / ( ) only)", name)
    # Only web addresses become links: a "javascript:" address would run in the visitor's browser.
    if kind == "url" and not _URL_RE.match(value):
        raise LegalSettingsError(f"{name}: {value!r} is not a web address starting with https:// or http://", name)
    if kind == "date":
        try:
            value = date.fromisoformat(value).isoformat()
        except ValueError:
            raise LegalSettingsError(f"{name}: {value!r} is not a date like 2026-11-25", name) from None
    return value


def merged_legal(current: Mapping[str, object] | None, changes: Mapping[str, object]) -> dict[str, str]:
    """``current`` with ``changes`` applied (None or "" removes a field), every change checked first.

    Raises LegalSettingsError naming every refused field, so a file with several mistakes is
    corrected in one go.
    """
    result = {k: v for k, v in (current or {}).items() if k in _KIND and isinstance(v, str)}
    problems: list[LegalSettingsError] = []
    for name, value in changes.items():
        try:
            cleaned = clean_value(name, value)
        except LegalSettingsError as exc:
            problems.append(exc)
            continue
        if cleaned is None:
            result.pop(name, None)
        else:
            result[name] = cleaned
    if problems:
        error = LegalSettingsError("\n".join(str(p) for p in problems), problems[0].field)
        error.problems = problems
        raise error
    return {name: result[name] for name in FIELD_NAMES if name in result}


@dataclass(frozen=True)
class LegalInfo:
    """A town's statement details, read from ``jurisdictions.legal`` (absent fields are None)."""

    address_street: str | None = None
    address_postcode: str | None = None
    address_town: str | None = None
    phone: str | None = None
    email: str | None = None
    representative: str | None = None
    content_responsible: str | None = None
    supervisory_authority: str | None = None
    vat_id: str | None = None
    dpo_name: str | None = None
    dpo_address: str | None = None
    dpo_email: str | None = None
    dpo_phone: str | None = None
    feedback_name: str | None = None
    feedback_email: str | None = None
    feedback_phone: str | None = None
    statement_date: date | None = None
    enforcement_body: str | None = None
    enforcement_url: str | None = None
    # Not part of ``legal``: the town's ``contact_email``, which stood in the Impressum before
    # these fields existed and is still the fallback for the pages' e-mail address.
    town_email: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, object] | None, town_email: str | None = None) -> LegalInfo:
        """Tolerant of what a hand-edited row may hold: unknown keys, non-text or bad dates are left out."""
        values: dict[str, object] = {}
        for name in FIELD_NAMES:
            raw = (data or {}).get(name)
            if not isinstance(raw, str) or not raw.strip():
                continue
            if _KIND[name] == "date":
                try:
                    values[name] = date.fromisoformat(raw.strip())
                except ValueError:
                    continue
            else:
                values[name] = raw.strip()
        return cls(**values, town_email=town_email or None)

    def to_json(self) -> dict[str, str]:
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in _KIND and value is not None:
                out[f.name] = value.isoformat() if isinstance(value, date) else value
        return out

    # What the pages show (each fallback is said once, here).

    @property
    def postcode_town(self) -> str:
        return " ".join(v for v in (self.address_postcode, self.address_town) if v)

    @property
    def address_lines(self) -> list[str]:
        return [v for v in (self.address_street, self.postcode_town) if v]

    @property
    def contact_email(self) -> str | None:
        return self.email or self.town_email

    @property
    def has_contact(self) -> bool:
        return bool(self.contact_email or self.phone)

    @property
    def has_dpo_contact(self) -> bool:
        return bool(self.dpo_name or self.dpo_address or self.dpo_email or self.dpo_phone)

    @property
    def feedback_contact(self) -> tuple[str | None, str | None]:
        """(e-mail, phone) for feedback on barriers: the configured feedback contact, else the
        Impressum's (never a mix, which would send a caller to one office and a writer to another)."""
        if self.feedback_email or self.feedback_phone:
            return self.feedback_email, self.feedback_phone
        return self.contact_email, self.phone

    @staticmethod
    def lines(value: str | None) -> list[str]:
        return [line for line in (value or "").splitlines() if line.strip()]

    @staticmethod
    def tel_href(number: str) -> str:
        """``tel:`` link for a number as written ("05247 935-0" → "tel:052479350"); a note in
        brackets after the number is not dialled."""
        number = re.sub(r"\s*\([^()]*[^\d()\s][^()]*\)\s*$", "", number)  # "(Zentrale)", not "(0)"
        if number.startswith("+"):
            number = number.replace("(0)", "")  # "+49 (0)5247 …": the 0 is dialled only at home
        return "tel:" + re.sub(r"[^\d+]", "", number)

    def missing_fields(self) -> list[str]:
        """Fields (or alternatives) a complete Impressum, privacy notice and accessibility statement
        need that are not set. The pages work without them, but an operator should fill them in."""
        missing = [name for name in ("address_street", "address_postcode", "address_town", "phone")
                   if not getattr(self, name)]
        if not self.contact_email:
            missing.append("email")
        if not (self.dpo_email or self.dpo_phone or self.dpo_address):
            missing.append("dpo_email|dpo_phone|dpo_address")
        if not self.statement_date:
            missing.append("statement_date")
        return missing
