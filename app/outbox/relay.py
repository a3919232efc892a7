"""Pushing outbox rows to RQ after the commit, and sweeping up what was missed.

New rows are collected when the session flushes and enqueued only once the
transaction committed, so a worker never races the request for a row that does
not exist yet. If Redis is down at that moment the rows simply stay pending; the
periodic sweep (``flask outbox-relay``) enqueues them later.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import Flask
from sqlalchemy import event, or_, select, update
from sqlalchemy.orm import Session

from app.db import db, utcnow
from app.outbox.models import OutboxMessage

log = logging.getLogger(__name__)
_PENDING_KEY = "outbox_new_ids"


def _job_id(message_id: int) -> str:
    return f"outbox-{message_id}"


def enqueue_messages(message_ids: list[int]) -> int:
    """Put the given outbox ids on the mail queue; returns how many were enqueued."""
    from workers.queue import QUEUE_MAIL, get_queue, retry_policy

    if not message_ids:
        return 0
    queue = get_queue(QUEUE_MAIL)
    with queue.connection.pipeline() as pipe:
        for message_id in message_ids:
            queue.enqueue("workers.jobs.deliver_outbox_message", message_id, job_id=_job_id(message_id),
                          retry=retry_policy(), result_ttl=3600, failure_ttl=7 * 86400, pipeline=pipe)
        pipe.execute()
    return len(message_ids)


def _after_flush(session: Session, _flush_context) -> None:
    new_ids = [obj.id for obj in session.new if isinstance(obj, OutboxMessage)]
    if new_ids:
        session.info.setdefault(_PENDING_KEY, []).extend(new_ids)


def _after_commit(session: Session) -> None:
    ids = session.info.pop(_PENDING_KEY, [])
    if not ids:
        return
    try:
        enqueue_messages(ids)
    except Exception as exc:  # Redis unreachable: the sweep will deliver them.
        log.warning("could not enqueue %d outbox messages now (%s); the relay sweep will", len(ids), type(exc).__name__)
        return
    # Marks the rows as handed to the queue; a separate short statement, because the
    # committed transaction is over. Failing here only means the sweep re-enqueues.
    try:
        with db.engine.begin() as conn:
            conn.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(enqueued_at=utcnow()))
    except Exception:
        log.warning("could not mark %d outbox messages as enqueued", len(ids))


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


def sweep(stale_after: timedelta = timedelta(minutes=2), limit: int = 5000) -> int:
    """Enqueue pending messages that are due and were never (or long ago) enqueued."""
    now = utcnow()
    ids = list(db.session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.state == "pending", OutboxMessage.next_attempt_at <= now,
               or_(OutboxMessage.enqueued_at.is_(None), OutboxMessage.enqueued_at < now - stale_after))
        .order_by(OutboxMessage.id).limit(limit)
    ))
    if not ids:
        return 0
    enqueue_messages(ids)
    db.session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(enqueued_at=now))
    db.session.commit()
    return len(ids)


def init_app(app: Flask) -> None:
    # Listen on the Session class: Flask-SQLAlchemy's scoped sessions (and the test
    # fixtures' sessions) are all instances of it.
    from flask_sqlalchemy.session import Session as FlaskSession

    if not event.contains(FlaskSession, "after_flush", _after_flush):
        event.listen(FlaskSession, "after_flush", _after_flush)
        event.listen(FlaskSession, "after_commit", _after_commit)
        event.listen(FlaskSession, "after_rollback", _after_rollback)
