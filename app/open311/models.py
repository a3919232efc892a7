"""Open311 clients (API keys), service attributes and what clients submitted."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import db, utcnow
from app.jurisdictions.models import Category, Jurisdiction
from app.jurisdictions.texts import translated
from app.reports.models import Report

# What a key may do. Reading is public and needs no key.
ACTIONS = ("create_request", "post_update")
DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")


class ApiClient(db.Model):
    """A system that talks to the API with a key (an app, a back-office system).

    Only the SHA-256 of the key is stored: keys are 32 random bytes, so a fast hash
    cannot be brute-forced and a request can be looked up by its hash directly.
    """

    __tablename__ = "open311_api_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters of the key, shown to admins so they can tell keys apart.
    key_prefix: Mapped[str] = mapped_column(String(12))
    allowed_actions: Mapped[list[str]] = mapped_column(ARRAY(String(30)), default=list)
    rate_limit: Mapped[str] = mapped_column(String(100), default="60/minute;1000/day")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    jurisdiction: Mapped[Jurisdiction] = relationship()

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def may(self, action: str) -> bool:
        return self.active and action in (self.allowed_actions or [])


class ServiceAttribute(db.Model):
    """An extra question a category asks (an Open311 service definition attribute)."""

    __tablename__ = "service_attributes"
    __table_args__ = (
        UniqueConstraint("category_id", "code"),
        CheckConstraint("datatype in (" + ",".join(f"'{d}'" for d in DATATYPES) + ")", name="datatype"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(100))
    datatype: Mapped[str] = mapped_column(String(20), default="string")
    required: Mapped[bool] = mapped_column(default=False)
    # False: informational only, the client shows the text and asks nothing.
    variable: Mapped[bool] = mapped_column(default=True)
    description: Mapped[str] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)
    datatype_description: Mapped[str] = mapped_column(Text, default="")
    order: Mapped[int] = mapped_column(default=0)
    # For the list types: [{"key": "...", "name": "...", "name_en": "...", "name_tr": "..."}].
    values: Mapped[list] = mapped_column(JSONB, default=list)
    # The question and its help in other languages: {"tr": {"label": ..., "help": ...}} (migration 2420).
    translations: Mapped[dict] = mapped_column(JSONB, default=dict, server_default=text("'{}'::jsonb"))

    category: Mapped[Category] = relationship()

    def label(self, locale: str) -> str:
        if locale == "de":
            return self.description
        own = self.description_en if locale == "en" else None
        return own or translated(self.translations, locale, "label") or self.description

    def help(self, locale: str) -> str:
        """The hint under the question (Open311 ``datatype_description``) in ``locale``."""
        if locale == "de":
            return self.datatype_description or ""
        return translated(self.translations, locale, "help") or self.datatype_description or ""


class ReportAttributeValue(db.Model):
    """The answer a report gave to one attribute (a list of keys for multivaluelist)."""

    __tablename__ = "report_attribute_values"
    __table_args__ = (UniqueConstraint("report_id", "attribute_id"),
                      Index("ix_report_attribute_values_answer_text_trgm", "answer_text", postgresql_using="gin",
                            postgresql_ops={"answer_text": "gin_trgm_ops"}))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    attribute_id: Mapped[int] = mapped_column(ForeignKey("service_attributes.id", ondelete="CASCADE"))
    value: Mapped[object] = mapped_column(JSONB)
    # The answer in German words (choices by name), for the staff queue's text search (revision 1910).
    answer_text: Mapped[str] = mapped_column(Text, default="", server_default="")

    attribute: Mapped[ServiceAttribute] = relationship()


class Open311Submission(db.Model):
    """Which client posted a report, with the Open311 token handed back for it."""

    __tablename__ = "open311_submissions"

    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True)
    api_client_id: Mapped[int | None] = mapped_column(ForeignKey("open311_api_clients.id", ondelete="SET NULL"),
                                                      index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    device_id: Mapped[str | None] = mapped_column(String(200))
    account_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UpdateReceipt(db.Model):
    """A status update a back-office system pushed, keyed by its own update id (retries are idempotent)."""

    __tablename__ = "open311_update_receipts"
    __table_args__ = (UniqueConstraint("api_client_id", "external_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    api_client_id: Mapped[int] = mapped_column(ForeignKey("open311_api_clients.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(200))
    status_change_id: Mapped[int] = mapped_column(ForeignKey("status_changes.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# Open311 clients ask for "what changed since"; the index lives in migration 0400.
Index("ix_reports_jurisdiction_updated", Report.jurisdiction_id, Report.updated_at)
