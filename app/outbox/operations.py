"""Recording messages in the outbox, inside the caller's transaction."""
from __future__ import annotations

from sqlalchemy import select

from app.db import db
from app.outbox.models import OutboxMessage


def record_message(kind: str, dedup_key: str, payload: dict, channel: str = "email") -> OutboxMessage:
    """Add a message to the outbox (flushes, never commits).

    A second call with the same ``dedup_key`` in the same or a later transaction
    returns the existing row, so a cause handled twice yields one message.
    """
    existing = db.session.scalar(select(OutboxMessage).where(OutboxMessage.dedup_key == dedup_key))
    if existing is not None:
        return existing
    message = OutboxMessage(kind=kind, dedup_key=dedup_key, payload=payload, channel=channel)
    db.session.add(message)
    db.session.flush()
    return message
