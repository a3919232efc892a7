"""Mail to the department when a reporter adds a remark or photos via the tracking link."""
from __future__ import annotations

from email.message import EmailMessage

from flask_babel import force_locale

from app.db import db
from app.outbox.messages import Message, compose_email
from app.outbox.models import OutboxMessage
from app.public.models import ReporterComment
from app.reports.models import Report
from app.urls import absolute_url


def reporter_comment(message: OutboxMessage) -> EmailMessage | None:
    if "comment_id" in message.payload:
        comment = db.session.get(ReporterComment, message.payload["comment_id"])
        report = comment.report if comment else None  # deleted by retention meanwhile: nothing to tell
    else:
        comment = None
        report = db.session.get(Report, message.payload["report_id"]) if message.payload.get("report_id") else None
    if report is None or not report.department.emails:
        return None
    photo_count = len(message.payload.get("photo_ids", []))
    with force_locale("de"):
        subject = f"Ergänzung der meldenden Person zu {report.reference}"
        return compose_email(report.department.emails, subject, "reporter_comment", message, locale="de",
                             report=report, comment=comment, photo_count=photo_count,
                             # The staff page, not the public one: the remark is never public,
                             # nor are the photos before staff publish them.
                             staff_url=absolute_url("staff.report_detail", report_id=report.id))


MESSAGES = (
    Message("reporter_comment", reporter_comment),
)
