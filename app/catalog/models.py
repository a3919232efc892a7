"""Catalog entries, public contact data of departments, synonyms and the search vocabulary.

Kept in step by hand with ``migrations/versions/0700_service_catalog.py``.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Computed, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import db, utcnow
from app.jurisdictions.models import Department, Jurisdiction

# eIDAS / OZG trust levels ("Vertrauensniveau") an online service may require.
TRUST_LEVELS = ("", "keines", "niedrig", "substanziell", "hoch")

# What the full-text search sees, weighted: name and keywords (A) count most, then the
# short (B) and long (C) description, then the topic (D). ``catalog_array_text`` is an
# IMMUTABLE wrapper around array_to_string (created by the migration), because a generated
# column may only call immutable functions.
SEARCH_VECTOR_SQL = (
    "setweight(to_tsvector('german'::regconfig, coalesce(name, '')), 'A') || "
    "setweight(to_tsvector('german'::regconfig, catalog_array_text(keywords)), 'A') || "
    "setweight(to_tsvector('german'::regconfig, coalesce(short_description, '')), 'B') || "
    "setweight(to_tsvector('german'::regconfig, coalesce(long_description, '')), 'C') || "
    "setweight(to_tsvector('german'::regconfig, coalesce(topic, '')), 'D')"
)


class DepartmentContact(db.Model):
    """The public face of a department (the unit reports are routed to): where and when
    citizens reach it. A table of its own keyed by the department, so the routing model
    stays untouched."""

    __tablename__ = "catalog_department_contacts"

    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True)
    address: Mapped[str] = mapped_column(Text, default="")
    opening_hours: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(String(50), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    department: Mapped[Department] = relationship()


class CatalogEntry(db.Model):
    """One service (Leistung) of a town, following the German service-catalog conventions."""

    __tablename__ = "catalog_entries"
    __table_args__ = (
        UniqueConstraint("jurisdiction_id", "slug"),
        CheckConstraint("leika_key IS NULL OR leika_key ~ '^[0-9]{14}$'", name="leika_key"),
        CheckConstraint("NOT online OR online_url IS NOT NULL", name="online_url"),
        CheckConstraint("trust_level in (" + ",".join(f"'{t}'" for t in TRUST_LEVELS) + ")", name="trust_level"),
        Index("ix_catalog_entries_search_vector", "search_vector", postgresql_using="gin"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(200))
    short_description: Mapped[str] = mapped_column(Text, default="")
    long_description: Mapped[str] = mapped_column(Text, default="")
    # Leistungsschlüssel of the LeiKa (14 digits).
    leika_key: Mapped[str | None] = mapped_column(String(14))
    # Lebenslage / topic the overview groups by.
    topic: Mapped[str] = mapped_column(String(100))
    online: Mapped[bool] = mapped_column(default=False)
    online_url: Mapped[str | None] = mapped_column(String(500))
    trust_level: Mapped[str] = mapped_column(String(20), default="")
    # The citizen account the online service needs (Servicekonto.NRW, BundID, ...).
    account: Mapped[str] = mapped_column(String(100), default="")
    fees: Mapped[str] = mapped_column(Text, default="")
    required_documents: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    processing_time: Mapped[str] = mapped_column(String(200), default="")
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="RESTRICT"), index=True)
    keywords: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    last_reviewed: Mapped[date | None]
    review_due: Mapped[date | None]
    retired_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    search_vector: Mapped[str] = mapped_column(TSVECTOR, Computed(SEARCH_VECTOR_SQL, persisted=True),
                                               deferred=True)

    jurisdiction: Mapped[Jurisdiction] = relationship()
    department: Mapped[Department] = relationship()

    @property
    def retired(self) -> bool:
        return self.retired_at is not None

    def review_overdue(self, today: date) -> bool:
        return self.retired_at is None and self.review_due is not None and self.review_due < today


class CatalogSynonym(db.Model):
    """Citizens' words for a service: a search containing ``term`` (whole words, any case)
    also looks for ``expansion`` ("perso" → "Personalausweis")."""

    __tablename__ = "catalog_synonyms"

    id: Mapped[int] = mapped_column(primary_key=True)
    term: Mapped[str] = mapped_column(String(100), unique=True)
    expansion: Mapped[str] = mapped_column(String(200))


class CatalogTerm(db.Model):
    """The search vocabulary (lower-case words of entry names and keywords); a query word
    missing here is corrected to its nearest trigram neighbour."""

    __tablename__ = "catalog_terms"
    __table_args__ = (Index("ix_catalog_terms_word_trgm", "word", postgresql_using="gist",
                            postgresql_ops={"word": "gist_trgm_ops"}),)

    word: Mapped[str] = mapped_column(String(100), primary_key=True)
