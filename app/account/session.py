"""Who is signed in to Meine Meldungen in this browser (for any page that wants to know,
e.g. the intake form that fills in the address)."""
from __future__ import annotations

from datetime import timedelta

from flask import session
from sqlalchemy import select

from app.account.models import CitizenSignIn
from app.account.tokens import session_hash
from app.db import db, utcnow
from app.jurisdictions.queries import this_town_id

# A session of Meine Meldungen lasts this long after the link was used (no idle extension: the
# page is for a look and a few changes, often on a shared computer).
SESSION_HOURS = 2
SESSION_KEY = "citizen_sid"


def current_email() -> str | None:
    """The address this browser is signed in with, or None."""
    token = session.get(SESSION_KEY)
    if not isinstance(token, str):
        return None
    email = db.session.scalar(select(CitizenSignIn.email).where(
        CitizenSignIn.session_hash == session_hash(token), CitizenSignIn.jurisdiction_id == this_town_id(),
        CitizenSignIn.link_used_at > utcnow() - timedelta(hours=SESSION_HOURS)))
    if email is None:
        session.pop(SESSION_KEY, None)
    return email
