"""Secrets handed to reporters: the tracking token and the e-mail confirmation link."""
from __future__ import annotations

import hashlib
import secrets

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer


def new_tracking_token() -> str:
    return secrets.token_urlsafe(24)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="confirm-reporter-email")


def _email_digest(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:16]


def confirm_email_token(report) -> str:
    """A link token only sent to the address itself: holding the tracking link is not enough."""
    return _serializer().dumps({"r": report.id, "e": _email_digest(report.reporter_email or "")})


def read_confirm_email_token(token: str) -> tuple[int, str] | None:
    try:
        data = _serializer().loads(token)
        return int(data["r"]), str(data["e"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None


def email_matches(report, digest: str) -> bool:
    return bool(report.reporter_email) and secrets.compare_digest(_email_digest(report.reporter_email), digest)
