"""Recording messages in the outbox, inside the caller's transaction."""
from __future__ import annotations

from sqlalchemy import select

from app.db import db
from app.outbox.models import OutboxMessage
from app.towncontext import current_town_id


def record_message(kind: str, dedup_key: str, payload: dict, channel: str = "email",
                   jurisdiction_id: int | None = None) -> OutboxMessage:
    """Add a message to the outbox (flushes, never commits). It is for ``jurisdiction_id``
    (default: the town of the request or of ``using_town``): built with that town's links.

    A second call with the same ``dedup_key`` in the same or a later transaction
    returns the existing row, so a cause handled twice yields one message.
    """
    existing = db.session.scalar(select(OutboxMessage).where(OutboxMessage.dedup_key == dedup_key))
    if existing is not None:
        return existing
    message = OutboxMessage(kind=kind, dedup_key=dedup_key, payload=payload, channel=channel,
                            jurisdiction_id=jurisdiction_id if jurisdiction_id is not None else current_town_id())
    db.session.add(message)
    db.session.flush()
    return message


def retry_failed(message_id: int, town_id: int | None = None) -> OutboxMessage:
    """Put a parked ('failed') message back in line with fresh tries (flushes).

    Raises ``NotFound`` if there is no such message, ``DomainError`` if it is not parked.
    """
    from flask_babel import lazy_gettext as _l

    from app.db import utcnow
    from app.errors import DomainError, NotFound

    message = db.session.get(OutboxMessage, message_id, with_for_update=True)
    if message is not None and town_id is not None and message.jurisdiction_id not in (town_id, None):
        message = None  # another town's message: not found for this town's admin
        raise NotFound(_l("Diese Nachricht gibt es nicht."))
    if message.state != "failed":
        raise DomainError(_l("Nur fehlgeschlagene Nachrichten können erneut versucht werden."), "message")
    message.state = "pending"
    message.attempts = 0
    message.next_attempt_at = utcnow()
    message.failed_at = None
    db.session.flush()
    # The relay wakes a worker after the commit, as for a new message.
    from app.outbox.relay import note_new_messages

    note_new_messages(db.session(), [message.id])
    return message
