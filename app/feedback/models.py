""""Ist es erledigt?" questionnaires and anonymous votes on a report (revision 2010)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import db, utcnow
from app.reports.models import Report, StatusChange


class FixedQuestionnaire(db.Model):
    """The question "Ist der Mangel behoben?" to the confirmed reporter, once per status change
    to ``erledigt``; answered once (``answer`` "ja" or "nein", an optional comment for staff)."""

    __tablename__ = "fixed_questionnaires"
    __table_args__ = (
        UniqueConstraint("status_change_id"),
        CheckConstraint("answer IS NULL OR answer IN ('ja', 'nein')", name="answer"),
        CheckConstraint("(answer IS NULL) = (answered_at IS NULL)", name="answered"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    status_change_id: Mapped[int] = mapped_column(ForeignKey("status_changes.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None]
    answer: Mapped[str | None] = mapped_column(String(4))
    comment: Mapped[str] = mapped_column(Text, default="")

    report: Mapped[Report] = relationship()
    status_change: Mapped[StatusChange] = relationship()


VOTE_KINDS = ("ich_auch", "nicht_behoben")


class ReportVote(db.Model):
    """One anonymous "Ich auch" or "Noch nicht behoben" from one browser. The browser is named
    by a keyed digest of a random cookie value (``app.feedback.browser``): no IP address, no
    account, nothing that leads back to a person."""

    __tablename__ = "report_votes"
    __table_args__ = (CheckConstraint("kind IN ('ich_auch', 'nicht_behoben')", name="kind"),
                      Index("ix_report_votes_report_kind_browser", "report_id", "kind", "browser_digest"))

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    browser_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
