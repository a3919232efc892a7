"""RQ jobs: module-level functions that take ids and are safe to run twice.

They run inside the app context that ``flask worker`` pushes.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app

from app.db import db, utcnow
from app.outbox.messages import build_message
from app.outbox.models import OutboxMessage
from workers.mail import MailError, send_email
from workers.queue import RETRY_INTERVALS

log = logging.getLogger(__name__)


def deliver_outbox_message(message_id: int) -> str:
    """Send one outbox message unless it was already sent; returns what happened.

    The row stays locked while the message is sent, so two workers that got the
    same id (a relay re-enqueue racing a slow job) cannot both send it.
    """
    try:
        message = db.session.get(OutboxMessage, message_id, with_for_update={"skip_locked": True})
        if message is None:
            return "locked-or-missing"
        if message.state != "pending":
            return f"already-{message.state}"
        email = build_message(message)
        if email is None:
            message.state = "cancelled"
            message.last_error = "no recipient"
            db.session.commit()
            return "cancelled"
        message.attempts += 1
        try:
            send_email(email, current_app.config)
        except MailError as exc:
            message.last_error = str(exc)[:2000]
            if message.attempts > len(RETRY_INTERVALS):
                message.state = "failed"
            else:
                message.next_attempt_at = utcnow() + timedelta(seconds=RETRY_INTERVALS[message.attempts - 1])
            db.session.commit()
            log.warning("outbox message %s (%s) attempt %s failed: %s", message.id, message.kind, message.attempts, exc)
            if message.state == "failed":
                return "failed"
            raise
        message.state = "sent"
        message.sent_at = utcnow()
        message.last_error = ""
        db.session.commit()
        return "sent"
    finally:
        db.session.remove()
