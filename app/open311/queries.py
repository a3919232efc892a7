"""Reading requests, services and updates for Open311 (public data only)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.db import db
from app.jurisdictions.models import Category, Jurisdiction
from app.reports.models import Report, StatusChange
from app.reports.status import PUBLIC_STATUSES

MAX_PAGE_SIZE = 1000


@dataclass
class RequestFilter:
    service_request_ids: list[str] = field(default_factory=list)
    service_codes: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)  # German codes
    start: datetime | None = None
    end: datetime | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None
    bbox: tuple[float, float, float, float] | None = None
    page: int = 1
    page_size: int = MAX_PAGE_SIZE


def visible_reports(jurisdiction: Jurisdiction):
    """What the public may see: not hidden, in a public status."""
    return select(Report).where(Report.jurisdiction_id == jurisdiction.id, Report.hidden.is_(False),
                                Report.status.in_(PUBLIC_STATUSES))


def find_requests(jurisdiction: Jurisdiction, wanted: RequestFilter) -> list[Report]:
    query = visible_reports(jurisdiction).options(
        selectinload(Report.category), selectinload(Report.department), selectinload(Report.photos),
        selectinload(Report.history))
    if wanted.service_request_ids:
        query = query.where(Report.reference.in_(wanted.service_request_ids))
    else:
        if wanted.service_codes:
            query = query.join(Category, Report.category_id == Category.id).where(
                Category.code.in_(wanted.service_codes))
        if wanted.statuses:
            query = query.where(Report.status.in_(wanted.statuses))
        if wanted.start is not None:
            query = query.where(Report.created_at >= wanted.start)
        if wanted.end is not None:
            query = query.where(Report.created_at <= wanted.end)
        if wanted.updated_after is not None:
            query = query.where(Report.updated_at >= wanted.updated_after)
        if wanted.updated_before is not None:
            query = query.where(Report.updated_at <= wanted.updated_before)
        if wanted.bbox is not None:
            query = query.where(func.ST_Intersects(Report.location, func.ST_MakeEnvelope(*wanted.bbox, 4326)))
    query = query.order_by(Report.created_at.desc(), Report.id.desc())
    query = query.limit(wanted.page_size).offset((wanted.page - 1) * wanted.page_size)
    return list(db.session.scalars(query))


def find_request(jurisdiction: Jurisdiction, reference: str) -> Report | None:
    return db.session.scalar(visible_reports(jurisdiction).where(Report.reference == reference[:32]))


def find_updates(jurisdiction: Jurisdiction, start: datetime, end: datetime,
                 limit: int = MAX_PAGE_SIZE) -> list[StatusChange]:
    """Status changes of visible reports in ``[start, end]``, oldest first."""
    return list(db.session.scalars(
        select(StatusChange).join(Report, StatusChange.report_id == Report.id)
        .where(Report.jurisdiction_id == jurisdiction.id, Report.hidden.is_(False),
               Report.status.in_(PUBLIC_STATUSES), StatusChange.new_status.in_(PUBLIC_STATUSES),
               StatusChange.created_at >= start, StatusChange.created_at <= end)
        .options(selectinload(StatusChange.report))
        .order_by(StatusChange.created_at, StatusChange.id).limit(limit)
    ))


def active_services(jurisdiction: Jurisdiction) -> list[Category]:
    return list(db.session.scalars(
        select(Category).where(Category.jurisdiction_id == jurisdiction.id, Category.active)
        .order_by(Category.group, Category.name)))


def service_by_code(jurisdiction: Jurisdiction, code: str) -> Category | None:
    return db.session.scalar(select(Category).where(Category.jurisdiction_id == jurisdiction.id,
                                                    Category.code == code[:100], Category.active))
