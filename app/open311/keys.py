"""API keys: created, checked, revoked. Operations flush; the caller commits."""
from __future__ import annotations

import hashlib
import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.db import db, utcnow
from app.errors import DomainError
from app.jurisdictions.models import Jurisdiction
from app.open311.models import ACTIONS, ApiClient

KEY_PREFIX = "mm311_"
MIN_CHOSEN_KEY_LENGTH = 16


def hash_key(raw: str) -> str:
    """SHA-256 of the key. Enough for 256-bit random keys (no dictionary to try), and
    cheap enough to look a client up on every request without a slow KDF."""
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def create_client(jurisdiction: Jurisdiction, name: str, actions: list[str], *, rate_limit: str | None = None,
                  key: str | None = None) -> tuple[ApiClient, str]:
    """Register a client and return it with its key in clear text (shown once, stored hashed).

    ``key`` lets the demo take a chosen value (OPEN311_DEMO_KEY); it must be at least
    16 characters. Raises ``DomainError`` for an unknown action, an empty name, a
    malformed rate limit or a key that is already in use.
    """
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise DomainError(_l("Bitte geben Sie einen Namen (höchstens 200 Zeichen) für den Zugang an."), "name")
    unknown = [a for a in actions if a not in ACTIONS]
    if unknown or not actions:
        raise DomainError(_l("Unbekannte Berechtigung. Erlaubt sind: %(actions)s.", actions=", ".join(ACTIONS)),
                          "allowed_actions")
    if rate_limit is not None:
        from limits import parse_many

        try:
            parse_many(rate_limit)
        except ValueError:
            raise DomainError(_l("Das Limit muss die Form „60/minute;1000/day“ haben."), "rate_limit")
    if key is not None and len(key) < MIN_CHOSEN_KEY_LENGTH:
        raise DomainError(_l("Ein gewählter Schlüssel muss mindestens %(n)s Zeichen lang sein.",
                             n=MIN_CHOSEN_KEY_LENGTH), "key")
    raw = key or new_key()
    if db.session.scalar(select(ApiClient.id).where(ApiClient.key_hash == hash_key(raw))) is not None:
        raise DomainError(_l("Dieser Schlüssel ist bereits vergeben."), "key")
    client = ApiClient(jurisdiction=jurisdiction, name=name, key_hash=hash_key(raw), key_prefix=raw[:10],
                       allowed_actions=sorted(set(actions)))
    if rate_limit:
        client.rate_limit = rate_limit
    db.session.add(client)
    db.session.flush()
    return client, raw


def client_for_key(raw: str | None) -> ApiClient | None:
    """The active client holding ``raw``, or None."""
    if not raw or len(raw) > 200:
        return None
    client = db.session.scalar(select(ApiClient).where(ApiClient.key_hash == hash_key(raw)))
    return client if client is not None and client.active else None


def revoke_client(client: ApiClient) -> None:
    """Revoke the key at once (idempotent); the row stays for the audit trail."""
    if client.revoked_at is None:
        client.revoked_at = utcnow()
        db.session.flush()


def ensure_demo_client(jurisdiction: Jurisdiction, chosen: str | None) -> tuple[ApiClient, str | None]:
    """The demo's key: ``chosen`` (OPEN311_DEMO_KEY) if given, else a new random one.

    Returns the client and the clear key. Running it again with the same chosen key
    keeps (or re-activates) that client; a new random key replaces (revokes) an
    earlier demo key, since that key's clear text was never kept.
    """
    name = "Demo-Zugang"
    if chosen:
        existing = db.session.scalar(select(ApiClient).where(ApiClient.key_hash == hash_key(chosen)))
        if existing is not None:
            existing.revoked_at = None
            db.session.flush()
            return existing, chosen
    for old in db.session.scalars(select(ApiClient).where(ApiClient.jurisdiction_id == jurisdiction.id,
                                                          ApiClient.name == name, ApiClient.revoked_at.is_(None))):
        revoke_client(old)
    return create_client(jurisdiction, name, list(ACTIONS), key=chosen or None)
