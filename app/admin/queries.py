"""What the admin pages show, read for one town."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.db import db
from app.jurisdictions.models import Category, Department, RoutingRule
from app.reports.models import Report
from app.staff.models import AuditEntry, StaffUser, TextTemplate

AUDIT_PAGE = 100


def town_settings(jurisdiction_id: int) -> dict[str, list]:
    """Accounts, departments, categories, routing rules and text templates of a town."""
    def rows(model, *order):
        return list(db.session.scalars(select(model).where(model.jurisdiction_id == jurisdiction_id).order_by(*order)))

    return {"users": rows(StaffUser, StaffUser.username), "departments": rows(Department, Department.name),
            "categories": rows(Category, Category.name), "rules": rows(RoutingRule, RoutingRule.id),
            "templates": rows(TextTemplate, TextTemplate.status, TextTemplate.title)}


@dataclass
class AuditPage:
    entries: list[AuditEntry]
    references: dict[int, str]  # report id -> reference, for the entries about a report
    next_before: int | None  # the id to continue below, if there are older entries


def audit_page(jurisdiction_id: int, before: int | None = None, actor: str = "", action: str = "") -> AuditPage:
    """The town's newest audit entries (older than ``before``), optionally by one actor or action."""
    query = select(AuditEntry).where(AuditEntry.jurisdiction_id == jurisdiction_id)
    if before is not None:
        query = query.where(AuditEntry.id < before)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if action:
        query = query.where(AuditEntry.action == action)
    entries = list(db.session.scalars(query.order_by(AuditEntry.id.desc()).limit(AUDIT_PAGE + 1)))
    more = len(entries) > AUDIT_PAGE
    entries = entries[:AUDIT_PAGE]
    report_ids = {e.report_id for e in entries if e.report_id}
    references = dict(db.session.execute(select(Report.id, Report.reference).where(Report.id.in_(report_ids))).all()) \
        if report_ids else {}
    return AuditPage(entries, references, entries[-1].id if more and entries else None)
