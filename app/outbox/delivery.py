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
import threading
import time
from collections import Counter
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import Connection, select, text

from app.db import db
from app.outbox.messages import WebhookCall, prefetch, prepare
from app.outbox.models import OutboxMessage
from app.towncontext import using_town
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


def _reschedule(book: Connection, item: Claimed, error: str, permanent: bool, config=None) -> str:
    config = config if config is not None else current_app.config
    state = "failed" if permanent or item.attempts >= int(config["OUTBOX_MAX_ATTEMPTS"]) else "pending"
    delay = retry_delay(item.attempts, config) if state == "pending" else 0.0
    book.execute(_RESCHEDULE, {"id": item.id, "state": state, "error": error[:2000], "delay": delay})
    if state == "failed":
        log.warning("outbox message %s parked as failed after %s attempts: %s", item.id, item.attempts, error)
    else:
        log.info("outbox message %s attempt %s failed, next in %.0fs: %s", item.id, item.attempts, delay, error)
    return state


class Batch:
    """One drain run: build every claimed message, then send them over a few SMTP
    connections in parallel ("lanes").

    Building needs the ORM session and happens first, in this thread. Sending is
    waiting for network answers; with ``OUTBOX_SMTP_CONNECTIONS`` lanes those waits
    overlap. Each lane has its own SMTP connection and its own autocommit database
    connection and follows the per-message protocol of the module docstring, so a
    kill leaves at most one message per lane in the microsecond window described there.
    """

    def __init__(self, book: Connection):
        self.book = book
        self.config = current_app.config
        self.engine = db.engine
        self.outcomes: Counter[str] = Counter()
        self.next_retry: float | None = None
        self.prefetched: dict = {}
        self.lock = threading.Lock()

    def count(self, outcome: str, retry_in: float | None = None) -> None:
        with self.lock:
            self.outcomes[outcome] += 1
            if retry_in is not None:
                self.next_retry = retry_in if self.next_retry is None else min(self.next_retry, retry_in)

    def build(self, item: Claimed, message: OutboxMessage):
        """The mail or webhook call for ``item``, or None after recording why there is none."""
        try:
            with using_town(message.jurisdiction_id):  # links, name and sender of the message's town
                what, reason = prepare(message, self.prefetched)
        except Exception as exc:  # a bug or bad data: park it for an admin, keep the batch going
            log.exception("outbox message %s (%s) could not be built", item.id, message.kind)
            self.count(_reschedule(self.book, item, f"build error: {type(exc).__name__}: {exc}", True, self.config))
            return None
        if what is None:
            self.book.execute(_CANCEL, {"id": item.id, "reason": reason})
            self.count("cancelled")
        return what

    def send(self, book: Connection, mail: MailSession, item: Claimed, what) -> None:
        """Deliver one built message; raises ``MailError`` only when the server is unreachable."""
        try:
            if isinstance(what, WebhookCall):
                post_webhook(what.url, what.secret, what.event, what.payload, item.id,
                             float(self.config["WEBHOOK_TIMEOUT"]))
                book.execute(_MARK_SENT, {"id": item.id})
            else:
                mail.send(what, on_commit_point=lambda: book.execute(_MARK_SENT, {"id": item.id}))
        except MailError as exc:
            if exc.ambiguous:
                # See the module docstring: counted as sent, never resent blindly.
                log.warning("outbox message %s: connection lost after the end of DATA (%s); counted as sent",
                            item.id, exc)
                self.count("sent")
                return
            state = _reschedule(book, item, str(exc), exc.permanent, self.config)
            self.count("retry" if state == "pending" else "failed",
                       retry_delay(item.attempts, self.config) if state == "pending" else None)
            if exc.connection_failed:
                raise
            return
        self.count("sent")

    def lane(self, work: list, deadline: float, margin: float) -> None:
        mail = MailSession(self.config)
        try:
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as book:
                book.exec_driver_sql("SET synchronous_commit = off")
                try:
                    for index, (item, what) in enumerate(work):
                        if time.monotonic() > deadline - margin:
                            self.release(book, [i.id for i, _w in work[index:]])
                            break
                        try:
                            self.send(book, mail, item, what)
                        except MailError as exc:  # unreachable: the rest of this lane waits too
                            for rest, _what in work[index + 1:]:
                                state = _reschedule(book, rest, str(exc), False, self.config)
                                self.count("retry" if state == "pending" else "failed",
                                           retry_delay(rest.attempts, self.config))
                            break
                finally:
                    book.exec_driver_sql("RESET synchronous_commit")
        finally:
            mail.close()

    def run(self, items: list[Claimed]) -> None:
        lease = float(self.config["OUTBOX_LEASE_SECONDS"])
        margin = min(float(self.config["OUTBOX_LEASE_MARGIN_SECONDS"]), lease / 2)
        deadline = time.monotonic() + lease
        messages = {m.id: m for m in db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.id.in_([i.id for i in items])))}
        # What the features' builders will ask for, loaded in a few queries for the batch;
        # kept referenced so the session's identity map answers their ``session.get`` calls.
        self.prefetched = prefetch(list(messages.values()))
        built = [(item, what) for item in items if (what := self.build(item, messages[item.id])) is not None]
        lanes_wanted = max(1, int(self.config["OUTBOX_SMTP_CONNECTIONS"]))
        lanes = [built[n::lanes_wanted] for n in range(min(lanes_wanted, len(built)))]
        if len(lanes) <= 1:
            for work in lanes:
                self.lane(work, deadline, margin)
            return
        threads = [threading.Thread(target=self.lane, args=(work, deadline, margin), daemon=True) for work in lanes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def release(self, book: Connection, ids: list[int]) -> None:
        book.execute(_RELEASE, {"ids": ids})
        with self.lock:
            self.outcomes["released"] += len(ids)


def drain(limit: int | None = None, only_id: int | None = None) -> Counter[str]:
    """Claim and deliver one batch of due messages; returns counts per outcome.

    Bookkeeping goes through its own autocommit connection, so each state change is
    durable on its own and independent of the ORM session that builds the mails.
    """
    limit = limit or int(current_app.config["OUTBOX_BATCH_SIZE"])
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as book:
        # Each bookkeeping statement is visible to every other session the moment it
        # returns, and it survives the death of this worker; only a crash of PostgreSQL
        # itself within ~0.6 s could lose it (then a mail may go out twice). That saves
        # a disk flush per mail. Reset when the connection goes back to the pool.
        book.exec_driver_sql("SET synchronous_commit = off")
        try:
            items = claim(book, limit, only_id)
            if not items:
                return Counter()
            batch = Batch(book)
            try:
                batch.run(items)
            finally:
                db.session.remove()
            outcomes = batch.outcomes
            outcomes["claimed"] = len(items)
            if batch.next_retry is not None:
                outcomes["next_retry_seconds"] = int(batch.next_retry)
            return outcomes
        finally:
            try:
                book.exec_driver_sql("RESET synchronous_commit")
            except Exception:  # a broken connection is discarded by the pool anyway
                book.invalidate()
