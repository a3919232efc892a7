"""The single-use sign-in link of Meine Meldungen and the session token it opens."""
from __future__ import annotations

import hashlib
import secrets

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

LINK_MINUTES = 30


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="citizen-sign-in")


def sign_in_token(sign_in_id: int) -> str:
    """Names the sign-in row only; single use is the row's ``link_used_at``."""
    return _serializer().dumps({"s": int(sign_in_id)})


def read_sign_in_token(token: str) -> int | None:
    try:
        return int(_serializer().loads(token, max_age=LINK_MINUTES * 60)["s"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def session_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
