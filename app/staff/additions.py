"""What reporters add later (remarks, photos; app/public) as staff see it: the report's
timeline, the later photos, the "new addition" badge in the queue, marking them seen.

Who may see a report is decided before these are called (``report_for`` in the views,
the queue's scoped rows): they take a report, or ids of rows the account already sees.
Remarks are never public; later photos start unpublished (app/public/operations.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import abort
from sqlalchemy import func, select, update

from app.db import db, utcnow
from app.public.models import ReporterComment, ReporterPhoto
from app.reports.models import Photo, Report, StatusChange
from app.staff import audit
from app.staff.access import can_edit_report
from app.staff.models import StaffUser


@dataclass
class TimelineEntry:
    """One line of the staff history: a status change, a remark or a later photo."""

    kind: str  # "status" | "reporter_comment" | "reporter_photo" | "correction"
    created_at: datetime
    change: StatusChange | None = None
    comment: ReporterComment | None = None
    photo: Photo | None = None
    # Photo number as the detail page counts them (1-based position in report.photos).
    photo_number: int | None = None
    new: bool = False
    text: object = None  # "correction": the audit row in words (app/staff/wording.py)


@dataclass
class ReportAdditions:
    timeline: list[TimelineEntry]
    # photo id -> its mark, for the photos the reporter added later
    later_photos: dict[int, ReporterPhoto] = field(default_factory=dict)
    new_count: int = 0


def report_additions(report: Report) -> ReportAdditions:
    """The report's history with the reporter's remarks and later photos, oldest first."""
    comments = list(db.session.scalars(select(ReporterComment).where(ReporterComment.report_id == report.id)
                                       .order_by(ReporterComment.created_at, ReporterComment.id)))
    marks = {mark.photo_id: mark for mark in db.session.scalars(
        select(ReporterPhoto).where(ReporterPhoto.report_id == report.id))}
    numbers = {photo.id: number for number, photo in enumerate(report.photos, start=1)}
    timeline = [TimelineEntry("status", change.created_at, change=change) for change in report.history]
    timeline += [TimelineEntry("reporter_comment", c.created_at, comment=c, new=c.seen_at is None) for c in comments]
    timeline += [TimelineEntry("reporter_photo", mark.created_at, photo=mark.photo,
                               photo_number=numbers.get(mark.photo_id), new=mark.seen_at is None)
                 for mark in sorted(marks.values(), key=lambda m: (m.created_at, m.photo_id))]
    # Stable sort: at equal times a status change stays before an addition.
    timeline.sort(key=lambda entry: entry.created_at)
    new_count = sum(1 for entry in timeline if entry.new)
    return ReportAdditions(timeline=timeline, later_photos=marks, new_count=new_count)


def unseen_additions(report_id):
    """How many remarks and later photos of the report staff have not seen yet: a column for a
    page of report rows (``report_id``: the query's report id column). PostgreSQL evaluates such
    sub-selects after ORDER BY and LIMIT, for the rows shown only (both tables are indexed by
    ``report_id``): no statement of its own per page."""
    comments = select(func.count()).where(ReporterComment.report_id == report_id,
                                          ReporterComment.seen_at.is_(None)).scalar_subquery()
    photos = select(func.count()).where(ReporterPhoto.report_id == report_id,
                                        ReporterPhoto.seen_at.is_(None)).scalar_subquery()
    return comments + photos


def mark_additions_seen(user: StaffUser, report: Report) -> int:
    """Mark every unseen remark and later photo of ``report`` as seen (flushes, audited);
    returns how many. Idempotent: nothing new, nothing changed, no audit row."""
    if not can_edit_report(user, report):
        abort(403)
    now = utcnow()
    comments = db.session.execute(update(ReporterComment)
                                  .where(ReporterComment.report_id == report.id, ReporterComment.seen_at.is_(None))
                                  .values(seen_at=now)).rowcount
    photos = db.session.execute(update(ReporterPhoto)
                                .where(ReporterPhoto.report_id == report.id, ReporterPhoto.seen_at.is_(None))
                                .values(seen_at=now)).rowcount
    if comments or photos:
        # Counts only: the remark's text is citizen text and stays out of the audit log.
        audit.record("additions_seen", staff=user, report=report, changes={"comments": comments, "photos": photos})
    db.session.flush()
    return comments + photos
