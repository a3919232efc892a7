"""Limits per recipient address for mails to an address someone typed in.

A stranger can type anybody's address into the follow form, an area alert, a report or the
password reset form; per-client limits do not stop many clients (or many IPv6 addresses) from
mail-bombing one victim. So every confirmation or sign-in mail counts against its recipient:
at most ``CONFIRMATION_MAILS_PER_ADDRESS`` a day across all features, counted in Redis under an
HMAC (with SECRET_KEY) of the normalized address, so Redis holds no address and no plain hash
that a list of addresses could be matched against. Features call ``may_mail`` before recording
the message and give the person typing the same answer either way.

With Redis unreachable the mail is allowed (fail open) and a line without the address is logged:
the per-client limits and the re-offer of a pending confirmation still hold.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import timedelta

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import or_, select

from app.db import db, utcnow
from app.outbox.models import OutboxMessage
from app.validation import recipient_key

log = logging.getLogger(__name__)
WINDOW_SECONDS = 24 * 3600
# A confirmation mailed this recently is offered again ("look in your mailbox"), not sent again.
RESEND_AFTER = timedelta(hours=1)


def cap_key(address: str) -> str:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return "mm:mailcap:" + hmac.new(secret, recipient_key(address).encode(), hashlib.sha256).hexdigest()


def may_mail(address: str) -> bool:
    """Count one mail to ``address``; False once today's cap for the address is reached."""
    from workers.queue import redis

    cap = int(current_app.config["CONFIRMATION_MAILS_PER_ADDRESS"])
    key = cap_key(address)
    try:
        pipe = redis().pipeline()
        pipe.incr(key)
        pipe.expire(key, WINDOW_SECONDS, nx=True)
        count = pipe.execute()[0]
    except (RedisError, OSError):
        log.warning("recipient mail cap not checked: Redis unreachable (mail allowed)")
        return True
    if count > cap:
        log.info("recipient mail cap reached (%s mails in 24 h); mail not sent", cap)
        return False
    return True


def recently_mailed(kind: str, dedup_prefix: str) -> bool:
    """A message of ``kind`` whose key starts with ``dedup_prefix`` is on its way, or went out
    less than ``RESEND_AFTER`` ago: a pending confirmation is re-offered, not re-sent."""
    return db.session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.kind == kind,
        or_(OutboxMessage.dedup_key == dedup_prefix, OutboxMessage.dedup_key.like(dedup_prefix + ":%")),
        or_(OutboxMessage.state.in_(("pending", "sending")), OutboxMessage.created_at > utcnow() - RESEND_AFTER))
        .limit(1)) is not None
