"""Secrets handed to reporters: the tracking token and the e-mail confirmation link."""
from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer


def new_tracking_token() -> str:
    return secrets.token_urlsafe(24)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="confirm-reporter-email")


def _email_digest(email: str) -> str:
    # Keyed: the token's payload is readable, and a plain hash of an address can be matched
    # against a list of addresses.
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, b"reporter-email:" + email.strip().lower().encode(), hashlib.sha256).hexdigest()[:16]


def confirm_email_token(report) -> str:
    """A link token only sent to the address itself: holding the tracking link is not enough."""
    return _serializer().dumps({"r": report.id, "e": _email_digest(report.reporter_email or "")})


def read_confirm_email_token(token: str) -> tuple[int, str] | None:
    """(report id, address digest), or None for a bad link or one older than an unconfirmed
    report lives (``RETENTION_UNCONFIRMED_DAYS``): the link expires with what it confirms."""
    max_age = int(current_app.config["RETENTION_UNCONFIRMED_DAYS"]) * 24 * 3600
    try:
        data = _serializer().loads(token, max_age=max_age)
        return int(data["r"]), str(data["e"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None


def email_matches(report, digest: str) -> bool:
    return bool(report.reporter_email) and secrets.compare_digest(_email_digest(report.reporter_email), digest)
