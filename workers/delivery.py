"""Delivering outbox messages: claim with a lease, send, record — once.

How a message travels
---------------------
1. **Claim** (one autocommitted statement): up to ``OUTBOX_BATCH_SIZE`` due rows go
   from 'pending' (or 'sending' with a lapsed lease) to 'sending', with
   ``lease_until``, ``claimed_by`` and ``attempts + 1``. ``FOR UPDATE SKIP LOCKED``
   lets several workers claim side by side without waiting for each other.
2. **Build** the mail from the database. Its Message-ID and Date derive from the
   row only, so every try produces the same message.
3. **Send** over one SMTP connection per batch, step by step: MAIL, RCPT, DATA, the
   content, then the final "." line. An SMTP server takes responsibility for a
   message when it reads that line; a connection that breaks before it makes the
   server discard the transaction (RFC 5321 §4.1.1.4).
4. **Record "sent"** immediately after writing the "." and *before* reading the
   server's answer (one autocommitted UPDATE). If the answer is a refusal, the row
   goes back to 'pending' (with backoff) or to 'failed'.

What a SIGKILL at any point leaves behind
-----------------------------------------
* before the claim commits: the row is 'pending' → claimed again. Nothing sent.
* after the claim, before the "." is written: the row is 'sending'; the SMTP
  server saw the connection drop mid-transaction and discarded it. When the lease
  runs out another worker sends it → exactly one delivery.
* after the "sent" UPDATE reached PostgreSQL: PostgreSQL commits a statement it
  has received even if the client dies before reading the reply; the row is 'sent'
  and the server has the complete message → exactly one delivery.
* **the one window left** is between writing the "." and writing the UPDATE: a
  few microseconds of Python with no I/O wait between two ``send()`` calls (the
  UPDATE does not wait for the SMTP answer, which is what makes the window this
  small — waiting for "250" first would widen it to a network round trip plus the
  server's work, about a millisecond locally). A kill exactly there leaves a row
  'sending' although the server has the message; after the lease it is sent again,
  *byte for byte the same, with the same Message-ID*.

Why not zero: the SMTP server and PostgreSQL are two systems without a shared
commit, and SMTP has no idempotent submission; no ordering of two writes to two
sockets is atomic against SIGKILL. What real mail systems offer for the remaining
case is the Message-ID: receiving stores fold duplicates by it (Cyrus IMAP's
duplicate delivery suppression, the Sieve "duplicate" extension RFC 7352,
Gmail/Exchange), which is why it is deterministic here. The opposite ordering
(record first, then write ".") would turn the same window into a silently lost
mail, which is worse than a duplicate that carries its own dedup key.

Other limits, stated plainly:
* a server that refuses at the end of DATA *and* a kill between our "sent" UPDATE
  and the corrective UPDATE → recorded as sent although refused (a refusal after
  DATA is rare; the test server refuses at RCPT);
* a connection that breaks after the "." without an answer is counted as sent
  (the server most likely has it; resending would risk a duplicate);
* a worker paused longer than its lease (SIGSTOP, swap storm) can lose its rows to
  another worker and both may send; leases are generous (5 min) and a worker starts
  no message with less than ``OUTBOX_LEASE_MARGIN_SECONDS`` of its lease left;
* webhooks: the HTTP answer can be lost after the receiver acted, so a timed-out
  call is repeated with the same ``Idempotency-Key`` (at-least-once + dedup key).
"""
from __future__ import annotations

import logging
import os
import socket
import time
from collections import Counter
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import Connection, select, text

from app.db import db
from app.outbox.messages import WebhookCall, prepare
from app.outbox.models import OutboxMessage
from workers.mail import MailError, MailSession
from workers.webhook import post_webhook

log = logging.getLogger(__name__)

_CLAIM = text("""
    UPDATE outbox_messages
       SET state = 'sending', lease_until = now() + make_interval(secs => :lease),
           attempts = attempts + 1, claimed_by = :worker
     WHERE id IN (SELECT id FROM outbox_messages
                   WHERE ((state = 'pending' AND next_attempt_at <= now())
                          OR (state = 'sending' AND lease_until < now()))
                     AND (CAST(:only_id AS bigint) IS NULL OR id = CAST(:only_id AS bigint))
                   ORDER BY id
                   LIMIT :limit
                   FOR UPDATE SKIP LOCKED)
 RETURNING id, channel, attempts
""")
_MARK_SENT = text("""
    UPDATE outbox_messages SET state = 'sent', sent_at = now(), lease_until = NULL, last_error = ''
     WHERE id = :id AND state = 'sending'
""")
_RESCHEDULE = text("""
    UPDATE outbox_messages
       SET state = CAST(:state AS varchar), last_error = :error, lease_until = NULL,
           next_attempt_at = now() + make_interval(secs => :delay),
           failed_at = CASE WHEN CAST(:state AS varchar) = 'failed' THEN now() ELSE NULL END,
           sent_at = NULL
     WHERE id = :id AND state IN ('sending', 'sent')
""")
_CANCEL = text("""
    UPDATE outbox_messages SET state = 'cancelled', last_error = :reason, lease_until = NULL
     WHERE id = :id AND state = 'sending'
""")
_RELEASE = text("""
    UPDATE outbox_messages SET state = 'pending', lease_until = NULL, attempts = attempts - 1
     WHERE id = ANY(:ids) AND state = 'sending'
""")


