"""API keys: the CLI (create, list, revoke, demo key from OPEN311_DEMO_KEY) and rate limits per key."""
from __future__ import annotations

import re

from sqlalchemy import select, text

from app.db import db
from app.extensions import limiter
from app.open311.keys import client_for_key, create_client, hash_key
from app.open311.models import ApiClient
from tests.factories import HARSEWINKEL, town


def _cleanup():
    db.session.remove()
    with db.engine.begin() as conn:
        conn.execute(text("TRUNCATE open311_update_receipts, open311_submissions, open311_api_clients "
                          "RESTART IDENTITY CASCADE"))


def test_cli_creates_lists_and_revokes_keys(committing):
    runner = committing.test_cli_runner()
    try:
        result = runner.invoke(args=["open311", "create-key", "--name", "Stadt-App", "--action", "create_request",
                                     "--rate-limit", "5/minute"])
        assert result.exit_code == 0, result.output
        key = re.search(r": (mm311_\S+)", result.output).group(1)
        client = client_for_key(key)
        assert client.name == "Stadt-App" and client.allowed_actions == ["create_request"]
        assert client.rate_limit == "5/minute"
        listing = runner.invoke(args=["open311", "list-keys"]).output
        assert "Stadt-App" in listing and key not in listing and key[:10] in listing
        # Without --action a key may only create reports (status updates only when asked for).
        plain = runner.invoke(args=["open311", "create-key", "--name", "Bürger-App"])
        assert client_for_key(re.search(r": (mm311_\S+)", plain.output).group(1)).allowed_actions == ["create_request"]
        bad = runner.invoke(args=["open311", "create-key", "--name", "X", "--rate-limit", "viel"])
        assert bad.exit_code != 0 and "60/minute" in bad.output
        assert runner.invoke(args=["open311", "revoke-key", str(client.id)]).exit_code == 0
        db.session.expire_all()
        assert client_for_key(key) is None
        assert "revoked" in runner.invoke(args=["open311", "list-keys"]).output
    finally:
        _cleanup()


def test_demo_key_comes_from_the_environment_and_is_stable(committing, monkeypatch):
    runner = committing.test_cli_runner()
    try:
        monkeypatch.setenv("OPEN311_DEMO_KEY", "demo-schluessel-zum-ausprobieren")
        first = runner.invoke(args=["open311", "demo"])
        assert first.exit_code == 0, first.output
        assert "demo-schluessel-zum-ausprobieren" in first.output
        assert runner.invoke(args=["open311", "demo"]).exit_code == 0
        assert len(db.session.scalars(select(ApiClient).where(ApiClient.revoked_at.is_(None))).all()) == 1
        assert client_for_key("demo-schluessel-zum-ausprobieren").may("post_update")
        monkeypatch.setenv("OPEN311_DEMO_KEY", "kurz")
        assert runner.invoke(args=["open311", "demo"]).exit_code != 0
        monkeypatch.delenv("OPEN311_DEMO_KEY")
        random = runner.invoke(args=["open311", "demo"])
        key = re.search(r"(mm311_\S+)", random.output).group(1)
        db.session.expire_all()
        assert client_for_key(key) is not None
        assert client_for_key("demo-schluessel-zum-ausprobieren") is None  # replaced
        # The demo's category with an extra question.
        definition = committing.test_client().get("/open311/v2/services/strassenlaterne.json").get_json()
        assert [a["code"] for a in definition["attributes"]] == ["mastnummer"]
    finally:
        _cleanup()
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM service_attributes"))


def test_rate_limit_per_key(client, db_session):
    _c, slow = create_client(town(), "Langsam", ["create_request"], rate_limit="2/minute")
    _c, other = create_client(town(), "Anderer", ["create_request"], rate_limit="2/minute")
    form = {"service_code": "schlagloch", "lat": str(HARSEWINKEL[1]), "long": str(HARSEWINKEL[0]),
            "description": ""}  # refused (400) but counted: the limit guards the endpoint, not success
    limiter.reset()
    statuses = [client.post("/open311/v2/requests.json", data={**form, "api_key": slow}).status_code
                for _ in range(3)]
    assert statuses == [400, 400, 429]
    limited = client.post("/open311/v2/requests.xml", data={**form, "api_key": slow})
    assert limited.status_code == 429 and b"<code>429</code>" in limited.data
    # Another key has its own budget; the stored counter key is a hash, never the key.
    assert client.post("/open311/v2/requests.json", data={**form, "api_key": other}).status_code == 400
    assert hash_key(slow)[:24] and slow not in repr(limiter.storage.storage.keys("*"))
    limiter.reset()
