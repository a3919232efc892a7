"""Read-only views of the catalog for the public pages and the staff lists."""
from __future__ import annotations

import unicodedata
from collections import OrderedDict
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.catalog.models import CatalogEntry, DepartmentContact
from app.db import db
from app.jurisdictions.models import Department, Jurisdiction


def sort_key(name: str) -> str:
    """German dictionary order: Ä with A, ß as ss, case ignored."""
    decomposed = unicodedata.normalize("NFKD", name.replace("ß", "ss"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def initial(name: str) -> str:
    first = sort_key(name)[:1].upper()
    return first if first.isalpha() else "#"


def current_entries(jurisdiction: Jurisdiction) -> list[CatalogEntry]:
    """Every entry that is not retired, in German alphabetical order."""
    entries = db.session.scalars(
        select(CatalogEntry).where(CatalogEntry.jurisdiction_id == jurisdiction.id, CatalogEntry.retired_at.is_(None))
    ).all()
    return sorted(entries, key=lambda e: sort_key(e.name))


def online_entries(jurisdiction: Jurisdiction) -> list[CatalogEntry]:
    return [e for e in current_entries(jurisdiction) if e.online]


def entries_by_topic(jurisdiction: Jurisdiction) -> OrderedDict[str, list[CatalogEntry]]:
    topics: dict[str, list[CatalogEntry]] = {}
    for entry in current_entries(jurisdiction):
        topics.setdefault(entry.topic, []).append(entry)
    return OrderedDict(sorted(topics.items(), key=lambda item: sort_key(item[0])))


def entries_a_to_z(jurisdiction: Jurisdiction) -> OrderedDict[str, list[CatalogEntry]]:
    letters: OrderedDict[str, list[CatalogEntry]] = OrderedDict()
    for entry in current_entries(jurisdiction):
        letters.setdefault(initial(entry.name), []).append(entry)
    return letters


def contact_for(department: Department) -> DepartmentContact | None:
    return db.session.get(DepartmentContact, department.id)


def entries_of_department(department: Department) -> list[CatalogEntry]:
    entries = db.session.scalars(select(CatalogEntry).where(CatalogEntry.department_id == department.id,
                                                            CatalogEntry.retired_at.is_(None))).all()
    return sorted(entries, key=lambda e: sort_key(e.name))


def all_entries_for_staff(jurisdiction: Jurisdiction) -> list[CatalogEntry]:
    """Current and retired entries, with their departments loaded."""
    entries = db.session.scalars(
        select(CatalogEntry).where(CatalogEntry.jurisdiction_id == jurisdiction.id)
        .options(selectinload(CatalogEntry.department))
    ).all()
    return sorted(entries, key=lambda e: (e.retired_at is not None, sort_key(e.name)))


def overdue_for_review(jurisdiction: Jurisdiction, today: date | None = None) -> list[CatalogEntry]:
    """Current entries whose review date has passed (or that were never given one), oldest first."""
    today = today or date.today()
    entries = db.session.scalars(
        select(CatalogEntry).where(CatalogEntry.jurisdiction_id == jurisdiction.id,
                                   CatalogEntry.retired_at.is_(None),
                                   (CatalogEntry.review_due.is_(None)) | (CatalogEntry.review_due < today))
        .options(selectinload(CatalogEntry.department))
        .order_by(CatalogEntry.review_due.asc().nulls_first(), CatalogEntry.name)
    ).all()
    return list(entries)


def departments_of(jurisdiction: Jurisdiction) -> list[Department]:
    return list(db.session.scalars(select(Department).where(Department.jurisdiction_id == jurisdiction.id)
                                   .order_by(Department.name)))
