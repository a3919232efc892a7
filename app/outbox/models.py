from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Index, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from app.db import db, utcnow


class OutboxMessage(db.Model):
    """A message to deliver, written in the same transaction as its cause.

    The payload holds ids only; the job reads recipients and texts when it runs, so
    no contact data is copied into the queue (Redis) or its logs.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint("state in ('pending','sent','failed','cancelled')", name="state"),
        Index("ix_outbox_messages_pending", "next_attempt_at", postgresql_where="state = 'pending'"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    kind: Mapped[str] = mapped_column(String(50))
    channel: Mapped[str] = mapped_column(String(20), default="email")
    # Unique per logical message, so a cause recorded twice yields one message.
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[dict] = mapped_column(JSONB, default=dict)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    enqueued_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
