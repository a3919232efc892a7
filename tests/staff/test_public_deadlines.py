"""The expected completion date shown to the public (issue 19 point 7): a switch per town, off
by default, on the admin page and in the town file's ``[town]`` table; when on, the public report
page and Open311 ``expected_datetime`` show it while the report is open."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from app.db import db
from app.open311.formats import w3c
from app.reports.operations import change_status
from app.staff.models import AuditEntry
from app.towns.cli import apply_town_file, export_town_file
from tests.conftest import csrf_token
from tests.factories import category, make_report, town
from tests.open311.conftest import both_formats
from tests.staff.helpers import PASSWORD, login, make_staff


def _public(client, report) -> str:
    return client.get(f"/meldungen/{report.reference}").get_data(as_text=True)


def _expected(client, report):
    response, root = both_formats(client, f"/open311/v2/requests/{report.reference}")
    [item] = response.get_json()
    return item["expected_datetime"], root[0].find("expected_datetime")


def test_off_by_default_then_switched_on_by_the_admin_page(app, client):
    report = make_report(category_code="schlagloch")
    report.description_published = True
    closed = make_report(category_code="schlagloch")
    change_status(closed, "erledigt", public_note="Behoben.", actor="test")
    db.session.flush()
    assert town().public_deadlines is False
    assert "Voraussichtlich erledigt bis" not in _public(client, report)
    as_json, as_xml = _expected(client, report)
    assert as_json is None and (as_xml is None or not as_xml.text)

    admin = make_staff("admin")
    with app.test_client() as staff:
        login(staff, admin.username, PASSWORD)
        page = staff.get("/intern/admin/").get_data(as_text=True)
        box = page[page.index('id="public_deadlines"') - 60:page.index('id="public_deadlines"') + 80]
        assert "checked" not in box  # nothing preselected
        token = csrf_token(staff, "/intern/admin/")
        response = staff.post("/intern/admin/fristen-oeffentlich", data={"csrf_token": token,
                                                                         "public_deadlines": "1"})
        assert response.status_code == 303
        assert "wird jetzt öffentlich gezeigt" in staff.get("/intern/admin/").get_data(as_text=True)
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "town_update"))
        assert entry.changes == {"public_deadlines": [False, True]}
        log = staff.get("/intern/admin/protokoll").get_data(as_text=True)
        assert "Einstellung der Stadt geändert" in log and "Erledigungsdatum öffentlich: „nein“ → „ja“" in log
    db.session.expire_all()
    assert town().public_deadlines is True

    due = report.created_at + timedelta(days=category("schlagloch").target_days)
    page = _public(client, report)
    shown = re.search(r'<dd id="expected-completion"><time datetime="([0-9-]+)">([^<]+)</time>', page)
    assert shown and shown.group(1) == due.date().isoformat()
    assert shown.group(2) == f"{due.day:02d}.{due.month:02d}.{due.year}"
    as_json, as_xml = _expected(client, report)
    assert as_json == w3c(due) and as_xml.text == w3c(due)
    listed = {r["service_request_id"]: r["expected_datetime"]
              for r in client.get("/open311/v2/requests.json?status=open,closed").get_json()}
    assert listed[report.reference] == w3c(due)
    # A closed report has nothing left to expect.
    assert listed[closed.reference] is None
    assert "Voraussichtlich erledigt bis" not in _public(client, closed)


def test_the_town_file_carries_the_switch(db_session, tmp_path):
    export_town_file("harsewinkel.de", tmp_path / "town.toml")
    text = (tmp_path / "town.toml").read_text(encoding="utf-8")
    assert "public_deadlines" not in text  # the default (off) is not written
    (tmp_path / "town.toml").write_text(text.replace('reference_prefix = "HW"\n',
                                                     'reference_prefix = "HW"\npublic_deadlines = true\n'),
                                        encoding="utf-8")
    changes = apply_town_file(tmp_path / "town.toml")
    assert any("public_deadlines" in line for line in changes), changes
    db_session.expire_all()
    assert town().public_deadlines is True
    export_town_file("harsewinkel.de", tmp_path / "again.toml")
    assert "\npublic_deadlines = true\n" in (tmp_path / "again.toml").read_text(encoding="utf-8")
    # A wrong value is refused, naming the key.
    (tmp_path / "bad.toml").write_text(text.replace('reference_prefix = "HW"\n',
                                                    'reference_prefix = "HW"\npublic_deadlines = "ja"\n'),
                                       encoding="utf-8")
    from app.towns.townfile import TownFileError, parse_town_file

    try:
        parse_town_file((tmp_path / "bad.toml").read_text(encoding="utf-8"), tmp_path)
    except TownFileError as exc:
        assert any("town.public_deadlines: must be true or false" in e for e in exc.errors), exc.errors
    else:
        raise AssertionError("a text for public_deadlines was accepted")
