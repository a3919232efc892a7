"""The admin page for API keys: only admins, create (key shown once), revoke; axe-core clean."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from app.db import db
from app.open311.keys import client_for_key
from tests.browser import run_axe
from tests.staff.helpers import login, make_staff

PAGE = "/intern/admin/api-schluessel"


def _csrf(client) -> str:
    from flask import g

    g.pop("csrf_token", None)
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(PAGE).get_data(as_text=True)).group(1)


def test_only_admins_reach_the_page(client):
    assert client.get(PAGE).status_code in (302, 303)  # to the sign-in
    dispatcher = make_staff("dispatcher")
    login(client, dispatcher.username)
    assert client.get(PAGE).status_code == 403


def test_admin_creates_and_revokes_a_key(client):
    admin = make_staff("admin")
    login(client, admin.username)
    response = client.post(PAGE, data={"csrf_token": _csrf(client), "name": "Stadtwerke-Leitstelle",
                                       "actions": ["post_update"], "rate_limit": "10/minute"})
    assert response.status_code == 200, response.data
    key = re.search(r'<code id="new-key">([^<]+)</code>', response.get_data(as_text=True)).group(1)
    client_row = client_for_key(key)
    assert client_row.name == "Stadtwerke-Leitstelle" and client_row.allowed_actions == ["post_update"]
    listing = client.get(PAGE).get_data(as_text=True)
    assert "Stadtwerke-Leitstelle" in listing and key not in listing  # shown once only
    bad = client.post(PAGE, data={"csrf_token": _csrf(client), "name": "", "actions": ["post_update"]})
    assert bad.status_code == 400 and "Namen" in bad.get_data(as_text=True)
    revoked = client.post(f"{PAGE}/{client_row.id}/widerrufen", data={"csrf_token": _csrf(client)})
    assert revoked.status_code == 200
    db.session.expire_all()
    assert client_for_key(key) is None
    assert client.post(f"{PAGE}/999999/widerrufen", data={"csrf_token": _csrf(client)}).status_code == 404


@pytest.mark.browser
def test_admin_page_passes_axe(live_server, chromium):
    from app.staff.models import StaffUser

    admin = make_staff("admin")
    db.session.commit()
    context = chromium.new_context(locale="de-DE")
    page = context.new_page()
    try:
        page.goto(live_server.url + "/intern/anmelden")
        page.fill("#username", admin.username)
        page.fill("#password", admin.password)
        page.click("button[type=submit]")
        page.goto(live_server.url + PAGE)
        page.fill("#name", "Test-App")
        page.click("text=Schlüssel erzeugen")
        assert page.locator("#new-key").inner_text().startswith("mm311_")
        assert run_axe(page) == []
    finally:
        context.close()
        db.session.remove()
        with db.engine.begin() as conn:
            conn.execute(text("TRUNCATE open311_update_receipts, open311_submissions, open311_api_clients "
                              "RESTART IDENTITY CASCADE"))
        db.session.execute(StaffUser.__table__.delete().where(StaffUser.id == admin.id))
        db.session.commit()
