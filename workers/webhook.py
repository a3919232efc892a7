"""The webhook channel: a signed JSON POST to a department's back-office system.

The receiver checks ``X-Maengelmelder-Signature`` = ``sha256=`` + HMAC-SHA256 of
``<timestamp>.<body>`` with the shared secret (timestamp in
``X-Maengelmelder-Timestamp``, reject old ones against replay), and treats
``Idempotency-Key`` (stable per outbox row) as the key to drop a repeated delivery:
an HTTP call that timed out may have been processed, so it is repeated.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request

from workers.mail import MailError


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # a signed POST is never re-sent elsewhere
        return None


def _opener() -> urllib.request.OpenerDirector:
    # Built per call, not at import: build_opener reads proxy settings from the environment.
    return urllib.request.build_opener(_NoRedirect)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def post_webhook(url: str, secret: str, event: str, payload: dict, delivery_id: int, timeout: float) -> int:
    """POST ``payload``; returns the HTTP status. Raises ``MailError`` (the channel error type)."""
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    timestamp = str(int(time.time()))
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Maengelmelder-Webhook/1",
        "X-Maengelmelder-Event": event,
        "X-Maengelmelder-Delivery": str(delivery_id),
        "Idempotency-Key": f"outbox-{delivery_id}",
        "X-Maengelmelder-Timestamp": timestamp,
        "X-Maengelmelder-Signature": signature(secret, timestamp, body),
    })
    try:
        with _opener().open(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
        # 4xx other than timeout/rate limit: the receiver will not take it on a retry either.
        permanent = 400 <= status < 500 and status not in (408, 409, 425, 429)
        raise MailError(f"webhook answered HTTP {status}", permanent=permanent) from exc
    except (OSError, ValueError) as exc:
        raise MailError(f"webhook: {type(exc).__name__}: {exc}"[:500]) from exc
