"""What a reporter adds later through the private tracking link."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import db, utcnow
from app.reports.models import Photo, Report


class ReporterComment(db.Model):
    """A remark the reporter added to their own report (for staff; never public).

    Deleted by retention together with the reporter's contact data (app/retention/policy.py).
    """

    __tablename__ = "reporter_comments"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when staff marked the addition as seen; until then the queue shows it as new.
    seen_at: Mapped[datetime | None]

    report: Mapped[Report] = relationship()


class ReporterPhoto(db.Model):
    """Marks a photo the reporter added after the report was made (revision 0900).

    The ``photos`` row itself looks like any intake photo; this row is what lets staff
    see it as a later addition. It starts unpublished, like every addition.
    """

    __tablename__ = "reporter_photos"

    photo_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    seen_at: Mapped[datetime | None]

    photo: Mapped[Photo] = relationship()
