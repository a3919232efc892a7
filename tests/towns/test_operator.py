"""Issue 21 point 2: the operator above the towns. A third town from a town file (ZIP) on the
operator's page; its first admin gets a mail with a link on the new town's own host, sets a
password there and signs in; the operator's health page shows counts, no personal data;
retiring a town takes it off its hosts."""
from __future__ import annotations

import io
import re
import zipfile

import pytest
from sqlalchemy import select, text

from app.db import db
from app.jurisdictions.models import Jurisdiction
from tests.conftest import run_worker
from tests.factories import town
from tests.staff.helpers import PASSWORD
from tests.towns.test_town_isolation import Client, make_operator
from tests.towns.two_towns import A_HOST, TOWN_FILE, add_host, make_town_b, write_town_file

C_SLUG = "drittdorf.test"
C_HOST = "c.maengelmelder.test"
C_FILE = (TOWN_FILE.replace('slug = "zzbmarker.test"', f'slug = "{C_SLUG}"')
          .replace('name = "Stadt Zzbmarker"', 'name = "Gemeinde Drittdorf"\nhosts = ["' + C_HOST + '"]')
          .replace('reference_prefix = "ZZBM"', 'reference_prefix = "DD"').replace("zzbmarker", "drittdorf")
          .replace("Zzbmarker", "Drittdorf"))


def _town_zip(tmp_path) -> bytes:
    path = write_town_file(tmp_path / "c", C_FILE, box=(8.355, 52.025, 8.555, 52.125))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for file in path.parent.iterdir():
            archive.write(file, f"drittdorf/{file.name}")
    return buffer.getvalue()


def _remove_town(slug: str) -> None:
    jid = db.session.scalar(select(Jurisdiction.id).where(Jurisdiction.slug == slug))
    if jid is not None:
        for statement in ("DELETE FROM reports WHERE jurisdiction_id = :j",
                          "DELETE FROM routing_rules WHERE jurisdiction_id = :j",
                          "DELETE FROM staff_users WHERE jurisdiction_id = :j",
                          "DELETE FROM jurisdictions WHERE id = :j"):
            db.session.execute(text(statement), {"j": jid})
    db.session.commit()


@pytest.fixture
def operator_setup(app, committing, smtp_server):
    _remove_town(C_SLUG)
    db.session.execute(text("DELETE FROM staff_users WHERE role = 'operator'"))
    add_host(town(), A_HOST)
    operator = make_operator()
    db.session.commit()
    yield operator
    db.session.rollback()
    _remove_town(C_SLUG)
    db.session.execute(text("DELETE FROM jurisdiction_hosts WHERE host = :h"), {"h": A_HOST})
    db.session.execute(text("DELETE FROM staff_users WHERE role = 'operator' OR username LIKE 'admin-all-%'"))
    db.session.commit()


def test_operator_creates_a_third_town_from_a_town_file_and_its_admin_signs_in(app, operator_setup, smtp_server,
                                                                               tmp_path):
    client = Client(app, A_HOST)
    client.sign_in(operator_setup.username)
    overview = client.open("GET", "/betrieb/")
    assert overview.status_code == 200 and "Stadt Harsewinkel" in overview.get_data(as_text=True)
    answer = client.open("POST", "/betrieb/staedte", data={
        "csrf_token": client.csrf(), "admin_name": "dd-admin", "admin_email": "it@drittdorf.example",
        "stadtdatei": (io.BytesIO(_town_zip(tmp_path)), "drittdorf.zip")}, content_type="multipart/form-data")
    assert answer.status_code == 201, answer.get_data(as_text=True)[-2000:]
    assert "Gemeinde Drittdorf ist angelegt" in answer.get_data(as_text=True)

    run_worker(app)
    mail = smtp_server.wait_for(1)[-1] if hasattr(smtp_server, "wait_for") else smtp_server.messages[-1]
    body = mail.get_body(("plain",)).get_content() if hasattr(mail, "get_body") else str(mail)
    link = re.search(r"http://c\.maengelmelder\.test(/intern/passwort-neu/\S+)", body)
    assert link, body

    admin = Client(app, C_HOST)
    page = admin.open("GET", link.group(1))
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    done = admin.open("POST", link.group(1), data={"csrf_token": token, "password": PASSWORD,
                                                   "password_repeat": PASSWORD})
    assert done.status_code == 303
    fresh = Client(app, C_HOST)
    fresh.sign_in("dd-admin")
    queue = fresh.open("GET", "/intern/eingang")
    assert queue.status_code == 200 and "Gemeinde Drittdorf" in queue.get_data(as_text=True)
    # The new admin's account is the new town's: not valid on Harsewinkel's host.
    elsewhere = Client(app, A_HOST)
    refused = elsewhere.open("POST", "/intern/anmelden", data={"csrf_token": elsewhere.csrf(),
                                                               "username": "dd-admin", "password": PASSWORD})
    assert refused.status_code == 401


