""""One per browser" without knowing who anyone is.

The first vote from a browser sets a cookie holding a random value; the database keeps only an
HMAC of it (with SECRET_KEY), so a stored vote leads neither to a person nor to an IP address
(DSGVO Art. 5(1)(c)). Clearing the cookie allows another vote: the per-client rate limit of the
vote routes is what stops a flood.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import Response, current_app, request

COOKIE = "mm_browser"
COOKIE_MAX_AGE = 365 * 24 * 3600


def browser_value() -> tuple[str, bool]:
    """This browser's cookie value and whether it is new (then ``remember`` must set it)."""
    value = request.cookies.get(COOKIE, "")
    if 20 <= len(value) <= 64 and value.replace("-", "").replace("_", "").isalnum():
        return value, False
    return secrets.token_urlsafe(24), True


def browser_digest(value: str) -> str:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, b"browser:" + value.encode(), hashlib.sha256).hexdigest()


def remember(response: Response, value: str) -> Response:
    response.set_cookie(COOKIE, value, max_age=COOKIE_MAX_AGE, httponly=True, samesite="Lax",
                        secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    return response
