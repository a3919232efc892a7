"""Staff editing under /intern/admin/leistungen: admins only; create, edit, retire, review,
overdue list, contacts, import and export through the real forms."""
from __future__ import annotations

import io
import json
import re
from datetime import date, timedelta

import pytest
from flask import g

from app.catalog.operations import entry_by_slug
from app.errors import NotFound
from tests.catalog.test_exchange import entry_count
from tests.factories import department
from tests.staff.helpers import login, make_staff

BASE = "/intern/admin/leistungen"


def token(client, path: str) -> str:
    g.pop("csrf_token", None)
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


@pytest.fixture
def admin_client(client, db_session):
    admin = make_staff("admin")
    login(client, admin.username)
    return client


def form(**values) -> dict:
    data = {"name": "Hundesteuer", "topic": "Steuern und Abgaben", "department": "ordnungsamt", "slug": "",
            "short_description": "Hund anmelden.", "long_description": "", "leika_key": "", "online_url": "",
            "trust_level": "", "account": "", "fees": "", "required_documents": "", "processing_time": "",
            "keywords": "", "last_reviewed": "", "review_due": ""}
    data.update(values)
    return data


def test_only_admins_may_edit(client, db_session):
    assert client.get(BASE + "/").status_code == 302  # to the sign-in page
    for role, department_code in (("staff", "tiefbau"), ("dispatcher", None)):
        user = make_staff(role, department_code)
        login(client, user.username)
        assert client.get(BASE + "/").status_code == 403
        assert client.post(BASE + "/neu", data=form()).status_code in (400, 403)  # CSRF or role: never saved
    assert entry_count() == 0


def test_an_admin_creates_and_edits_an_entry(admin_client):
    response = admin_client.post(BASE + "/neu", data=form(
        csrf_token=token(admin_client, BASE + "/neu"), online="ja", online_url="https://portal.example/hund",
        required_documents="Personalausweis\nKaufvertrag\n", keywords="Hund\nHundemarke", leika_key="9902 8001 0010 00"))
    assert response.status_code == 303
    from tests.factories import town

    entry = entry_by_slug(town(), "hundesteuer")
    assert entry.required_documents == ["Personalausweis", "Kaufvertrag"] and entry.leika_key == "99028001001000"
    assert entry.department is department("ordnungsamt") and entry.online
    assert entry.review_due == date.today() + timedelta(days=365)
    page = admin_client.get(f"{BASE}/{entry.id}").get_data(as_text=True)
    assert 'value="Hundesteuer"' in page and "Personalausweis\nKaufvertrag</textarea>" in page
    response = admin_client.post(f"{BASE}/{entry.id}", data=form(
        csrf_token=token(admin_client, f"{BASE}/{entry.id}"), slug="hundesteuer", department="buergerbuero",
        fees="96 Euro"))
    assert response.status_code == 303
    assert entry.fees == "96 Euro" and entry.department is department("buergerbuero") and not entry.online
    assert "Die Leistung „Hundesteuer“ wurde gespeichert." in admin_client.get(BASE + "/").get_data(as_text=True)


