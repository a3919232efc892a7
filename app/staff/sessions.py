"""Staff sessions the server can end.

The signed cookie holds a random session token and the time of the last request; the database
holds the token's hash (``StaffSession``). A session counts only while its row exists, it is younger
than ``STAFF_SESSION_MAX_HOURS`` and the last request is less than ``STAFF_SESSION_IDLE_MINUTES``
ago. Sign-out deletes the row; a password change, deactivation and "überall abmelden" delete every
row of the account, so a copied cookie opens nothing afterwards.
"""
from __future__ import annotations

import hashlib
import secrets
import time
from datetime import timedelta

from flask import current_app, g, session
from sqlalchemy import delete, select

from app.db import db, utcnow
from app.staff.models import StaffSession, StaffUser

# The idle clock in the cookie is moved on at most once a minute, so not every request
# rewrites the cookie.
_SEEN_RESOLUTION = 60


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _max_age() -> timedelta:
    return timedelta(hours=int(current_app.config["STAFF_SESSION_MAX_HOURS"]))


def start(user: StaffUser) -> None:
    """A new session for ``user`` in this browser (flushes; the caller commits). Rows of the
    account past their lifetime are removed on the way."""
    db.session.execute(delete(StaffSession).where(StaffSession.staff_user_id == user.id,
                                                  StaffSession.created_at < utcnow() - _max_age()))
    token = secrets.token_urlsafe(32)
    db.session.add(StaffSession(staff_user_id=user.id, token_hash=_hash(token), created_at=utcnow()))
    db.session.flush()
    session["staff_sid"] = token
    session["staff_seen"] = int(time.time())
    # The town whose host the session was made on: it counts there only (app/staff/auth.py).
    session["staff_town"] = g.get("jurisdiction_id")


def started_in_town() -> int | None:
    """The town id of the host this browser's session was started on."""
    return session.get("staff_town")


def current_user() -> StaffUser | None:
    """The account of this browser's session if the session is still valid, else None (and the
    session's keys are dropped from the cookie). Session and account in one statement: it is
    asked on every staff page."""
    token = session.get("staff_sid")
    if not isinstance(token, str):
        return None
    seen = session.get("staff_seen")
    now = int(time.time())
    idle = int(current_app.config["STAFF_SESSION_IDLE_MINUTES"]) * 60
    row = None
    if isinstance(seen, int) and now - seen < idle:
        row = db.session.execute(select(StaffUser, StaffSession.created_at)
                                 .join(StaffSession, StaffSession.staff_user_id == StaffUser.id)
                                 .where(StaffSession.token_hash == _hash(token))).first()
    if row is None or row.created_at < utcnow() - _max_age():
        forget()
        return None
    if now - seen >= _SEEN_RESOLUTION:
        session["staff_seen"] = now
    return row.StaffUser


def end_current() -> None:
    """Sign-out: this browser's session row goes (flushes) and the cookie forgets it."""
    token = session.get("staff_sid")
    if isinstance(token, str):
        db.session.execute(delete(StaffSession).where(StaffSession.token_hash == _hash(token)))
        db.session.flush()
    forget()


def end_all(user: StaffUser) -> int:
    """Every session of ``user`` ends at once (flushes); returns how many there were."""
    result = db.session.execute(delete(StaffSession).where(StaffSession.staff_user_id == user.id))
    db.session.flush()
    return result.rowcount or 0


def purge_expired(now, max_hours: int) -> int:
    """Delete the rows of every session past its absolute lifetime (retention); returns how many."""
    result = db.session.execute(delete(StaffSession).where(StaffSession.created_at < now - timedelta(hours=max_hours)))
    return result.rowcount or 0


def forget() -> None:
    session.pop("staff_sid", None)
    session.pop("staff_seen", None)
    session.pop("staff_town", None)
