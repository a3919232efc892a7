"""Tables of the PostGIS layer that are not part of the core domain model: the address
table (revision 0100), map cells and versions (0101), the re-routing audit (0102)."""
from __future__ import annotations

from datetime import date, datetime

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, SmallInteger, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db import db, utcnow


class StreetAddress(db.Model):
    """One house address with its point (e.g. from the state's "Hauskoordinaten").

    ``street_norm`` / ``house_number_norm`` are the search forms written by
    ``geo.geocoding.normalize_street`` / ``normalize_house_number``.
    """

    __tablename__ = "addresses"
    __table_args__ = (
        UniqueConstraint("jurisdiction_id", "street_norm", "house_number_norm", "postcode",
                         name="uq_addresses_jurisdiction_id"),
        Index("ix_addresses_location", "location", postgresql_using="gist"),
        Index("ix_addresses_street_norm_trgm", "street_norm", postgresql_using="gin",
              postgresql_ops={"street_norm": "gin_trgm_ops"}),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id", ondelete="CASCADE"))
    street: Mapped[str] = mapped_column(String(200))
    house_number: Mapped[str] = mapped_column(String(20))
    postcode: Mapped[str] = mapped_column(String(10))
    ortsteil: Mapped[str] = mapped_column(String(100))
    street_norm: Mapped[str] = mapped_column(String(200))
    house_number_norm: Mapped[str] = mapped_column(String(20))
    house_number_int: Mapped[int | None]
    location: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=4326, spatial_index=False))
    source: Mapped[str] = mapped_column(String(100), default="")


class MapVersion(db.Model):
    """Counts changes to a town's map data (revision 0101); map answers use it as ETag."""

    __tablename__ = "map_versions"

    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    changed_at: Mapped[datetime | None]


class MapCell(db.Model):
    """Publicly visible reports per Web-Mercator cell (= tile at zoom ``level``), category and
    status, with the sum of their coordinates; kept exact by statement triggers on reports."""

    __tablename__ = "map_cells"

    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id", ondelete="CASCADE"), primary_key=True)
    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    cx: Mapped[int] = mapped_column(primary_key=True)
    cy: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(32), primary_key=True)
    n: Mapped[int]
    sum_x: Mapped[float]
    sum_y: Mapped[float]


class MapBlockChange(db.Model):
    """The zoom-14 blocks a town's map version changed (revision 1002), written by the report
    triggers; web processes keep their in-memory blocks that no newer version names."""

    __tablename__ = "map_block_changes"

    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    block_x: Mapped[int] = mapped_column(primary_key=True)
    block_y: Mapped[int] = mapped_column(primary_key=True)
    changed_at: Mapped[datetime]


class ReroutingRun(db.Model):
    """An applied re-routing (revision 0102): who, when, with which day's rules, what moved."""

    __tablename__ = "rerouting_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id", ondelete="CASCADE"), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    rules_date: Mapped[date]
    statuses: Mapped[list] = mapped_column(JSONB, default=list)
    considered: Mapped[int] = mapped_column(default=0)
    moved: Mapped[int] = mapped_column(default=0)
    relabelled: Mapped[int] = mapped_column(default=0)
    outside: Mapped[int] = mapped_column(default=0)
    no_rule: Mapped[int] = mapped_column(default=0)
    # [[from_department_id, to_department_id, count], ...]
    flows: Mapped[list] = mapped_column(JSONB, default=list)
    reason: Mapped[str] = mapped_column(Text, default="")


class ReroutingMove(db.Model):
    """One report moved by a run, from one department to another."""

    __tablename__ = "rerouting_moves"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("rerouting_runs.id", ondelete="CASCADE"), index=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    from_department_id: Mapped[int]
    to_department_id: Mapped[int]
    from_rule_id: Mapped[int | None]
    to_rule_id: Mapped[int | None]


class AdminUpload(db.Model):
    """A file uploaded on an admin page (migration 2410): an address file, imported by a worker,
    or an earlier system's reports, kept between the dry run and the import.

    The page shows ``done`` of ``total`` while the job runs; the file's bytes are dropped once
    it is done or failed (only the counts and the refusal stay)."""

    __tablename__ = "admin_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # "addresses" or "reports"
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(200))
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    srid: Mapped[int | None]
    state: Mapped[str] = mapped_column(String(10), default="queued")  # queued, running, done, failed
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
