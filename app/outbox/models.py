from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text
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
        CheckConstraint("state in ('pending','sending','sent','failed','cancelled')", name="state"),
        Index("ix_outbox_messages_pending", "next_attempt_at", postgresql_where="state = 'pending'"),
        Index("ix_outbox_messages_sending", "lease_until", postgresql_where="state = 'sending'"),
        Index("ix_outbox_messages_failed", "failed_at", postgresql_where="state = 'failed'"),
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
    # A worker that claimed the message owns it until ``lease_until`` (state 'sending');
    # after that another worker may take it over (see app/outbox/delivery.py).
    lease_until: Mapped[datetime | None]
    claimed_by: Mapped[str] = mapped_column(String(100), default="", server_default="")
    # When it was parked as 'failed' after the last try (admins see and retry these).
    failed_at: Mapped[datetime | None]
    # The town the message is for: its links, name and sender are that town's (migration 2500;
    # NULL: the default town). The operator's health page counts failed mails per town by it.
    jurisdiction_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdictions.id", ondelete="CASCADE"),
                                                        index=True)
