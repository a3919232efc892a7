"""Reports, their photos and their status history."""
from __future__ import annotations

from datetime import datetime, timedelta

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import db, utcnow
from app.jurisdictions.models import Area, Category, Department, Jurisdiction, RoutingRule
from app.reports.status import STATUSES

_STATUS_CHECK = "status in (" + ",".join(f"'{code}'" for code in STATUSES) + ")"


class ReferenceCounter(db.Model):
    """Last reference number handed out per town and year (row-locked on use)."""

    __tablename__ = "reference_counters"

    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id", ondelete="CASCADE"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_number: Mapped[int] = mapped_column(default=0)


# Channels of a report taken by staff (migration 1900 checks the same list).
CHANNELS = ("telefon", "schalter", "brief", "email")


class Report(db.Model):
    __tablename__ = "reports"
    __table_args__ = (
        CheckConstraint(_STATUS_CHECK, name="status"),
        CheckConstraint("channel IS NULL OR channel IN (" + ", ".join(f"'{c}'" for c in CHANNELS) + ")",
                        name="channel"),
        UniqueConstraint("jurisdiction_id", "idempotency_key"),
        Index("ix_reports_location", "location", postgresql_using="gist"),
        Index("ix_reports_jurisdiction_status_created", "jurisdiction_id", "status", "created_at"),
        Index("ix_reports_jurisdiction_status_changed", "jurisdiction_id", "status", "status_changed_at"),
        Index("ix_reports_department_status", "department_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id", ondelete="CASCADE"))
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    # Capability for the reporter's private tracking link; anonymised by retention.
    tracking_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(100))

    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id", ondelete="RESTRICT"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="RESTRICT"))
    routing_rule_id: Mapped[int | None] = mapped_column(ForeignKey("routing_rules.id", ondelete="SET NULL"))
    routing_explanation: Mapped[str] = mapped_column(Text, default="")
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="SET NULL"))

    location: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=4326, spatial_index=False))
    # What the reporter typed (address or a description of the place): staff only.
    address: Mapped[str | None] = mapped_column(String(300))
    # What the public sees as the approximate place: the nearest known address to the pin
    # (revision 1003), never the typed text.
    public_address: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    # Staff may publish an edited description; the original stays in ``description``.
    public_description: Mapped[str | None] = mapped_column(Text)
    description_published: Mapped[bool] = mapped_column(default=False)
    hidden: Mapped[bool] = mapped_column(default=False)
    priority: Mapped[int] = mapped_column(default=0)

    status: Mapped[str] = mapped_column(String(32), default="eingegangen")
    # Not mapped: ``map_feature`` (revision 0104), the fixed part of the report's GeoJSON
    # feature, is written by a row trigger whenever location, reference, status or
    # created_at change, and only read by geo.mapqueries.
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id", ondelete="SET NULL"))

    reporter_email: Mapped[str | None] = mapped_column(String(320))
    reporter_name: Mapped[str | None] = mapped_column(String(200))
    # Given through Open311 (``phone``); contact data, shown to staff only.
    reporter_phone: Mapped[str | None] = mapped_column(String(50))
    reporter_email_confirmed: Mapped[bool] = mapped_column(default=False)
    # How a report taken by staff came in ("telefon", "schalter", "brief", "email"); None: the
    # citizen's own report (web form, app, Open311). Migration 1900.
    channel: Mapped[str | None] = mapped_column(String(16))
    locale: Mapped[str] = mapped_column(String(5), default="de")

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    jurisdiction: Mapped[Jurisdiction] = relationship()
    category: Mapped[Category] = relationship()
    department: Mapped[Department] = relationship()
    routing_rule: Mapped[RoutingRule | None] = relationship()
    area: Mapped[Area | None] = relationship()
    photos: Mapped[list[Photo]] = relationship(back_populates="report", order_by="Photo.position",
                                               cascade="all, delete-orphan")
    history: Mapped[list[StatusChange]] = relationship(back_populates="report", order_by="StatusChange.id",
                                                       cascade="all, delete-orphan")

    @property
    def status_info(self):
        return STATUSES[self.status]

    @property
    def expected_completion(self) -> datetime:
        """When the report is expected to be done: its creation plus the category's target days
        (the rule of the queue's "überfällig" badge and of the escalation)."""
        return self.created_at + timedelta(days=self.category.target_days)

    @property
    def public_expected_completion(self) -> datetime | None:
        """The expected completion the public may see: only while the report is open, and only
        in a town that chose to show it (``Jurisdiction.public_deadlines``)."""
        if not (self.status_info.is_open and self.jurisdiction.public_deadlines):
            return None
        return self.expected_completion

    @property
    def shown_description(self) -> str | None:
        """The description the public may see, or None while it is unpublished."""
        if not self.description_published:
            return None
        return self.public_description if self.public_description is not None else self.description


class Photo(db.Model):
    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    # Storage keys of the derived, metadata-free variants: {"thumb": key, "display": key}.
    variants: Mapped[dict] = mapped_column(JSONB, default=dict)
    width: Mapped[int]
    height: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    source_type: Mapped[str] = mapped_column(String(10))
    published: Mapped[bool] = mapped_column(default=False)
    # Taken by staff after the work ("Foto danach", field mode; migration 1903).
    after_fix: Mapped[bool] = mapped_column(default=False, server_default="false")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    report: Mapped[Report] = relationship(back_populates="photos")


class StatusChange(db.Model):
    """One entry of a report's audit trail: a status change and/or a note."""

    __tablename__ = "status_changes"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    old_status: Mapped[str | None] = mapped_column(String(32))
    new_status: Mapped[str] = mapped_column(String(32))
    public_note: Mapped[str] = mapped_column(Text, default="")
    internal_note: Mapped[str] = mapped_column(Text, default="")
    # Named outside body (nicht_zustaendig) or reason (abgelehnt).
    detail: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(200), default="system")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    report: Mapped[Report] = relationship(back_populates="history")
