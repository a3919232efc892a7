"""What staff (and imports) can do to the catalog. Operations flush; the caller commits."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert

from app.catalog.models import TRUST_LEVELS, CatalogEntry, CatalogSynonym, CatalogTerm, DepartmentContact
from app.db import db, utcnow
from app.errors import DomainError, NotFound, ValidationFailed
from app.jurisdictions.models import Department, Jurisdiction
from app.validation import clean_text, length_errors, normalize_email

MAX_NAME = 200
MAX_SHORT = 600
MAX_LONG = 10000
MAX_TOPIC = 100
MAX_URL = 500
MAX_LIST_ITEMS = 40
MAX_LIST_ITEM = 300
DEFAULT_REVIEW_INTERVAL = timedelta(days=365)

_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_WORD_RE = re.compile(r"[^\W\d_]{3,}")
_TRANSLITERATION = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "ae", "Ö": "oe", "Ü": "ue"})
_TRUE = {"1", "true", "ja", "yes", "y", "j", "x", "wahr"}
_FALSE = {"", "0", "false", "nein", "no", "n", "falsch"}


def clean(raw) -> str:
    r"""Catalog text, stripped, without what ``clean_text`` removes: control characters never
    belong in it, and their absence guarantees that the search's highlight markers (\x02, \x03)
    cannot come from stored text."""
    return clean_text("" if raw is None else str(raw)).strip()


def slugify(name: str) -> str:
    """``"Hundesteuer – An- und Abmeldung"`` → ``"hundesteuer-an-und-abmeldung"``."""
    text = unicodedata.normalize("NFKD", name.translate(_TRANSLITERATION))
    text = text.encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:120].strip("-")


def vocabulary(*texts: str) -> set[str]:
    """The lower-case words (three letters or more) that the typo correction may offer."""
    words: set[str] = set()
    for text in texts:
        words.update(w.lower()[:100] for w in _WORD_RE.findall(text or ""))
    return words


@dataclass
class EntryInput:
    """A catalog entry as submitted (form, JSON or CSV row), already parsed."""

    name: str = ""
    topic: str = ""
    department_code: str = ""
    slug: str = ""
    short_description: str = ""
    long_description: str = ""
    leika_key: str | None = None
    online: bool = False
    online_url: str | None = None
    trust_level: str = ""
    account: str = ""
    fees: str = ""
    required_documents: list[str] = field(default_factory=list)
    processing_time: str = ""
    keywords: list[str] = field(default_factory=list)
    last_reviewed: date | None = None
    review_due: date | None = None
    retired: bool = False


# Column names of the import/export formats (also the JSON keys), in export order.
EXCHANGE_FIELDS = ["slug", "name", "topic", "short_description", "long_description", "leika_key", "online",
                   "online_url", "trust_level", "account", "fees", "required_documents", "processing_time",
                   "department", "keywords", "last_reviewed", "review_due", "retired"]


def _as_list(raw) -> list[str]:
    if raw is None:
        return []
    items = raw if isinstance(raw, list) else str(raw).split("|")
    return [clean(item) for item in items if clean(item)]


def _as_bool(raw, name: str, errors: list[DomainError]) -> bool:
    if isinstance(raw, bool):
        return raw
    value = clean(raw).lower()
    if value in _TRUE:
        return True
    if value not in _FALSE:
        errors.append(DomainError(_l("„%(value)s“ ist kein Ja/Nein-Wert (erlaubt: ja, nein).", value=value[:40]), name))
    return False


def _as_date(raw, name: str, errors: list[DomainError]) -> date | None:
    if isinstance(raw, date):
        return raw
    value = clean(raw)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append(DomainError(_l("„%(value)s“ ist kein Datum (Format JJJJ-MM-TT).", value=value[:40]), name))
        return None


def parse_entry(data: Mapping) -> EntryInput:
    """Read an entry from a mapping with the exchange field names (``department`` is the
    department's code; lists as JSON arrays or ``a | b``). Raises ``ValidationFailed``
    with every problem of the mapping, including those ``check_entry`` finds."""
    errors: list[DomainError] = []
    unknown = sorted(str(k) for k in data if k not in EXCHANGE_FIELDS)
    if unknown:
        errors.append(DomainError(_l("Unbekannte Felder: %(names)s.", names=", ".join(unknown)[:200]), unknown[0]))
    scalars = {key: value for key, value in data.items() if key in EXCHANGE_FIELDS}
    for key, value in list(scalars.items()):
        if key not in ("required_documents", "keywords") and isinstance(value, (dict, list)):
            errors.append(DomainError(_l("Das Feld muss ein einzelner Wert sein, keine Liste."), key))
            scalars[key] = None
    data = scalars
    lists = {}
    for key in ("required_documents", "keywords"):
        raw = data.get(key)
        if raw is not None and not (isinstance(raw, str) or
                                    (isinstance(raw, list) and all(isinstance(i, (str, int, float)) for i in raw))):
            errors.append(DomainError(_l("Das Feld muss eine Liste von Texten sein."), key))
            raw = None
        lists[key] = _as_list(raw)
    entry = EntryInput(
        name=clean(data.get("name")),
        topic=clean(data.get("topic")),
        department_code=clean(data.get("department")),
        slug=clean(data.get("slug")).lower(),
        short_description=clean(data.get("short_description")),
        long_description=clean(data.get("long_description")),
        leika_key=re.sub(r"\s+", "", clean(data.get("leika_key"))) or None,
        online=_as_bool(data.get("online"), "online", errors),
        online_url=clean(data.get("online_url")) or None,
        trust_level=clean(data.get("trust_level")).lower(),
        account=clean(data.get("account")),
        fees=clean(data.get("fees")),
        required_documents=lists["required_documents"],
        processing_time=clean(data.get("processing_time")),
        keywords=lists["keywords"],
        last_reviewed=_as_date(data.get("last_reviewed"), "last_reviewed", errors),
        review_due=_as_date(data.get("review_due"), "review_due", errors),
        retired=_as_bool(data.get("retired"), "retired", errors),
    )
    errors.extend(check_entry(entry))
    if errors:
        raise ValidationFailed(errors)
    return entry


def _normalise(entry: EntryInput) -> None:
    """Strip control characters and surrounding blanks from every text, whoever built ``entry``."""
    for name in ("name", "topic", "department_code", "slug", "short_description", "long_description", "trust_level",
                 "account", "fees", "processing_time"):
        setattr(entry, name, clean(getattr(entry, name)))
    for name in ("leika_key", "online_url"):
        setattr(entry, name, clean(getattr(entry, name)) or None)
    for name in ("required_documents", "keywords"):
        setattr(entry, name, [clean(item) for item in getattr(entry, name) if clean(item)])


def check_entry(entry: EntryInput) -> list[DomainError]:
    """Field problems of ``entry`` that need no database (cleans the texts, fills in a missing slug)."""
    _normalise(entry)
    errors: list[DomainError] = []
    if not entry.name:
        errors.append(DomainError(_l("Bitte geben Sie den Namen der Leistung an."), "name"))
    else:
        errors += length_errors([(entry.name, MAX_NAME, _l("Der Name"), "name")])
    entry.slug = entry.slug or slugify(entry.name)
    if (entry.name and not _SLUG_RE.match(entry.slug)) or len(entry.slug) > 120:
        errors.append(DomainError(_l("Die Kurzadresse darf nur Kleinbuchstaben, Ziffern und Bindestriche enthalten."),
                                  "slug"))
    if not entry.topic:
        errors.append(DomainError(_l("Bitte geben Sie das Thema (die Lebenslage) an."), "topic"))
    else:
        errors += length_errors([(entry.topic, MAX_TOPIC, _l("Das Thema"), "topic")])
    if not entry.department_code:
        errors.append(DomainError(_l("Bitte geben Sie die zuständige Stelle an."), "department"))
    errors += length_errors([(entry.short_description, MAX_SHORT, _l("Die Kurzbeschreibung"), "short_description"),
                             (entry.long_description, MAX_LONG, _l("Die Beschreibung"), "long_description")])
    if entry.leika_key is not None and not re.fullmatch(r"[0-9]{14}", entry.leika_key):
        errors.append(DomainError(_l("Der Leistungsschlüssel (LeiKa) hat genau 14 Ziffern."), "leika_key"))
    if entry.online_url is not None and not _usable_url(entry.online_url):
        errors.append(DomainError(_l("Der Link zum Online-Dienst muss mit https:// oder / beginnen."), "online_url"))
    if entry.online and entry.online_url is None:
        errors.append(DomainError(_l("Ein Online-Dienst braucht den Link zum Online-Formular."), "online_url"))
    if entry.trust_level not in TRUST_LEVELS:
        errors.append(DomainError(_l("Unbekanntes Vertrauensniveau (erlaubt: keines, niedrig, substanziell, hoch)."),
                                  "trust_level"))
    errors += length_errors([(entry.account, 100, _l("Das Nutzerkonto"), "account"),
                             (entry.processing_time, 200, _l("Die Bearbeitungsdauer"), "processing_time")])
    for name in ("required_documents", "keywords"):
        items = getattr(entry, name)
        if len(items) > MAX_LIST_ITEMS or any(len(item) > MAX_LIST_ITEM for item in items):
            errors.append(DomainError(_l("Höchstens %(n)s Einträge mit je höchstens %(m)s Zeichen.",
                                         n=MAX_LIST_ITEMS, m=MAX_LIST_ITEM), name))
    if entry.review_due and entry.last_reviewed and entry.review_due < entry.last_reviewed:
        errors.append(DomainError(_l("Die nächste Prüfung kann nicht vor der letzten liegen."), "review_due"))
    return errors


def _usable_url(url: str) -> bool:
    if len(url) > MAX_URL or any(c.isspace() for c in url):
        return False
    if url.startswith("/") and not url.startswith("//"):
        return True
    return bool(re.match(r"^https://[A-Za-z0-9.-]+(:[0-9]+)?(/|$|\?)", url))


def department_for(jurisdiction: Jurisdiction, code: str) -> Department:
    department = db.session.scalar(select(Department).where(Department.jurisdiction_id == jurisdiction.id,
                                                            Department.code == code))
    if department is None:
        raise DomainError(_l("Die zuständige Stelle „%(code)s“ gibt es nicht.", code=code[:100]), "department",
                          code="unknown_department")
    return department


def _apply(entry: CatalogEntry, data: EntryInput, department: Department) -> None:
    for name in ("name", "slug", "topic", "short_description", "long_description", "leika_key", "online",
                 "online_url", "trust_level", "account", "fees", "required_documents", "processing_time",
                 "keywords", "last_reviewed"):
        setattr(entry, name, getattr(data, name))
    entry.department_id = department.id
    entry.review_due = data.review_due or ((data.last_reviewed or date.today()) + DEFAULT_REVIEW_INTERVAL)
    if data.retired and entry.retired_at is None:
        entry.retired_at = utcnow()
    elif not data.retired:
        entry.retired_at = None


def _slug_taken(jurisdiction: Jurisdiction, slug: str, other_than: int | None) -> bool:
    query = select(CatalogEntry.id).where(CatalogEntry.jurisdiction_id == jurisdiction.id, CatalogEntry.slug == slug)
    if other_than is not None:
        query = query.where(CatalogEntry.id != other_than)
    return db.session.scalar(query) is not None


def save_entry(jurisdiction: Jurisdiction, data: EntryInput, entry: CatalogEntry | None = None) -> CatalogEntry:
    """Create an entry (``entry`` None) or overwrite ``entry`` with ``data``; flushes.

    Raises ``ValidationFailed`` listing every problem (unknown department, taken slug, ...).
    """
    errors = check_entry(data)
    department = None
    if data.department_code:
        try:
            department = department_for(jurisdiction, data.department_code)
        except DomainError as exc:
            errors.append(exc)
    if data.slug and _slug_taken(jurisdiction, data.slug, entry.id if entry else None):
        errors.append(DomainError(_l("Die Kurzadresse „%(slug)s“ ist schon vergeben.", slug=data.slug), "slug"))
    if errors:
        raise ValidationFailed(errors)
    if entry is None:
        entry = CatalogEntry(jurisdiction_id=jurisdiction.id)
        db.session.add(entry)
    _apply(entry, data, department)
    db.session.flush()
    add_terms(vocabulary(entry.name, entry.short_description, " ".join(entry.keywords)))
    return entry


def retire_entry(entry: CatalogEntry) -> None:
    """Take an entry off the public pages and out of the search (kept for the record)."""
    if entry.retired_at is None:
        entry.retired_at = utcnow()
    db.session.flush()


def reinstate_entry(entry: CatalogEntry) -> None:
    entry.retired_at = None
    db.session.flush()


def mark_reviewed(entry: CatalogEntry, today: date | None = None, next_review: date | None = None) -> None:
    """Record that staff checked the entry today; the next review falls due a year later
    unless ``next_review`` says otherwise."""
    today = today or date.today()
    if next_review is not None and next_review <= today:
        raise DomainError(_l("Die nächste Prüfung muss in der Zukunft liegen."), "review_due")
    entry.last_reviewed = today
    entry.review_due = next_review or today + DEFAULT_REVIEW_INTERVAL
    db.session.flush()


def entry_by_slug(jurisdiction: Jurisdiction, slug: str, include_retired: bool = False) -> CatalogEntry:
    query = select(CatalogEntry).where(CatalogEntry.jurisdiction_id == jurisdiction.id, CatalogEntry.slug == slug)
    if not include_retired:
        query = query.where(CatalogEntry.retired_at.is_(None))
    entry = db.session.scalar(query)
    if entry is None:
        raise NotFound(_l("Diese Leistung gibt es nicht."), code="unknown_service")
    return entry


def save_contact(department: Department, address: str = "", opening_hours: str = "", phone: str = "",
                 email: str = "") -> DepartmentContact:
    """Set the public contact data of a department (creates the row on first use); flushes."""
    values = {"address": clean(address), "opening_hours": clean(opening_hours), "phone": clean(phone),
              "email": clean(email)}
    errors = []
    if values["email"]:
        try:
            values["email"] = normalize_email(values["email"])
        except DomainError as error:
            errors.append(error)
    errors += length_errors([(values["phone"], 50, _l("Die Telefonnummer"), "phone"),
                             (values["address"], 1000, _l("Die Anschrift"), "address"),
                             (values["opening_hours"], 2000, _l("Die Öffnungszeiten"), "opening_hours")])
    if errors:
        raise ValidationFailed(errors)
    contact = db.session.get(DepartmentContact, department.id)
    if contact is None:
        contact = DepartmentContact(department_id=department.id)
        db.session.add(contact)
    for name, value in values.items():
        setattr(contact, name, value)
    db.session.flush()
    return contact


def add_terms(words: Iterable[str]) -> None:
    """Add words to the search vocabulary (existing ones are kept)."""
    rows = [{"word": w} for w in sorted(set(words)) if w]
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(CatalogTerm).values(rows[start:start + 5000]).on_conflict_do_nothing())


def rebuild_terms() -> int:
    """Rebuild the vocabulary from every entry (after bulk changes or retirements)."""
    db.session.execute(CatalogTerm.__table__.delete())
    words: set[str] = set()
    for name, short, keywords in db.session.execute(
            select(CatalogEntry.name, CatalogEntry.short_description, CatalogEntry.keywords)):
        words |= vocabulary(name, short, " ".join(keywords))
    add_terms(words)
    return len(words)


def save_synonym(term: str, expansion: str) -> CatalogSynonym:
    """Make a search for ``term`` also look for ``expansion``; flushes."""
    term = " ".join(clean(term).lower().split())
    expansion = clean(expansion)
    if not term or len(term) > 100:
        raise DomainError(_l("Bitte geben Sie einen Suchbegriff an (höchstens 100 Zeichen)."), "term")
    if not expansion or len(expansion) > 200:
        raise DomainError(_l("Bitte geben Sie die Begriffe des Katalogs an (höchstens 200 Zeichen)."), "expansion")
    synonym = db.session.scalar(select(CatalogSynonym).where(CatalogSynonym.term == term))
    if synonym is None:
        synonym = CatalogSynonym(term=term)
        db.session.add(synonym)
    synonym.expansion = expansion
    db.session.flush()
    return synonym


def entry_as_exchange(entry: CatalogEntry) -> dict:
    """An entry in the import/export format (JSON types; dates ISO)."""
    return {
        "slug": entry.slug, "name": entry.name, "topic": entry.topic, "short_description": entry.short_description,
        "long_description": entry.long_description, "leika_key": entry.leika_key, "online": entry.online,
        "online_url": entry.online_url, "trust_level": entry.trust_level, "account": entry.account,
        "fees": entry.fees, "required_documents": list(entry.required_documents),
        "processing_time": entry.processing_time, "department": entry.department.code,
        "keywords": list(entry.keywords),
        "last_reviewed": entry.last_reviewed.isoformat() if entry.last_reviewed else None,
        "review_due": entry.review_due.isoformat() if entry.review_due else None,
        "retired": entry.retired_at is not None,
    }

