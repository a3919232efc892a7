"""Who is responsible for what, where."""
from __future__ import annotations

from datetime import date, datetime

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from app.db import db, utcnow
from app.jurisdictions.legal import LegalInfo
from app.jurisdictions.texts import translated
from sqlalchemy import SmallInteger, text  # noqa: E402  (department/category notification settings)
from sqlalchemy import LargeBinary  # noqa: E402
from sqlalchemy.dialects.postgresql import ARRAY, JSONB  # noqa: E402

DEFAULT_REMINDER_DAYS = {"eingegangen": 2, "in_pruefung": 5, "in_bearbeitung": 21}

class Jurisdiction(db.Model):
    """A town. ``slug`` is the Open311 ``jurisdiction_id`` (e.g. ``harsewinkel.de``)."""

    __tablename__ = "jurisdictions"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    reference_prefix: Mapped[str] = mapped_column(String(8))
    contact_email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Address, representative, data protection officer, accessibility feedback contact ... for the
    # Impressum, privacy and accessibility pages: one object, read through ``legal_info`` (fields
    # and checks: app/jurisdictions/legal.py; set with `flask town-legal`, migration 1100).
    legal: Mapped[dict] = mapped_column(JSONB, default=dict, server_default=text("'{}'::jsonb"))
    # Set when the operator retires the town: its hosts answer 404, its data stays (migration 2500).
    retired_at: Mapped[datetime | None]
    # Show the public when a report is expected to be done (report page, Open311
    # ``expected_datetime``); off unless the town chooses it (migration 1903).
    public_deadlines: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    # Names, colours, mail sender and signature, contact, map view, retention: the town profile
    # (fields and checks: app/jurisdictions/profile.py; migration 2410). ``profile_version`` goes up
    # with every change of profile, name or crest: app.branding caches a town's face by it.
    profile: Mapped[dict] = mapped_column(JSONB, default=dict, server_default=text("'{}'::jsonb"))
    profile_version: Mapped[int] = mapped_column(default=1, server_default="1")
    # Moves (a new number from a sequence, set by triggers) whenever a category, department,
    # Ortsteil, staff account or team of the town changes: app/staff/names.py keeps those names
    # per process by it (migration 2630).
    names_version: Mapped[int] = mapped_column(BigInteger, server_default=text("nextval('jurisdiction_names_version')"))
    # The sanitised crest (media/crest.py), read only when served.
    crest: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    crest_type: Mapped[str | None] = mapped_column(String(20))
    # The town's video in German Sign Language (BITV 2.0 § 4): a file under the static folder
    # ("video/dgs.mp4", captions next to it as .vtt) or an https URL; empty: not there yet (migration 2420).
    sign_language_video: Mapped[str] = mapped_column(String(500), default="", server_default="")
    # The languages the town's pages and mails offer, German always among them; None: every language
    # the installation offers (setting LANGUAGES). Read through app.i18n.offered_languages (migration 2610).
    languages: Mapped[list[str] | None] = mapped_column(ARRAY(String(5)))

    hosts: Mapped[list[JurisdictionHost]] = relationship(back_populates="jurisdiction", cascade="all, delete-orphan",
                                                         order_by="JurisdictionHost.position")
    areas: Mapped[list[Area]] = relationship(back_populates="jurisdiction")
    departments: Mapped[list[Department]] = relationship(back_populates="jurisdiction")
    categories: Mapped[list[Category]] = relationship(back_populates="jurisdiction")

    __table_args__ = (CheckConstraint("jsonb_typeof(legal) = 'object'", name="legal_object"),
                      CheckConstraint("jsonb_typeof(profile) = 'object'", name="profile_object"),
                      CheckConstraint("crest_type IS NULL OR crest_type IN ('image/svg+xml', 'image/png')",
                                      name="crest_type"),
                      CheckConstraint("languages IS NULL OR 'de' = ANY(languages)", name="languages_german"))

    @property
    def legal_info(self) -> LegalInfo:
        """The statement pages' details (absent fields None; e-mail falls back to contact_email)."""
        return LegalInfo.from_json(self.legal, town_email=self.contact_email)


