"""Link tokens for follow confirmation and unsubscribing: signed, no login needed."""
from __future__ import annotations

import hashlib

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer


def email_digest(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def _serializer(salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=salt)


def unsubscribe_token(report_id: int, email: str) -> str:
    """Names the report and (as a digest) the address; only sent to that address."""
    return _serializer("unsubscribe").dumps({"r": int(report_id), "e": email_digest(email)[:32]})


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    try:
        data = _serializer("unsubscribe").loads(token)
        return int(data["r"]), str(data["e"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None


def follow_token(follower) -> str:
    return _serializer("follow-confirm").dumps({"f": follower.id, "e": email_digest(follower.email)[:32]})


def read_follow_token(token: str) -> tuple[int, str] | None:
    try:
        data = _serializer("follow-confirm").loads(token)
        return int(data["f"]), str(data["e"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None
