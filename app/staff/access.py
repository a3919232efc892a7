"""Who may see and do what with a report.

admin and dispatcher: every report of their town. staff: the reports of their own
department only. Reporter contact data follows the same rule, so a department never
sees the contact data of another department's report.
"""
from __future__ import annotations

from flask import abort

from app.db import db
from app.reports.models import Report
from app.staff.models import StaffUser


def sees_all_departments(user: StaffUser) -> bool:
    return user.role in ("admin", "dispatcher")


def can_view_report(user: StaffUser | None, report: Report) -> bool:
    if user is None or report.jurisdiction_id != user.jurisdiction_id:
        return False
    return sees_all_departments(user) or report.department_id == user.department_id


# Acting on a report (status, notes, moderation, reassignment) follows the same rule.
can_edit_report = can_view_report


def can_see_contact(user: StaffUser | None, report: Report) -> bool:
    return can_view_report(user, report)


def can_export_contacts(user: StaffUser) -> bool:
    """Exports carry reporter contacts only for roles that see every report's contact."""
    return sees_all_departments(user)


def report_for(user: StaffUser, report_id: int) -> Report:
    """The report if ``user`` may work on it: 404 if unknown, 403 if another department's."""
    report = db.session.get(Report, report_id)
    if report is None or report.jurisdiction_id != user.jurisdiction_id:
        abort(404)
    if not can_view_report(user, report):
        abort(403)
    return report
