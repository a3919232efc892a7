from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import db, utcnow


class ScheduledRun(db.Model):
    """One periodic task's run in one time slot, claimed by the scheduler that enqueued it.

    The primary key is the lock: of two schedulers (two nodes, a deploy overlap) only the
    one whose insert commits enqueues the slot's job; the other finds the row. It lives in
    PostgreSQL, so a Redis restart that loses its keys cannot let a slot run twice.
    """

    __tablename__ = "scheduled_runs"

    task: Mapped[str] = mapped_column(String(50), primary_key=True)
    slot: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    enqueued_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
