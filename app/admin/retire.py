"""Retiring a department or a category, saying where its open reports go.

A department that is reorganised away passes its open reports and its routing rules to the
department the admin names (never a preselected one); a retired category is no longer offered
(form, intake API, Open311 service list) and its open reports move to the successor category.
Each moved report gets an audit row (its history shows the move); the retirement itself is one
audit row with the count. Flushes; the view commits.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from app.db import db, utcnow
from app.errors import DomainError, NotFound
from app.jurisdictions.models import Category, Department, RoutingRule
from app.reports.models import Report
from app.reports.status import OPEN_STATUSES
from app.staff import audit
from app.staff.assignments import end_assignment
from app.staff.models import StaffUser


@dataclass
class RetirePlan:
    """What retiring would do, for the confirmation page."""

    retiring: Department | Category
    successor: Department | Category
    open_reports: int
    rules: int
    accounts: int = 0


def row_in_town(admin: StaffUser, model, row_id, missing) -> Department | Category:
    row = db.session.get(model, int(row_id)) if str(row_id or "").isdigit() else None
    if row is None or row.jurisdiction_id != admin.jurisdiction_id:
        raise NotFound(missing)
    return row


def _open_reports(column, row_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Report)
                             .where(column == row_id, Report.status.in_(OPEN_STATUSES))) or 0


def plan_department_retirement(admin: StaffUser, department_id: int, successor_id: str | None) -> RetirePlan:
    """Check a retirement and count what it moves; raises DomainError naming the field."""
    department = row_in_town(admin, Department, department_id, _l("Diese Abteilung gibt es nicht."))
    if department.retired_at is not None:
        raise DomainError(_l("Diese Abteilung ist schon aufgelöst."), "department")
    if not successor_id:
        raise DomainError(_l("Bitte wählen Sie, welche Abteilung die offenen Meldungen übernimmt."), "successor")
    successor = row_in_town(admin, Department, successor_id, _l("Diese Abteilung gibt es nicht."))
    if successor.id == department.id or successor.retired_at is not None:
        raise DomainError(_l("Die Meldungen müssen an eine andere, bestehende Abteilung gehen."), "successor")
    rules = db.session.scalar(select(func.count()).select_from(RoutingRule)
                              .where(RoutingRule.department_id == department.id)) or 0
    accounts = db.session.scalar(select(func.count()).select_from(StaffUser)
                                 .where(StaffUser.department_id == department.id, StaffUser.active)) or 0
    return RetirePlan(department, successor, _open_reports(Report.department_id, department.id), rules, accounts)


def retire_department(admin: StaffUser, department_id: int, successor_id: str | None) -> RetirePlan:
    """Retire the department: open reports and routing rules pass to the successor (flushes)."""
    plan = plan_department_retirement(admin, department_id, successor_id)
    department, successor = plan.retiring, plan.successor
    reports = list(db.session.scalars(select(Report).where(Report.department_id == department.id,
                                                           Report.status.in_(OPEN_STATUSES)).order_by(Report.id)))
    for report in reports:
        audit.record("reassign", staff=admin, report=report, changes={
            "department": [department.code, successor.code],
            "reason": str(_l("Abteilung %(name)s aufgelöst", name=department.name))})
        report.department_id = successor.id
        end_assignment(report)
    db.session.execute(update(RoutingRule).where(RoutingRule.department_id == department.id)
                       .values(department_id=successor.id))
    department.retired_at, department.successor_id = utcnow(), successor.id
    db.session.flush()
    audit.record("department_retire", staff=admin, target=f"department:{department.code}",
                 changes={"successor": successor.code, "moved": len(reports), "rules": plan.rules,
                          "retired": [False, True]})
    plan.open_reports = len(reports)
    return plan


def plan_category_retirement(admin: StaffUser, category_id: int, successor_id: str | None) -> RetirePlan:
    category = row_in_town(admin, Category, category_id, _l("Diese Kategorie gibt es nicht."))
    if category.retired_at is not None:
        raise DomainError(_l("Diese Kategorie ist schon aufgelöst."), "category")
    if not successor_id:
        raise DomainError(_l("Bitte wählen Sie, in welche Kategorie die offenen Meldungen wechseln."), "successor")
    successor = row_in_town(admin, Category, successor_id, _l("Diese Kategorie gibt es nicht."))
    if successor.id == category.id or successor.retired_at is not None:
        raise DomainError(_l("Die Meldungen müssen in eine andere, bestehende Kategorie wechseln."), "successor")
    rules = db.session.scalar(select(func.count()).select_from(RoutingRule)
                              .where(RoutingRule.category_id == category.id)) or 0
    return RetirePlan(category, successor, _open_reports(Report.category_id, category.id), rules)


def retire_category(admin: StaffUser, category_id: int, successor_id: str | None) -> RetirePlan:
    """Retire the category: not offered any more, open reports move to the successor (flushes).
    The reports keep their department (a clerk re-routes if the successor belongs elsewhere)."""
    plan = plan_category_retirement(admin, category_id, successor_id)
    category, successor = plan.retiring, plan.successor
    reports = list(db.session.scalars(select(Report).where(Report.category_id == category.id,
                                                           Report.status.in_(OPEN_STATUSES)).order_by(Report.id)))
    for report in reports:
        audit.record("correct", staff=admin, report=report,
                     changes={"category": [category.code, successor.code]})
        report.category_id = successor.id
    category.active = False
    category.retired_at, category.successor_id = utcnow(), successor.id
    db.session.flush()
    audit.record("category_retire", staff=admin, target=f"category:{category.code}",
                 changes={"successor": successor.code, "moved": len(reports), "active": [True, False]})
    plan.open_reports = len(reports)
    return plan
