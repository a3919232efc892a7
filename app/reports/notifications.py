"""Mails about a report: double opt-in, status changes, new report for the department."""
from __future__ import annotations

from email.message import EmailMessage

from flask_babel import force_locale, gettext
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.db import db
from app.i18n import supported_locale
from app.outbox.messages import Message, compose_email
from app.outbox.models import OutboxMessage
from app.reports.models import Report, StatusChange
from app.reports.questions import report_answers
from app.reports.status import STATUSES
from app.reports.tokens import confirm_email_token
from app.urls import absolute_url


def _report_context(report: Report) -> dict:
    context = {"report": report, "report_url": absolute_url("public.short_report", reference=report.reference)}
    if report.tracking_token:
        context["tracking_url"] = absolute_url("reports.short_track", token=report.tracking_token)
    return context


def _report(message: OutboxMessage) -> Report | None:
    return db.session.get(Report, message.payload.get("report_id"))


def confirm_email(message: OutboxMessage) -> EmailMessage | None:
    report = _report(message)
    if report is None or not report.reporter_email:
        return None
    with force_locale(locale := supported_locale(report.locale)):
        context = _report_context(report)
        context["confirm_url"] = absolute_url("reports.confirm_email", token=confirm_email_token(report))
        subject = gettext("Bitte bestätigen Sie Ihre E-Mail-Adresse – Meldung %(ref)s", ref=report.reference)
        return compose_email(report.reporter_email, subject, "confirm_email", message, locale=locale, **context)


def status_changed(message: OutboxMessage) -> EmailMessage | None:
    report = _report(message)
    if report is None or not (report.reporter_email and report.reporter_email_confirmed):
        return None
    change = db.session.get(StatusChange, message.payload["status_change_id"])
    if change is None:
        return None
    with force_locale(locale := supported_locale(report.locale)):
        status_label = STATUSES[change.new_status].label(locale)
        subject = gettext("Ihre Meldung %(ref)s: %(status)s", ref=report.reference, status=status_label)
        return compose_email(report.reporter_email, subject, "status_changed", message, locale=locale,
                             change=change, status_label=status_label, **_report_context(report))


def new_report(message: OutboxMessage) -> EmailMessage | None:
    report = _report(message)
    if report is None or not report.department.emails:
        return None
    with force_locale("de"):
        subject = f"Neue Meldung {report.reference}: {report.category.name}"
        return compose_email(report.department.emails, subject, "new_report", message, locale="de",
                             category_label=report.category.name, answers=report_answers(report.id, "de"),
                             **_report_context(report))


MESSAGES = (
    Message("confirm_email", confirm_email, citizen=True),
    Message("status_changed", status_changed, citizen=True),
    Message("new_report", new_report),
)


def prefetch(messages: list[OutboxMessage], prefetched: dict) -> None:
    """The batch's reports (with category and department) and status changes, in a few queries."""
    def ids(key: str) -> set[int]:
        return {m.payload[key] for m in messages if isinstance(m.payload.get(key), int)}

    if ids("report_id"):
        prefetched["reports"] = db.session.scalars(select(Report).where(Report.id.in_(ids("report_id"))).options(
            selectinload(Report.category), selectinload(Report.department))).all()
    if ids("status_change_id"):
        prefetched["reports.status_changes"] = db.session.scalars(
            select(StatusChange).where(StatusChange.id.in_(ids("status_change_id")))).all()