def test_a_bad_town_file_is_refused_with_its_problems_named(app, operator_setup, tmp_path):
    client = Client(app, A_HOST)
    client.sign_in(operator_setup.username)
    bad = io.BytesIO()
    with zipfile.ZipFile(bad, "w") as archive:
        archive.writestr("town.toml", '[town]\nslug = "x"\nname = "X"\nreference_prefix = "x"\nhosts = ["HTTP://X"]\n')
    answer = client.open("POST", "/betrieb/staedte", data={
        "csrf_token": client.csrf(), "admin_name": "x-admin", "admin_email": "kein-mail",
        "stadtdatei": (io.BytesIO(bad.getvalue()), "x.zip")}, content_type="multipart/form-data")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "Die Stadt wurde nicht angelegt" in page and "reference_prefix" in page and "is not a host name" in page
    assert "gültige E-Mail-Adresse" in page
    assert db.session.scalar(select(Jurisdiction.id).where(Jurisdiction.slug == "x")) is None


def test_the_health_page_shows_counts_not_personal_data(app, db_session, tmp_path):
    add_host(town(), A_HOST)
    b = make_town_b(tmp_path / "b")
    operator = make_operator()
    db.session.commit()
    client = Client(app, A_HOST)
    client.sign_in(operator.username)
    page = client.open("GET", "/betrieb/").get_data(as_text=True)
    assert "Stadt Zzbmarker" in page and "b.maengelmelder.test" in page
    row = re.search(r'<tr data-town="zzbmarker.test">(.*?)</tr>', page, re.S).group(1)
    assert "<td>3 (2)</td>" in row  # three reports, two open (one is erledigt)
    for personal in ("Zzbmarker Beschreibung", "zzbmarker-buerger", "Zzbmarker Bürgerin", "Zzbmarkerstraße",
                     "zzbmarker-admin@", b.references[0]):
        assert personal not in page
    # Town staff do not reach it.
    from tests.staff.helpers import make_staff

    admin = make_staff("admin")
    db.session.commit()
    staff_client = Client(app, A_HOST)
    staff_client.sign_in(admin.username)
    assert staff_client.open("GET", "/betrieb/").status_code == 403


def test_retiring_a_town_takes_it_off_its_hosts(app, db_session, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "DEFAULT_JURISDICTION", "")
    add_host(town(), A_HOST)
    b = make_town_b(tmp_path / "b")
    operator = make_operator()
    db.session.commit()
    client = Client(app, A_HOST)
    client.sign_in(operator.username)
    unconfirmed = client.open("POST", f"/betrieb/staedte/{b.town.id}/stilllegen", data={"csrf_token": client.csrf()})
    assert unconfirmed.status_code == 400
    assert Client(app, "b.maengelmelder.test").open("GET", "/").status_code == 200
    done = client.open("POST", f"/betrieb/staedte/{b.town.id}/stilllegen",
                       data={"csrf_token": client.csrf(), "bestaetigt": "ja"})
    assert done.status_code == 303
    assert Client(app, "b.maengelmelder.test").open("GET", "/").status_code == 404
    assert "stillgelegt" in client.open("GET", "/betrieb/").get_data(as_text=True)


def test_the_operator_account_is_made_by_a_command(app, db_session):
    from app.staff.models import StaffUser

    result = app.test_cli_runner().invoke(args=["staff", "create-operator", "--username", "kreis-betrieb",
                                                "--email", "it@kreis.example"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(StaffUser).where(StaffUser.username == "kreis-betrieb"))
    assert (user.role, user.jurisdiction_id) == ("operator", None)


@pytest.mark.browser
def test_the_operator_page_passes_axe_and_fits_a_phone(app, operator_setup, live_server, chromium):
    from tests.browser import describe_violations, run_axe
    from tests.public.test_layout import _OVERFLOW

    for width in (320, 390, 1366):
        context = chromium.new_context(viewport={"width": width, "height": 900}, locale="de-DE")
        page = context.new_page()
        page.goto(live_server.url + "/intern/anmelden")
        page.fill("#username", operator_setup.username)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit].primary")
        page.wait_for_url("**/betrieb/")
        violations = run_axe(page)
        assert violations == [], describe_violations(violations)
        overflow = page.evaluate(_OVERFLOW)
        assert overflow["scrollWidth"] <= overflow["width"], overflow
        page.screenshot(path=f"/tmp/h21-operator-{width}.png", full_page=True)
        context.close()
