"""Deadlines: when a report is expected to be done, and escalating the overdue ones.

The expected completion is the creation time plus the category's target days (the same rule
as the queue's "überfällig" badge). A report still open ``ESCALATION_GRACE_DAYS`` after that
is escalated once: a row in ``report_escalations`` and a mail to each dispatcher of the town
(message kind ``staff_escalated``); the queue filters them with ``eskaliert=1``.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, literal, select

from app.db import db, utcnow
from app.jurisdictions.models import Category
from app.outbox.operations import record_message
from app.reports.models import Report
from app.reports.status import OPEN_STATUSES
from app.staff.models import ReportEscalation, StaffUser


def expected_completion(report: Report) -> datetime:
    return report.expected_completion


def escalation_of(report: Report) -> ReportEscalation | None:
    return db.session.get(ReportEscalation, report.id)


def escalated():
    """A condition for report queries: the report was escalated."""
    return select(ReportEscalation.report_id).where(ReportEscalation.report_id == Report.id).exists()


def record_escalations(grace_days: float, now: datetime | None = None, limit: int = 2000) -> int:
    """Escalate the open reports overdue by more than ``grace_days`` that were not yet (flushes).

    Safe to run twice: a report has at most one escalation row, and the mails' dedup keys
    name the report and the dispatcher.
    """
    now = now or utcnow()
    due = Report.created_at + func.make_interval(0, 0, 0, Category.target_days)
    rows = db.session.execute(
        select(Report.id, Report.jurisdiction_id, due.label("due"))
        .join(Category, Category.id == Report.category_id)
        .where(Report.status.in_([s for s in OPEN_STATUSES if s != "unbestaetigt"]), Report.hidden.is_(False),
               due < literal(now) - timedelta(days=grace_days), ~escalated())
        .order_by(Report.created_at).limit(limit)).all()
    dispatchers: dict[int, list[int]] = {}
    for report_id, jurisdiction_id, due_at in rows:
        db.session.add(ReportEscalation(report_id=report_id, escalated_at=now, due_at=due_at))
        if jurisdiction_id not in dispatchers:
            dispatchers[jurisdiction_id] = list(db.session.scalars(select(StaffUser.id).where(
                StaffUser.jurisdiction_id == jurisdiction_id, StaffUser.role == "dispatcher", StaffUser.active,
                StaffUser.email.is_not(None))))
        for staff_user_id in dispatchers[jurisdiction_id]:
            record_message("staff_escalated", f"staff_escalated:{report_id}:{staff_user_id}",
                           {"report_id": report_id, "staff_user_id": staff_user_id})
    db.session.flush()
    return len(rows)
