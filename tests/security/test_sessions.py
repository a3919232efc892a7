"""Point 4: staff sessions the server can end. Sign-out, a password change, deactivation and
"überall abmelden" end them at once (a copied cookie opens nothing afterwards); an idle timeout
and an absolute lifetime, both settings."""
from __future__ import annotations

import time
from datetime import timedelta

from flask import g
from sqlalchemy import select, update

from app.db import db, utcnow
from app.staff.models import StaffSession
from tests.conftest import csrf_token
from tests.staff.helpers import login, make_staff

INBOX = "/intern/eingang"


def _token(client) -> str:
    g.pop("csrf_token", None)  # the test's app context outlives requests: no other client's token
    return csrf_token(client, INBOX)


def _copy_cookie(app, source):
    """A second browser holding a copy of ``source``'s session cookie (as a thief would)."""
    thief = app.test_client()
    thief.set_cookie("session", source.get_cookie("session").value, domain="localhost")
    return thief


def test_a_copied_cookie_stops_working_after_sign_out(app, client, db_session):
    user = make_staff("staff", "tiefbau")
    login(client, user.username)
    thief = _copy_cookie(app, client)
    assert thief.get(INBOX).status_code == 200
    assert client.post("/intern/abmelden", data={"csrf_token": _token(client)}).status_code == 303
    assert thief.get(INBOX).status_code == 302


def test_password_change_and_deactivation_end_every_session(app, client, db_session):
    user = make_staff("staff", "tiefbau")
    admin = make_staff("admin")
    login(client, user.username)
    elsewhere = app.test_client()
    login(elsewhere, user.username)
    admin_client = app.test_client()
    login(admin_client, admin.username)
    g.pop("csrf_token", None)
    token = csrf_token(admin_client, "/intern/admin/")
    changed = admin_client.post(f"/intern/admin/konten/{user.id}", data={
        "csrf_token": token, "role": "staff", "department": str(user.department_id), "active": "1",
        "password": "ein-ganz-neues-passwort"})
    assert changed.status_code == 303
    assert client.get(INBOX).status_code == 302 and elsewhere.get(INBOX).status_code == 302

    login(client, user.username, "ein-ganz-neues-passwort")
    assert client.get(INBOX).status_code == 200
    admin_client.post(f"/intern/admin/konten/{user.id}", data={
        "csrf_token": token, "role": "staff", "department": str(user.department_id)})  # active unticked
    assert client.get(INBOX).status_code == 302
    assert db_session.scalar(select(StaffSession).where(StaffSession.staff_user_id == user.id)) is None


def test_sign_out_everywhere_ends_the_other_browsers_too(app, client, db_session):
    user = make_staff("dispatcher")
    login(client, user.username)
    phone = app.test_client()
    login(phone, user.username)
    assert "Überall abmelden" in client.get("/intern/uebersicht").get_data(as_text=True)
    response = client.post("/intern/ueberall-abmelden", data={"csrf_token": _token(client)})
    assert response.status_code == 303
    assert client.get(INBOX).status_code == 302 and phone.get(INBOX).status_code == 302


def test_idle_timeout_and_absolute_lifetime_are_settings(app, client, db_session):
    assert (app.config["STAFF_SESSION_IDLE_MINUTES"], app.config["STAFF_SESSION_MAX_HOURS"]) == (30, 12)
    user = make_staff("staff", "tiefbau")
    login(client, user.username)
    # 31 minutes without a request: the cookie's last activity moved back in time.
    with client.session_transaction() as cookie:
        cookie["staff_seen"] -= 31 * 60
    assert client.get(INBOX).status_code == 302

    login(client, user.username)
    with client.session_transaction() as cookie:
        cookie["staff_seen"] -= 29 * 60
    assert client.get(INBOX).status_code == 200  # active 29 minutes ago: still signed in, clock reset
    with client.session_transaction() as cookie:
        assert time.time() - cookie["staff_seen"] < 60

    # Active all along, but signed in 12 hours ago: over.
    db_session.execute(update(StaffSession).where(StaffSession.staff_user_id == user.id)
                       .values(created_at=utcnow() - timedelta(hours=12, minutes=1)))
    assert client.get(INBOX).status_code == 302

    app.config["STAFF_SESSION_MAX_HOURS"] = 24
    try:
        login(client, user.username)
        db_session.execute(update(StaffSession).where(StaffSession.staff_user_id == user.id)
                           .values(created_at=utcnow() - timedelta(hours=13)))
        assert client.get(INBOX).status_code == 200
    finally:
        app.config["STAFF_SESSION_MAX_HOURS"] = 12
    db.session.rollback()
