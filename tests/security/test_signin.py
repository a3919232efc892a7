"""Point 5: sign-in throttling that cannot lock out the owner. Limits per (account, client) and
per client with growing delays instead of an account lock; the same answer and the same work
(one Argon2 verification) for unknown names, wrong passwords and throttled attempts; throttling
in the audit log."""
from __future__ import annotations

import re
from datetime import timedelta

from flask import g
from sqlalchemy import select, update

from app.db import utcnow
from app.staff import auth
from app.staff.models import AuditEntry, StaffLoginThrottle
from app.staff.throttle import FREE_PER_ACCOUNT_CLIENT, FREE_PER_CLIENT, client_key
from tests.conftest import csrf_token
from tests.staff.helpers import PASSWORD, make_staff

ATTACKER = "198.51.100.66"
OWNER = "203.0.113.10"
SAME_ANSWER = "Die Anmeldung hat nicht geklappt"


def _attempt(client, username, password, address):
    g.pop("csrf_token", None)
    token = csrf_token(client, "/intern/anmelden")
    return client.post("/intern/anmelden", data={"csrf_token": token, "username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def _expire_delays(session):
    session.execute(update(StaffLoginThrottle).values(blocked_until=utcnow() - timedelta(seconds=1)))


def test_an_attacker_cannot_lock_the_owner_out(app, client, db_session):
    admin = make_staff("admin")
    for _ in range(FREE_PER_ACCOUNT_CLIENT + 5):
        _expire_delays(db_session)  # each guess counted (a throttled one is not even checked)
        response = _attempt(client, admin.username, "geraten-123", ATTACKER)
        assert response.status_code == 401 and SAME_ANSWER in response.get_data(as_text=True)
    # The attacker's client waits now (32 s after 8 failures), even with the right password ...
    assert _attempt(client, admin.username, PASSWORD, ATTACKER).status_code == 401
    # ... while the owner signs in from their own client at once.
    assert _attempt(app.test_client(), admin.username, PASSWORD, OWNER).status_code == 303


def test_delays_grow_with_each_failure_and_start_for_the_pair_and_for_the_client(client, db_session):
    user = make_staff("staff", "tiefbau")
    delays = []
    for _ in range(FREE_PER_ACCOUNT_CLIENT + 3):
        _attempt(client, user.username, "falsch-falsch", ATTACKER)
        entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "login_throttled")
                                  .order_by(AuditEntry.id.desc()).limit(1))
        delays.append(entry.changes["delay_seconds"] if entry is not None else 0)
        db_session.execute(update(AuditEntry).where(AuditEntry.action == "login_throttled").values(action="seen"))
        _expire_delays(db_session)
    assert delays == [0, 0, 1, 2, 4, 8]
    last = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "seen").order_by(AuditEntry.id.desc())
                             .limit(1))
    assert last.staff_user_id == user.id and last.target == f"user:{user.username}"
    assert last.changes == {"scope": "account_client", "failures": FREE_PER_ACCOUNT_CLIENT + 3, "delay_seconds": 8}

    # One client trying many accounts is slowed down as a whole.
    for n in range(FREE_PER_CLIENT):
        _attempt(client, f"gibt-es-nicht-{n}", "falsch", "192.0.2.200")
    client_wide = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "login_throttled")
                                    .order_by(AuditEntry.id.desc()).limit(1))
    assert client_wide.changes["scope"] == "client" and client_wide.staff_user_id is None
    assert client_wide.target == ""  # the typed name of an unknown account is not kept
    assert _attempt(client, user.username, PASSWORD, "192.0.2.200").status_code == 401


def test_unknown_wrong_and_throttled_get_the_same_answer_after_the_same_work(app, client, db_session, monkeypatch):
    user = make_staff("staff", "tiefbau")
    verifications = []
    real = auth._hasher

    class CountingHasher:
        """The real Argon2 hasher, counting its verifications."""

        def verify(self, hash_, password):
            verifications.append(hash_ == auth._dummy_hash())
            return real.verify(hash_, password)

        def __getattr__(self, name):
            return getattr(real, name)

    monkeypatch.setattr(auth, "_hasher", CountingHasher())
    bodies = {}
    for case, (name, address) in {"unknown": ("niemand-hier", "192.0.2.1"), "wrong": (user.username, "192.0.2.2"),
                                  "throttled": (user.username, ATTACKER)}.items():
        if case == "throttled":
            for _ in range(FREE_PER_ACCOUNT_CLIENT):
                _attempt(client, name, "falsch-falsch", address)
            # However slow this machine: the delay still runs at the next attempt.
            db_session.execute(update(StaffLoginThrottle).where(StaffLoginThrottle.blocked_until.is_not(None))
                               .values(blocked_until=utcnow() + timedelta(hours=1)))
            assert auth.throttle.is_throttled(name, address)
        verifications.clear()
        response = _attempt(client, name, "falsch-falsch", address)
        assert response.status_code == 401
        assert len(verifications) == 1, (case, verifications)  # one Argon2 verification, never none
        body = re.sub(r'name="csrf_token" value="[^"]+"', "TOKEN", response.get_data(as_text=True))
        bodies[case] = body.replace(name, "NAME")
    assert bodies["unknown"] == bodies["wrong"] == bodies["throttled"]
    assert SAME_ANSWER in bodies["unknown"]


def test_ipv6_clients_count_per_64():
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:bbbb::2") == "2001:db8:1:2::/64"
    assert client_key("::ffff:192.0.2.7") == "192.0.2.7" and client_key("192.0.2.7") == "192.0.2.7"
    assert client_key("kaputt") == "unknown"
