"""What the admin pages show, read for one town."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.db import db
from app.errors import NotFound
from app.jurisdictions.models import Area, Category, Department, RoutingRule
from app.open311.models import ServiceAttribute
from app.reports.models import Report
from app.staff.models import AuditEntry, StaffUser, TextTemplate

AUDIT_PAGE = 100


def town_settings(jurisdiction_id: int) -> dict[str, list]:
    """Accounts, departments, categories, routing rules and text templates of a town."""
    def rows(model, *order):
        return list(db.session.scalars(select(model).where(model.jurisdiction_id == jurisdiction_id).order_by(*order)))

    return {"users": rows(StaffUser, StaffUser.username), "departments": rows(Department, Department.name),
            "categories": rows(Category, Category.name), "rules": rows(RoutingRule, RoutingRule.id),
            "templates": rows(TextTemplate, TextTemplate.status, TextTemplate.title),
            "areas": rows(Area, Area.rank, Area.name)}


def live_departments(jurisdiction_id: int, but: int | None = None) -> list[Department]:
    """Departments that are not retired (optionally without ``but``), by name."""
    return list(db.session.scalars(select(Department).where(
        Department.jurisdiction_id == jurisdiction_id, Department.retired_at.is_(None), Department.id != (but or 0))
        .order_by(Department.name)))


def live_categories(jurisdiction_id: int, but: int | None = None) -> list[Category]:
    """Categories that are not retired (optionally without ``but``), by name."""
    return list(db.session.scalars(select(Category).where(
        Category.jurisdiction_id == jurisdiction_id, Category.retired_at.is_(None), Category.id != (but or 0))
        .order_by(Category.name)))


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


def category_with_questions(jurisdiction_id: int, category_id: int):
    """A category of the town and its questions in order; raises NotFound."""
    category = db.session.get(Category, category_id)
    if category is None or category.jurisdiction_id != jurisdiction_id:
        raise NotFound(_l("Diese Kategorie gibt es nicht."))
    questions = list(db.session.scalars(select(ServiceAttribute).where(ServiceAttribute.category_id == category.id)
                                        .order_by(ServiceAttribute.order, ServiceAttribute.id)))
    return category, questions


def rule_description(rule: RoutingRule) -> dict:
    """A rule in words for the preview page (before its savepoint is rolled back)."""
    return {"area": rule.area.name if rule.area else None, "category": rule.category.name if rule.category else None,
            "department": rule.department.name, "valid_from": rule.valid_from, "valid_until": rule.valid_until}


def rerouting_preview(jurisdiction_id: int) -> dict:
    """What re-routing would do now, as plain values (they outlive the preview's savepoint)."""
    from app.areas.rerouting import preview_rerouting
    from app.jurisdictions.models import Jurisdiction

    preview = preview_rerouting(db.session.get(Jurisdiction, jurisdiction_id), sample=50)
    return {"moved": preview.plan.moved, "fingerprint": preview.plan.fingerprint,
            "flows": [(a.name, b.name, n) for a, b, n in preview.flows_named()],
            "sample": [{"reference": row["reference"], "from": preview.departments[row["old_department_id"]].name,
                        "to": preview.departments[row["new_department_id"]].name} for row in preview.sample]}
