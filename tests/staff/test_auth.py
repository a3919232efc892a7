"""Staff sign-in: Argon2 hashes, session, CSRF, throttling, password reset by mail, roles."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.db import db
from app.staff.models import AuditEntry, StaffUser
from tests.conftest import csrf_token, run_worker
from tests.staff.helpers import PASSWORD, login, make_staff


def test_password_is_stored_as_argon2_hash(client):
    user = make_staff("dispatcher")
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_sign_in_and_out(client):
    user = make_staff("staff", "tiefbau")
    assert client.get("/intern/eingang").status_code == 302
    response = login(client, user.username, PASSWORD)
    assert response.headers["Location"].endswith("/intern/eingang")
    assert client.get("/intern/eingang").status_code == 200
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.http_only
    token = csrf_token(client, "/intern/eingang")
    assert client.post("/intern/abmelden", data={"csrf_token": token}).status_code == 303
    assert client.get("/intern/eingang").status_code == 302
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.staff_user_id == user.id)).all()
    assert actions == ["login", "logout"]


def test_wrong_password_is_refused_with_a_message(client):
    user = make_staff("staff")
    response = login(client, user.username, "falsch-falsch", expect_success=False)
    assert response.status_code == 401
    assert "Die Anmeldung hat nicht geklappt" in response.get_data(as_text=True)
    unknown = login(client, "gibt-es-nicht", "falsch-falsch", expect_success=False)
    assert unknown.status_code == 401
    assert "Die Anmeldung hat nicht geklappt" in unknown.get_data(as_text=True)
    assert client.get("/intern/eingang").status_code == 302


def test_sign_in_without_csrf_token_is_refused(client):
    user = make_staff("admin")
    response = client.post("/intern/anmelden", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 400
    assert "Formular ist abgelaufen" in response.get_data(as_text=True)


# Throttling instead of account locks: tests/security/test_signin.py


def test_sign_in_attempts_per_address_are_rate_limited(app, client, redis_server):
    redis_server.client().flushdb()
    token = csrf_token(client, "/intern/anmelden")
    statuses = [client.post("/intern/anmelden", data={"csrf_token": token, "username": "x", "password": "y"},
                            environ_base={"REMOTE_ADDR": "192.0.2.77"}).status_code for _ in range(22)]
    assert statuses[:20] == [401] * 20
    assert statuses[-1] == 429
    redis_server.client().flushdb()


def test_inactive_account_cannot_sign_in_and_loses_its_session(client):
    user = make_staff("dispatcher")
    login(client, user.username, PASSWORD)
    user.active = False
    db.session.flush()
    assert client.get("/intern/eingang").status_code == 302
    assert login(client, user.username, PASSWORD, expect_success=False).status_code == 401


def test_open_redirect_is_not_followed(client):
    user = make_staff("dispatcher")
    page = client.get("/intern/anmelden?next=https://evil.example/").get_data(as_text=True)
    assert "evil.example" not in page
    token = csrf_token(client, "/intern/anmelden")
    response = client.post("/intern/anmelden", data={"csrf_token": token, "username": user.username,
                                                     "password": PASSWORD, "next": "//evil.example/"},
                           environ_base={"REMOTE_ADDR": "198.51.100.9"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/intern/eingang")


def test_role_required_gives_403_to_other_roles(client):
    user = make_staff("staff")
    login(client, user.username, PASSWORD)
    assert client.get("/intern/admin/").status_code == 403
    assert client.get("/intern/admin/protokoll").status_code == 403


def test_password_reset_by_mail(app, staff_committing, smtp_server, redis_server):
    client = app.test_client()
    user = make_staff("staff", "abfall", email="sachbearbeitung@harsewinkel.example")
    db.session.commit()
    token = csrf_token(client, "/intern/passwort-vergessen")
    response = client.post("/intern/passwort-vergessen", data={"csrf_token": token, "username": user.username})
    assert response.status_code == 200
    # The same answer for an unknown account (no enumeration).
    unknown = client.post("/intern/passwort-vergessen", data={"csrf_token": token, "username": "niemand"})
    assert unknown.get_data(as_text=True).count("Wenn es zu dieser Angabe") == 1
    run_worker(app)
    mails = smtp_server.to("sachbearbeitung@harsewinkel.example")
    assert len(mails) == 1
    body = mails[0].get_body(("plain",)).get_content()
    link = re.search(r"http://maengelmelder\.test(/intern/passwort-neu/\S+)", body).group(1)
    page = client.get(link)
    assert page.status_code == 200
    token = csrf_token(client, link)
    mismatch = client.post(link, data={"csrf_token": token, "password": "ein-neues-passwort-123",
                                       "password_repeat": "ein-anderes-passwort-123"})
    assert mismatch.status_code == 400 and "stimmen nicht überein" in mismatch.get_data(as_text=True)
    too_short = client.post(link, data={"csrf_token": token, "password": "kurz", "password_repeat": "kurz"})
    assert too_short.status_code == 400 and "mindestens 10 Zeichen" in too_short.get_data(as_text=True)
    new = "ein-neues-passwort-123"
    done = client.post(link, data={"csrf_token": token, "password": new, "password_repeat": new})
    assert done.status_code == 303
    # The link works once only: the password changed, so its fingerprint no longer matches.
    assert client.get(link).status_code == 404
    fresh = app.test_client()
    login(fresh, user.username, new)
    assert login(app.test_client(), user.username, PASSWORD, expect_success=False).status_code == 401


def test_demo_accounts_command_is_idempotent(app, staff_committing, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "demo-passwort-2026")
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo-accounts"])
    assert first.exit_code == 0, first.output
    assert "demo-passwort-2026" in first.output
    second = runner.invoke(args=["demo-accounts"])
    assert second.exit_code == 0
    names = set(db.session.scalars(select(StaffUser.username)))
    assert {"admin", "dispatcher", "tiefbau", "stadtwerke", "abfall", "ordnungsamt", "gruen",
            "bauhof-marienfeld", "buergerbuero"} <= names
    assert db.session.scalar(select(StaffUser).where(StaffUser.username == "tiefbau")).role == "staff"
    login(app.test_client(), "tiefbau", "demo-passwort-2026")


def test_demo_accounts_generates_a_password_when_none_is_set(app, staff_committing, monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    result = app.test_cli_runner().invoke(args=["demo-accounts"])
    assert result.exit_code == 0
    password = re.search(r"Staff password:\s+(\S+)", result.output).group(1)
    assert len(password) >= 12
    login(app.test_client(), "admin", password)