class JurisdictionHost(db.Model):
    """A host name a town is served on; a request's town comes from its Host header
    (``app/jurisdictions/hosts.py``). Mail and feed links use the first by ``position`` (the
    first in the town file's ``hosts``)."""

    __tablename__ = "jurisdiction_hosts"
    __table_args__ = (CheckConstraint("host = lower(host) AND host !~ '[/:@ ]'", name="host_name"),)

    host: Mapped[str] = mapped_column(String(253), primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")

    jurisdiction: Mapped[Jurisdiction] = relationship(back_populates="hosts")


class Area(db.Model):
    """A polygon of a town: its boundary, an Ortsteil, or a custom service area."""

    __tablename__ = "areas"
    __table_args__ = (
        UniqueConstraint("jurisdiction_id", "code"),
        CheckConstraint("kind in ('boundary','district','ortsteil','custom')", name="kind"),
        Index("ix_areas_geom", "geom", postgresql_using="gist"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    # Higher is more specific; derived from kind but stored so that a town can rank
    # custom areas between its own levels without a code change.
    rank: Mapped[int] = mapped_column(default=0)
    # Square metres, kept so routing can prefer the smaller of two equally ranked
    # areas without computing geography areas per lookup.
    area_m2: Mapped[float] = mapped_column(default=0.0)
    geom: Mapped[WKBElement] = mapped_column(
        Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False
    )

    jurisdiction: Mapped[Jurisdiction] = relationship(back_populates="areas")


class Department(db.Model):
    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("jurisdiction_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    # Every address gets each mail to the department (migration 2410 replaced the one ``email``).
    emails: Mapped[list[str]] = mapped_column(ARRAY(String(320)), default=list, server_default=text("'{}'::varchar[]"))
    # New reports by mail at once ('immediate') or once a day at ``digest_hour`` ('digest');
    # a back-office system may also receive signed JSON events at ``webhook_url``.
    notification_mode: Mapped[str] = mapped_column(String(10), default="immediate", server_default="immediate")
    digest_hour: Mapped[int] = mapped_column(SmallInteger, default=7, server_default="7")
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    webhook_secret: Mapped[str | None] = mapped_column(String(200))
    # A retired department takes no reports; its open ones went to ``successor``.
    retired_at: Mapped[datetime | None]
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))

    jurisdiction: Mapped[Jurisdiction] = relationship(back_populates="departments")

    @property
    def email(self) -> str | None:
        """The first address (what code written before several addresses reads)."""
        return self.emails[0] if self.emails else None

    @email.setter
    def email(self, value: str | None) -> None:
        self.emails = [value] if value else []


class Category(db.Model):
    """A kind of defect. ``code`` is the stable Open311 ``service_code``."""

    __tablename__ = "categories"
    __table_args__ = (UniqueConstraint("jurisdiction_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    group: Mapped[str] = mapped_column(String(100), default="")
    # English help text and group name (migration 1700); empty: the German text is shown.
    description_en: Mapped[str | None] = mapped_column(Text)
    group_en: Mapped[str | None] = mapped_column(String(100))
    icon: Mapped[str] = mapped_column(String(50), default="")
    # Description and photos become public at once instead of after staff review.
    publish_immediately: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    # Days an open report of this category may take before the staff queue calls it overdue.
    target_days: Mapped[int] = mapped_column(default=14, server_default="14")
    # Days a report may stay in a status before its department is reminded, per status code.
    reminder_days: Mapped[dict] = mapped_column(JSONB, default=lambda: dict(DEFAULT_REMINDER_DAYS),
                                                server_default=text(
                                                    """'{"eingegangen": 2, "in_pruefung": 5, "in_bearbeitung": 21}'::jsonb"""))

    # Shown when the category is chosen; a stop notice ends the form instead (migration 2300).
    notice: Mapped[str] = mapped_column(Text, default="", server_default="")
    stop_notice: Mapped[str] = mapped_column(Text, default="", server_default="")
    # A retired category is not offered; its open reports moved to ``successor`` (migration 2410).
    retired_at: Mapped[datetime | None]
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="SET NULL"))

    # Texts in the citizens' other languages, {"tr": {"name": ..., "notice": ...}} (app/jurisdictions/texts.py).
    translations: Mapped[dict] = mapped_column(JSONB, default=dict, server_default=text("'{}'::jsonb"))

    jurisdiction: Mapped[Jurisdiction] = relationship(back_populates="categories")

    def localized(self, field: str, locale: str) -> str:
        """``field`` (name, description, group, notice, stop_notice) in ``locale``, German where missing."""
        if locale == "de":
            return getattr(self, field) or ""
        own = getattr(self, f"{field}_en", None) if locale == "en" else None
        return own or translated(self.translations, locale, field) or getattr(self, field) or ""

    def label(self, locale: str) -> str:
        return self.localized("name", locale)

    def help_text(self, locale: str) -> str:
        return self.localized("description", locale)

    def group_label(self, locale: str) -> str:
        return self.localized("group", locale)


class RoutingRule(db.Model):
    """Area × category → department.

    ``area_id`` NULL means the whole jurisdiction, ``category_id`` NULL means every
    category; a rule with both NULL is the jurisdiction's fallback.
    """

    __tablename__ = "routing_rules"
    __table_args__ = (
        CheckConstraint("valid_until IS NULL OR valid_from IS NULL OR valid_from <= valid_until", name="validity"),
        # Town-wide rules, read by every routing (migration 0103).
        Index("ix_routing_rules_townwide", "jurisdiction_id", "category_id", postgresql_where="area_id IS NULL"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id", ondelete="CASCADE"), index=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="RESTRICT"))
    valid_from: Mapped[date | None]
    valid_until: Mapped[date | None]

    area: Mapped[Area | None] = relationship()
    category: Mapped[Category | None] = relationship()
    department: Mapped[Department] = relationship()
