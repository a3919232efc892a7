"""Link tokens for follow confirmation and unsubscribing: signed, no login needed.

A token's payload is readable by whoever holds the link (base64 JSON), so it names the address
only as a keyed digest (HMAC with SECRET_KEY): a plain SHA-256 of an address can be matched
against a list of addresses. ``email_digest`` (unkeyed) is what ``MailUnsubscribe`` stores in the
database, so that an unsubscribe outlives a change of SECRET_KEY; it never leaves the database.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer


def email_digest(email: str) -> str:
    """The stored form of an address in ``MailUnsubscribe`` (database only, never in a link)."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def link_digest(email: str) -> str:
    """The form of an address in a link token: keyed, so the link does not reveal it."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, b"mail-link:" + email.strip().lower().encode(), hashlib.sha256).hexdigest()[:32]


def digest_matches(email: str, token_digest: str, keyed: bool) -> bool:
    """Whether ``token_digest`` names ``email``; tokens of mails sent before the keyed digest
    (``keyed`` False) carry the first 32 hex digits of its plain SHA-256."""
    expected = link_digest(email) if keyed else email_digest(email)[:32]
    return secrets.compare_digest(expected, token_digest)


def _serializer(salt: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=salt)


def unsubscribe_token(report_id: int, email: str) -> str:
    """Names the report and (as a keyed digest) the address; only sent to that address."""
    return _serializer("unsubscribe").dumps({"r": int(report_id), "k": link_digest(email)})


def _read(salt: str, token: str, id_key: str) -> tuple[int, str, bool] | None:
    try:
        data = _serializer(salt).loads(token)
        keyed = "k" in data
        return int(data[id_key]), str(data["k"] if keyed else data["e"]), keyed
    except (BadSignature, KeyError, TypeError, ValueError):
        return None


def read_unsubscribe_token(token: str) -> tuple[int, str, bool] | None:
    """(report id, address digest, whether the digest is keyed) or None."""
    return _read("unsubscribe", token, "r")


def follow_token(follower) -> str:
    return _serializer("follow-confirm").dumps({"f": follower.id, "k": link_digest(follower.email)})


def read_follow_token(token: str) -> tuple[int, str, bool] | None:
    return _read("follow-confirm", token, "f")
