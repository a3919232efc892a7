"""Waking a worker after the commit, and sweeping up what was missed.

New rows are noticed when the session flushes; once the transaction committed, a
"drain" job is put on the mail queue (never before: a worker must not race the
request for a row that does not exist yet). The job claims whatever is due in the
outbox, so one job delivers many messages: the queue carries a wake-up call, the
database is the source of truth for what must be sent.

While a drain job waits in the queue, further commits do not add another one (a
Redis flag, cleared when the job starts), so 500 commits per second cost 500 cheap
``SET NX`` calls, not 500 jobs. If Redis is down at commit time nothing is lost:
the rows simply stay pending and the periodic sweep (``flask scheduler``) wakes a
worker once Redis is back.

The drain job itself (``drain_outbox``) lives here too: it is what the wake-up starts.
Jobs are enqueued by function reference; ``workers.jobs`` keeps the dotted paths of the
previous release resolvable for jobs still waiting in Redis.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import Flask
from sqlalchemy import event, func, or_, select
from sqlalchemy.orm import Session

from app.db import db, utcnow
from app.outbox.delivery import drain
from app.outbox.models import OutboxMessage
from workers.queue import QUEUE_MAIL, get_queue, redis

log = logging.getLogger(__name__)
_PENDING_KEY = "outbox_new_ids"
KICK_FLAG = "outbox:drain-queued"
# Upper bound for the flag, should a queued job vanish without clearing it.
KICK_FLAG_TTL = 60


def kick(force: bool = False, delay: float = 0.0) -> bool:
    """Make sure a drain job is queued; returns True if this call enqueued one.

    Raises redis.exceptions.RedisError when Redis is unreachable.
    """
    queue = get_queue(QUEUE_MAIL)
    if delay > 0:
        # Needs RQ's scheduler (``flask worker`` runs it); the sweep is the fallback.
        queue.enqueue_in(timedelta(seconds=delay), drain_outbox, result_ttl=60, failure_ttl=7 * 86400)
        return True
    if not force and not queue.connection.set(KICK_FLAG, "1", nx=True, ex=KICK_FLAG_TTL):
        return False
    if force:
        queue.connection.set(KICK_FLAG, "1", ex=KICK_FLAG_TTL)
    queue.enqueue(drain_outbox, result_ttl=60, failure_ttl=7 * 86400)
    return True


def enqueue_messages(message_ids: list[int]) -> int:
    """Wake a worker for the given (committed) outbox ids; returns how many were handed over."""
    if not message_ids:
        return 0
    kick()
    return len(message_ids)


def _after_flush(session: Session, _flush_context) -> None:
    new_ids = [obj.id for obj in session.new if isinstance(obj, OutboxMessage)]
    if new_ids:
        note_new_messages(session, new_ids)


def note_new_messages(session: Session, ids: list[int]) -> None:
    """Tell the relay about rows inserted without the ORM (kicked after the commit)."""
    session.info.setdefault(_PENDING_KEY, []).extend(ids)


def _after_commit(session: Session) -> None:
    ids = session.info.pop(_PENDING_KEY, [])
    if not ids:
        return
    try:
        enqueue_messages(ids)
    except Exception as exc:  # Redis unreachable: the sweep will deliver them.
        log.warning("could not wake a worker for %d outbox messages now (%s); the relay sweep will",
                    len(ids), type(exc).__name__)


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


def due_count(stale_after: timedelta = timedelta(0)) -> int:
    """Messages a worker could claim now (pending and due, or 'sending' with a lapsed lease)."""
    now = utcnow()
    return db.session.scalar(select(func.count()).select_from(OutboxMessage).where(or_(
        (OutboxMessage.state == "pending") & (OutboxMessage.next_attempt_at <= now)
        & (OutboxMessage.created_at <= now - stale_after),
        (OutboxMessage.state == "sending") & (OutboxMessage.lease_until < now),
    ))) or 0


def sweep(stale_after: timedelta = timedelta(seconds=5), limit: int = 5000) -> int:
    """Wake a worker if messages are due that nobody is working on; returns how many.

    ``stale_after`` spares rows committed a moment ago, whose after-commit wake-up is
    normally already in the queue. ``limit`` is kept for compatibility.
    """
    count = due_count(stale_after)
    db.session.rollback()
    if not count:
        return 0
    kick(force=True)
    return count


def drain_outbox() -> dict:
    """RQ job: deliver one batch of due outbox messages; queue a follow-up job if more are due.

    Small batches keep a warm shutdown (SIGTERM) quick: the worker finishes the
    current batch, the follow-up job waits in Redis for the next worker. The outbox
    row, not the job, is the unit of delivery: a job run twice, or lost with Redis,
    never changes how often a mail is sent.
    """
    # Cleared first: anything committed from now on queues another drain job.
    redis().delete(KICK_FLAG)
    outcomes = drain()
    if outcomes.get("claimed") and due_count():
        kick()
    db.session.remove()
    retry_in = outcomes.pop("next_retry_seconds", None)
    if retry_in is not None:
        try:
            kick(delay=max(float(retry_in), 1.0))
        except Exception:  # no scheduler reachable: the periodic sweep picks them up
            log.info("could not schedule the retry drain; the sweep will")
    return dict(outcomes)


def deliver_outbox_message(message_id: int) -> str:
    """RQ job: deliver one message now if it is due (kept for callers that name a row)."""
    outcomes = drain(limit=1, only_id=message_id)
    if not outcomes:
        return "not-due-or-taken"
    return next(k for k in ("sent", "cancelled", "retry", "failed", "released") if outcomes.get(k))


def init_app(app: Flask) -> None:
    # Listen on the Session class: Flask-SQLAlchemy's scoped sessions (and the test
    # fixtures' sessions) are all instances of it.
    from flask_sqlalchemy.session import Session as FlaskSession

    if not event.contains(FlaskSession, "after_flush", _after_flush):
        event.listen(FlaskSession, "after_flush", _after_flush)
        event.listen(FlaskSession, "after_commit", _after_commit)
        event.listen(FlaskSession, "after_rollback", _after_rollback)
