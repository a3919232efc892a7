"""RQ jobs: module-level functions that take ids (or nothing) and are safe to run twice.

They run inside the app context that ``flask worker`` pushes. The outbox row, not
the RQ job, is the unit of delivery: a job only says "there is work", so a job run
twice, or a job lost with Redis, never changes how often a mail is sent.
"""
from __future__ import annotations

import logging

from flask import current_app

log = logging.getLogger(__name__)


def drain_outbox() -> dict:
    """Deliver one batch of due outbox messages; queue a follow-up job if more are due.

    Small batches keep a warm shutdown (SIGTERM) quick: the worker finishes the
    current batch, the follow-up job waits in Redis for the next worker.
    """
    from app.outbox.relay import KICK_FLAG, due_count, kick
    from workers.delivery import drain
    from workers.queue import redis

    # Cleared first: anything committed from now on queues another drain job.
    redis().delete(KICK_FLAG)
    outcomes = drain()
    from app.db import db

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
    """Deliver one message now if it is due (kept for callers that name a row)."""
    from workers.delivery import drain

    outcomes = drain(limit=1, only_id=message_id)
    if not outcomes:
        return "not-due-or-taken"
    return next(k for k in ("sent", "cancelled", "retry", "failed", "released") if outcomes.get(k))


def send_department_digests() -> int:
    """Record the daily digest for every department whose digest hour has come."""
    from app.db import db
    from app.outbox.department import record_due_digests

    count = record_due_digests()
    db.session.commit()
    return count


def send_reminders() -> int:
    """Record reminders for reports that sit longer in a status than their category allows."""
    from app.db import db
    from app.outbox.department import record_due_reminders

    count = record_due_reminders()
    db.session.commit()
    return count


def run_retention() -> dict:
    """Anonymise closed reports and delete unconfirmed ones after their retention period."""
    from workers.retention import apply_retention

    result = apply_retention(current_app.config)
    return result.as_dict()