@dataclass
class Claimed:
    id: int
    channel: str
    attempts: int


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def retry_delay(attempts: int, config) -> float:
    """Exponential backoff: base, 2×base, 4×base, … capped."""
    base, cap = float(config["OUTBOX_RETRY_BASE_SECONDS"]), float(config["OUTBOX_RETRY_CAP_SECONDS"])
    return min(cap, base * (2 ** max(attempts - 1, 0)))


def claim(book: Connection, limit: int, only_id: int | None = None) -> list[Claimed]:
    config = current_app.config
    rows = book.execute(_CLAIM, {"lease": float(config["OUTBOX_LEASE_SECONDS"]), "worker": worker_name(),
                                 "limit": limit, "only_id": only_id}).all()
    return sorted((Claimed(r.id, r.channel, r.attempts) for r in rows), key=lambda c: c.id)


def _reschedule(book: Connection, item: Claimed, error: str, permanent: bool) -> str:
    config = current_app.config
    state = "failed" if permanent or item.attempts >= int(config["OUTBOX_MAX_ATTEMPTS"]) else "pending"
    delay = retry_delay(item.attempts, config) if state == "pending" else 0.0
    book.execute(_RESCHEDULE, {"id": item.id, "state": state, "error": error[:2000], "delay": delay})
    if state == "failed":
        log.warning("outbox message %s parked as failed after %s attempts: %s", item.id, item.attempts, error)
    else:
        log.info("outbox message %s attempt %s failed, next in %.0fs: %s", item.id, item.attempts, delay, error)
    return state


class Batch:
    """One drain run: the claimed rows, the bookkeeping connection and the SMTP session."""

    def __init__(self, book: Connection):
        self.book = book
        self.config = current_app.config
        self.mail = MailSession(self.config)
        self.outcomes: Counter[str] = Counter()
        self.next_retry: float | None = None

    def deliver(self, item: Claimed, message: OutboxMessage) -> str:
        try:
            what, reason = prepare(message)
        except Exception as exc:  # a bug or bad data: park it for an admin, keep the batch going
            log.exception("outbox message %s (%s) could not be built", item.id, message.kind)
            return _reschedule(self.book, item, f"build error: {type(exc).__name__}: {exc}", permanent=True)
        if what is None:
            self.book.execute(_CANCEL, {"id": item.id, "reason": reason})
            return "cancelled"
        try:
            if isinstance(what, WebhookCall):
                post_webhook(what.url, what.secret, what.event, what.payload, item.id,
                             float(self.config["WEBHOOK_TIMEOUT"]))
                self.book.execute(_MARK_SENT, {"id": item.id})
            else:
                self.mail.send(what, on_commit_point=lambda: self.book.execute(_MARK_SENT, {"id": item.id}))
        except MailError as exc:
            if exc.ambiguous:
                # See the module docstring: counted as sent, never resent blindly.
                log.warning("outbox message %s: connection lost after the end of DATA (%s); counted as sent",
                            item.id, exc)
                return "sent"
            state = _reschedule(self.book, item, str(exc), exc.permanent)
            if state == "pending":
                delay = retry_delay(item.attempts, self.config)
                self.next_retry = delay if self.next_retry is None else min(self.next_retry, delay)
            if exc.connection_failed:
                raise
            return "retry" if state == "pending" else "failed"
        return "sent"

    def run(self, items: list[Claimed]) -> None:
        lease = float(self.config["OUTBOX_LEASE_SECONDS"])
        margin = min(float(self.config["OUTBOX_LEASE_MARGIN_SECONDS"]), lease / 2)
        deadline = time.monotonic() + lease
        messages = {m.id: m for m in db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.id.in_([i.id for i in items])))}
        for index, item in enumerate(items):
            if time.monotonic() > deadline - margin:
                self.release(items[index:])
                break
            try:
                outcome = self.deliver(item, messages[item.id])
            except MailError as exc:  # the server is unreachable: the rest of the batch waits too
                self.outcomes["retry"] += 1
                for rest in items[index + 1:]:
                    if rest.channel == "webhook":
                        self.outcomes[self.deliver(rest, messages[rest.id])] += 1
                    else:
                        self.outcomes[_reschedule(self.book, rest, str(exc), permanent=False)] += 1
                break
            self.outcomes[outcome] += 1

    def release(self, items: list[Claimed]) -> None:
        self.book.execute(_RELEASE, {"ids": [i.id for i in items]})
        self.outcomes["released"] += len(items)


def drain(limit: int | None = None, only_id: int | None = None) -> Counter[str]:
    """Claim and deliver one batch of due messages; returns counts per outcome.

    Bookkeeping goes through its own autocommit connection, so each state change is
    durable on its own and independent of the ORM session that builds the mails.
    """
    limit = limit or int(current_app.config["OUTBOX_BATCH_SIZE"])
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as book:
        items = claim(book, limit, only_id)
        if not items:
            return Counter()
        batch = Batch(book)
        try:
            batch.run(items)
        finally:
            batch.mail.close()
            db.session.remove()
        outcomes = batch.outcomes
        outcomes["claimed"] = len(items)
        if batch.next_retry is not None:
            outcomes["next_retry_seconds"] = int(batch.next_retry)
        return outcomes
