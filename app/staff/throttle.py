"""Sign-in throttling that cannot lock out an account's owner.

Failed sign-ins are counted per (account name, client) and per client, each under an HMAC (with
SECRET_KEY) of its key, so the table names neither accounts nor addresses. After a few free
failures each further one doubles the wait before the next attempt from there is checked at all
(1 s, 2 s, 4 s … up to 15 minutes). The owner signing in from another client is never affected;
an attacker's guesses slow down for the pair and for the client. IPv6 clients count per /64, the
block one line or household usually has. Counts start afresh a day after the last failure.
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress
from datetime import timedelta

from flask import current_app
from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects.postgresql import insert

from app.db import db, utcnow
from app.staff.models import StaffLoginThrottle

FREE_PER_ACCOUNT_CLIENT = 3
FREE_PER_CLIENT = 10
MAX_DELAY = timedelta(minutes=15)
FORGET_AFTER = timedelta(days=1)


def client_key(address: str | None) -> str:
    """The client as counted: an IPv4 address, or the /64 of an IPv6 address."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return "unknown"
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _keys(username: str, client: str) -> dict[str, str]:
    secret = str(current_app.config["SECRET_KEY"]).encode()

    def digest(value: str) -> str:
        return hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()

    return {"account_client": digest(f"account:{username.strip().lower()}\x00{client}"),
            "client": digest(f"client:{client}")}


def _delay(failures: int, free: int) -> timedelta | None:
    if failures < free:
        return None
    return min(timedelta(seconds=2 ** min(failures - free, 20)), MAX_DELAY)


def is_throttled(username: str, client: str) -> bool:
    """True while a delay of the pair or of the client runs: the attempt is not checked."""
    now = utcnow()
    return db.session.scalar(select(StaffLoginThrottle.key).where(
        StaffLoginThrottle.key.in_(list(_keys(username, client).values())),
        StaffLoginThrottle.blocked_until > now).limit(1)) is not None


def record_failure(username: str, client: str) -> list[dict]:
    """Count a failed sign-in (flushes). Returns, for each scope whose delay starts now,
    ``{"scope", "failures", "delay_seconds"}`` for the audit log."""
    now = utcnow()
    started = []
    for scope, key in _keys(username, client).items():
        table = StaffLoginThrottle.__table__
        failures = db.session.scalar(
            insert(StaffLoginThrottle).values(key=key, failures=1, updated_at=now)
            .on_conflict_do_update(index_elements=["key"], set_={
                "failures": case((table.c.updated_at < now - FORGET_AFTER, 1), else_=table.c.failures + 1),
                "updated_at": now})
            .returning(StaffLoginThrottle.failures))
        delay = _delay(failures, FREE_PER_ACCOUNT_CLIENT if scope == "account_client" else FREE_PER_CLIENT)
        if delay is not None:
            db.session.execute(update(StaffLoginThrottle).where(StaffLoginThrottle.key == key)
                               .values(blocked_until=now + delay))
            started.append({"scope": scope, "failures": failures, "delay_seconds": int(delay.total_seconds())})
    db.session.flush()
    return started


def record_success(username: str, client: str) -> None:
    """The pair starts afresh after a correct password (flushes); the client's count stays."""
    db.session.execute(delete(StaffLoginThrottle).where(
        StaffLoginThrottle.key == _keys(username, client)["account_client"]))
    db.session.flush()


def purge(now=None) -> int:
    """Drop counts nobody added to for a day (retention); returns how many."""
    now = now or utcnow()
    result = db.session.execute(delete(StaffLoginThrottle).where(StaffLoginThrottle.updated_at < now - FORGET_AFTER,
                                                                (StaffLoginThrottle.blocked_until.is_(None))
                                                                | (StaffLoginThrottle.blocked_until < now)))
    return result.rowcount or 0
