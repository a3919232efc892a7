"""Followers of a report and the addresses that asked for no more mail about one."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import db, utcnow
from app.reports.models import Report


class Follower(db.Model):
    """Someone who wants a report's updates; mails go out only once ``confirmed_at`` is set.

    Unsubscribing erases ``email`` at once (``app.followers.operations.unsubscribe``); the
    row stays so that the link in the opt-in mail still answers (revision 1101).
    """

    __tablename__ = "followers"
    __table_args__ = (
        # Several erased rows per report are fine: a unique constraint lets NULLs repeat.
        UniqueConstraint("report_id", "email"),
        CheckConstraint("email IS NOT NULL OR unsubscribed_at IS NOT NULL", name="email"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    email: Mapped[str | None] = mapped_column(String(320))
    locale: Mapped[str] = mapped_column(String(5), default="de")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    unsubscribed_at: Mapped[datetime | None]

    report: Mapped[Report] = relationship()

    @property
    def active(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None


class MailUnsubscribe(db.Model):
    """An address (kept as a SHA-256 digest) that wants no more mail about a report.

    Checked for every citizen mail right before it is sent, whatever its kind, so an
    unsubscribe also covers messages already waiting in the outbox.
    """

    __tablename__ = "mail_unsubscribes"
    __table_args__ = (UniqueConstraint("report_id", "email_digest"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    email_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
