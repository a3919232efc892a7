"""What a reporter may add to their own report through the private tracking link."""
from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l

from app.db import db
from app.errors import DomainError, ValidationFailed
from app.jurisdictions.limits import town_limits
from app.outbox.operations import record_message
from app.public.models import ReporterComment, ReporterPhoto
from app.reports.models import Photo, Report
from app.validation import check_length, clean_text

MAX_COMMENT = 2000


def add_reporter_comment(report: Report, body: str) -> ReporterComment:
    """Store the reporter's remark and tell the department (flushes).

    Raises ``DomainError`` (field ``comment``) when it is empty or too long.
    """
    text = clean_text(body).strip()
    if not text:
        raise DomainError(_l("Bitte schreiben Sie Ihre Ergänzung in das Feld."), "comment", code="empty")
    check_length(text, MAX_COMMENT, _l("Die Ergänzung"), "comment")
    comment = ReporterComment(report=report, body=text)
    db.session.add(comment)
    db.session.flush()
    record_message("reporter_comment", f"reporter_comment:{comment.id}", {"comment_id": comment.id},
                   jurisdiction_id=report.jurisdiction_id)
    return comment


def add_reporter_photos(report: Report, uploads: list[bytes]) -> list[Photo]:
    """Clean and store further photos of the reporter (flushes). They always start
    unpublished, whatever the category says, and are marked as the reporter's later
    additions (``ReporterPhoto``) so staff see and publish them.

    Raises ``ValidationFailed`` (field ``photos``) for no photo, too many photos or
    a photo that cannot be used; stored files are removed again on rollback.
    """
    from app.reports.photos import attach_photos, process_uploads

    if not uploads:
        raise ValidationFailed([DomainError(_l("Bitte wählen Sie ein Foto aus."), "photos", code="empty")])
    limits = town_limits(report.jurisdiction.profile, current_app.config)
    limit = limits.photos_per_report
    if len(report.photos) + len(uploads) > limit:
        message = _l("Zu einer Meldung ist höchstens ein Foto möglich.") if limit == 1 else \
            _l("Zu einer Meldung sind höchstens %(n)s Fotos möglich.", n=limit)
        raise ValidationFailed([DomainError(message, "photos", code="too_many")])
    processed = process_uploads(uploads, limits.photo_bytes)
    # Unpublished even in a publish-at-once category: a later photo lands on a report
    # staff may already have moderated (photos hidden, faces blacked out) or closed,
    # where nobody would notice it going public. Staff publish it from the detail page.
    photos = attach_photos(report, processed, published=False)
    db.session.add_all([ReporterPhoto(photo_id=p.id, report_id=report.id) for p in photos])
    db.session.flush()
    record_message("reporter_comment", f"reporter_photos:{report.id}:{photos[0].id}",
                   {"report_id": report.id, "photo_ids": [p.id for p in photos]}, jurisdiction_id=report.jurisdiction_id)
    return photos