def test_the_form_shows_every_problem_and_saves_nothing(admin_client):
    response = admin_client.post(BASE + "/neu", data=form(
        csrf_token=token(admin_client, BASE + "/neu"), name="", department="", online="ja", leika_key="123"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    for message in ("Bitte geben Sie den Namen der Leistung an.", "Bitte geben Sie die zuständige Stelle an.",
                    "Der Leistungsschlüssel (LeiKa) hat genau 14 Ziffern.",
                    "Ein Online-Dienst braucht den Link zum Online-Formular."):
        assert message in page
    assert 'aria-invalid="true"' in page and entry_count() == 0


def test_retiring_takes_an_entry_off_the_public_pages(admin_client, demo_catalog):
    entry = entry_by_slug(demo_catalog, "reisepass")
    assert admin_client.get("/leistungen/reisepass").status_code == 200
    response = admin_client.post(f"{BASE}/{entry.id}/zurueckziehen", data={"csrf_token": token(admin_client, BASE + "/")})
    assert response.status_code == 303 and entry.retired
    assert admin_client.get("/leistungen/reisepass").status_code == 404
    with pytest.raises(NotFound):
        entry_by_slug(demo_catalog, "reisepass")
    admin_client.post(f"{BASE}/{entry.id}/reaktivieren", data={"csrf_token": token(admin_client, BASE + "/")})
    assert admin_client.get("/leistungen/reisepass").status_code == 200


def test_overdue_entries_are_listed_and_leave_the_list_when_reviewed(admin_client, demo_catalog):
    overdue = entry_by_slug(demo_catalog, "wohngeld")
    overdue.review_due = date.today() - timedelta(days=3)
    current = entry_by_slug(demo_catalog, "hundesteuer")
    current.review_due = date.today() + timedelta(days=30)
    page = admin_client.get(BASE + "/").get_data(as_text=True)
    listed = page[page.index('id="overdue-heading"'):page.index('id="all-heading"')]
    assert "Wohngeld beantragen" in listed and "Hundesteuer" not in listed
    response = admin_client.post(f"{BASE}/{overdue.id}/geprueft",
                                 data={"csrf_token": token(admin_client, BASE + "/"), "review_due": ""})
    assert response.status_code == 303
    assert overdue.last_reviewed == date.today() and overdue.review_due == date.today() + timedelta(days=365)
    page = admin_client.get(BASE + "/").get_data(as_text=True)
    assert "Wohngeld beantragen" not in page[page.index('id="overdue-heading"'):page.index('id="all-heading"')]
    bad = admin_client.post(f"{BASE}/{overdue.id}/geprueft",
                            data={"csrf_token": token(admin_client, BASE + "/"), "review_due": "gestern"})
    assert bad.status_code == 400 and "ist kein Datum" in bad.get_data(as_text=True)


def test_import_and_export_through_the_admin_pages(admin_client, demo_catalog):
    exported = admin_client.get(BASE + "/export.json")
    assert exported.status_code == 200 and "attachment" in exported.headers["Content-Disposition"]
    rows = json.loads(exported.get_data(as_text=True))
    assert len(rows) == 31
    csv_export = admin_client.get(BASE + "/export.csv").get_data(as_text=True)
    assert csv_export.startswith("slug,name,topic,")
    before = entry_count()
    bad = ("name,topic,department\nNeu eins,T,tiefbau\nNeu zwei,T,tiefbau\nKaputt,,tiefbau\n").encode()
    response = admin_client.post(BASE + "/import", data={"csrf_token": token(admin_client, BASE + "/import"),
                                                         "file": (io.BytesIO(bad), "katalog.csv")},
                                 content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Zeile 4" in response.get_data(as_text=True) and entry_count() == before
    rows[0]["fees"] = "geändert"
    good = json.dumps(rows + [{"name": "Neu", "topic": "T", "department": "tiefbau"}]).encode()
    response = admin_client.post(BASE + "/import", data={"csrf_token": token(admin_client, BASE + "/import"),
                                                         "file": (io.BytesIO(good), "katalog.json")},
                                 content_type="multipart/form-data")
    assert response.status_code == 200 and "1 neu, 31 aktualisiert" in response.get_data(as_text=True)
    assert entry_count() == before + 1


def test_an_admin_edits_a_departments_contact_data(admin_client):
    tiefbau = department("tiefbau")
    path = f"{BASE}/stellen/{tiefbau.id}"
    response = admin_client.post(path, data={"csrf_token": token(admin_client, path), "address": "Rathaus",
                                             "opening_hours": "Mo 8–12", "phone": "05247 000-650",
                                             "email": "falsch"})
    assert response.status_code == 400 and "Diese E-Mail-Adresse ist ungültig." in response.get_data(as_text=True)
    response = admin_client.post(path, data={"csrf_token": token(admin_client, path), "address": "Rathaus",
                                             "opening_hours": "Mo 8–12", "phone": "05247 000-650",
                                             "email": "tiefbau@harsewinkel.example"})
    assert response.status_code == 303
    assert 'value="05247 000-650"' in admin_client.get(path).get_data(as_text=True)
