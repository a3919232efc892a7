"""Turning an outbox row into the e-mail it stands for (rendered when sent).

Recipients are read from the database at send time: the outbox and the queue hold
ids only, and a reporter who was anonymised meanwhile gets nothing.
"""
from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate

from flask import current_app, render_template
from flask_babel import force_locale, gettext

from app.db import db
from app.outbox.models import OutboxMessage
from app.reports.models import Report, StatusChange
from app.reports.status import STATUSES
from app.reports.tokens import confirm_email_token
from app.urls import absolute_url


def _email(to: str, subject: str, template: str, message: OutboxMessage, **context) -> EmailMessage:
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_FROM"]
    email["To"] = to
    email["Subject"] = subject
    email["Date"] = formatdate(localtime=True)
    # Stable per outbox row: if a message is ever sent twice, mail clients fold it.
    domain = current_app.config["MAIL_FROM"].rsplit("@", 1)[-1].strip("> ") or "localhost"
    email["Message-ID"] = f"<outbox-{message.id}@{domain}>"
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(render_template(f"mail/{template}.txt", **context))
    email.add_alternative(render_template(f"mail/{template}.html", **context), subtype="html")
    return email


def build_message(message: OutboxMessage) -> EmailMessage | None:
    """The e-mail for ``message``, or None if there is nobody (left) to send it to."""
    payload = message.payload
    report = db.session.get(Report, payload["report_id"]) if "report_id" in payload else None
    if report is None:
        return None
    context = {"report": report, "report_url": absolute_url("public.report", reference=report.reference)}
    if report.tracking_token:
        context["tracking_url"] = absolute_url("reports.track", token=report.tracking_token)

    if message.kind == "confirm_email":
        if not report.reporter_email:
            return None
        with force_locale(report.locale):
            context["confirm_url"] = absolute_url("reports.confirm_email", token=confirm_email_token(report))
            subject = gettext("Bitte bestätigen Sie Ihre E-Mail-Adresse – Meldung %(ref)s", ref=report.reference)
            return _email(report.reporter_email, subject, "confirm_email", message, locale=report.locale, **context)

    if message.kind == "status_changed":
        if not (report.reporter_email and report.reporter_email_confirmed):
            return None
        change = db.session.get(StatusChange, payload["status_change_id"])
        if change is None:
            return None
        with force_locale(report.locale):
            status_label = STATUSES[change.new_status].label(report.locale)
            subject = gettext("Ihre Meldung %(ref)s: %(status)s", ref=report.reference, status=status_label)
            return _email(report.reporter_email, subject, "status_changed", message, locale=report.locale,
                          change=change, status_label=status_label, **context)

    if message.kind == "new_report":
        if not report.department.email:
            return None
        with force_locale("de"):
            context["category_label"] = report.category.name
            subject = f"Neue Meldung {report.reference}: {report.category.name}"
            return _email(report.department.email, subject, "new_report", message, locale="de", **context)

    raise ValueError(f"unknown outbox message kind {message.kind!r}")
