"""Mails of the staff workspace: password reset, report passed to another department."""
from __future__ import annotations

from email.message import EmailMessage

from flask_babel import force_locale

from app.db import db
from app.outbox.messages import Message, compose_email
from app.outbox.models import OutboxMessage
from app.reports.models import Report
from app.reports.questions import report_answers
from app.staff.models import ReportAssignment, StaffTeamMember, StaffUser
from app.urls import absolute_url


def staff_password_reset(message: OutboxMessage) -> EmailMessage | None:
    from app.staff.auth import RESET_MAX_AGE, password_reset_token

    user = db.session.get(StaffUser, message.payload.get("staff_user_id"))
    if user is None or not user.active or not user.email:
        return None
    # The link is made when the mail is sent: the outbox and the queue hold the id only.
    with force_locale("de"):
        url = absolute_url("staff_auth.reset_password", token=password_reset_token(user))
        return compose_email(user.email, "Mängelmelder: Passwort neu setzen", "staff_password_reset", message,
                             locale="de", user=user, reset_url=url, minutes=RESET_MAX_AGE // 60)


def staff_reassigned(message: OutboxMessage) -> EmailMessage | None:
    report = db.session.get(Report, message.payload.get("report_id"))
    if report is None or report.department_id != message.payload.get("department_id") or not report.department.emails:
        return None
    with force_locale("de"):
        subject = f"Meldung {report.reference} an Sie weitergeleitet: {report.category.name}"
        return compose_email(report.department.emails, subject, "staff_reassigned", message, locale="de",
                             report=report, reason=message.payload.get("reason", ""),
                             from_department=message.payload.get("from_department", ""),
                             answers=report_answers(report.id, "de"),
                             staff_url=absolute_url("staff.report_detail", report_id=report.id))


def staff_assigned(message: OutboxMessage) -> EmailMessage | None:
    """To a person a report was given to (directly or through their team), if it still is."""
    report = db.session.get(Report, message.payload.get("report_id"))
    user = db.session.get(StaffUser, message.payload.get("staff_user_id"))
    assignment = db.session.get(ReportAssignment, report.id) if report is not None else None
    if report is None or user is None or not user.active or not user.email or assignment is None:
        return None
    mine = assignment.staff_user_id == user.id or (assignment.team_id is not None and db.session.get(
        StaffTeamMember, (assignment.team_id, user.id)) is not None)
    if not mine:
        return None  # given to someone else since
    with force_locale("de"):
        subject = f"Meldung {report.reference} an Sie übergeben: {report.category.name}"
        return compose_email(user.email, subject, "staff_assigned", message, locale="de", report=report, user=user,
                             team=assignment.team, by=message.payload.get("by", ""),
                             answers=report_answers(report.id, "de"),
                             staff_url=absolute_url("staff.report_detail", report_id=report.id))


def staff_escalated(message: OutboxMessage) -> EmailMessage | None:
    """To a dispatcher: a report is overdue beyond the grace period (unless it was closed since)."""
    from app.reports.status import OPEN_STATUSES
    from app.staff.models import ReportEscalation

    report = db.session.get(Report, message.payload.get("report_id"))
    user = db.session.get(StaffUser, message.payload.get("staff_user_id"))
    escalation = db.session.get(ReportEscalation, report.id) if report is not None else None
    if report is None or escalation is None or report.status not in OPEN_STATUSES or user is None \
            or not user.active or not user.email:
        return None
    with force_locale("de"):
        subject = f"Überfällig: Meldung {report.reference} ({report.category.name}, {report.department.name})"
        return compose_email(user.email, subject, "staff_escalated", message, locale="de", report=report, user=user,
                             due=escalation.due_at, staff_url=absolute_url("staff.report_detail", report_id=report.id))


MESSAGES = (
    Message("staff_password_reset", staff_password_reset),
    Message("staff_reassigned", staff_reassigned),
    Message("staff_assigned", staff_assigned),
    Message("staff_escalated", staff_escalated),
)
