"""The role rules as a matrix: each role × each action × own/other department.

admin and dispatcher may do everything with every report of the town; department
staff only with their department's reports. Reporter contact data never reaches a
department that may not see it: not in pages, not in CSV exports, not in the logs.
The same holds for what the reporter added later (a remark, a photo).
"""
from __future__ import annotations

import logging

import pytest

from app.db import db
from tests.conftest import csrf_token
from tests.factories import HARSEWINKEL, department, jpeg_bytes, make_report
from tests.staff.helpers import PASSWORD, login, make_staff

REPORTER = "melderin.geheim@example.org"
REPORTER_NAME = "Erika Geheimnis"
REMARK = "Nachtrag: das Loch ist tiefer als gedacht"
# (role, department of the account); the report always belongs to "tiefbau".
ACCOUNTS = {"admin": ("admin", None), "dispatcher": ("dispatcher", None),
            "staff_own": ("staff", "tiefbau"), "staff_other": ("staff", "abfall")}
ALLOWED = {"admin": True, "dispatcher": True, "staff_own": True, "staff_other": False}


def _report():
    from app.public.operations import add_reporter_comment, add_reporter_photos

    report = make_report(category_code="schlagloch", email=REPORTER, name=REPORTER_NAME, photos=[jpeg_bytes()])
    report.reporter_email_confirmed = True
    db.session.flush()
    assert report.department.code == "tiefbau"
    # What the reporter added later through the tracking link: a remark and a photo (photos[-1]).
    add_reporter_comment(report, REMARK)
    add_reporter_photos(report, [jpeg_bytes(colour=(20, 20, 160))])
    db.session.refresh(report)
    return report


def _post(client, report, path, data):
    token = csrf_token(client, f"/intern/meldungen/{report.id}") if client.get(
        f"/intern/meldungen/{report.id}").status_code == 200 else csrf_token(client, "/intern/eingang")
    return client.post(path, data={"csrf_token": token, **data})


ACTIONS = {
    "view": lambda c, r: c.get(f"/intern/meldungen/{r.id}"),
    "photo": lambda c, r: c.get(f"/intern/meldungen/{r.id}/fotos/{r.photos[0].id}/display.jpg"),
    "status": lambda c, r: _post(c, r, f"/intern/meldungen/{r.id}/status",
                                 {"status": "in_bearbeitung", "public_note": "Wir kümmern uns."}),
    "priority": lambda c, r: _post(c, r, f"/intern/meldungen/{r.id}/prioritaet", {"priority": "2"}),
    "note": lambda c, r: _post(c, r, f"/intern/meldungen/{r.id}/notiz", {"note": "Bauhof informiert"}),
    "description": lambda c, r: _post(c, r, f"/intern/meldungen/{r.id}/beschreibung",
                                      {"public_description": "Loch in der Fahrbahn", "published": "1"}),
    "hide": lambda c, r: _post(c, r, f"/intern/meldungen/{r.id}/sichtbarkeit", {"hidden": "1"}),
    "photo_publish": lambda c, r: _post(c, r, f"/intern/meldungen/{r.id}/fotos/{r.photos[0].id}/freigabe",
                                        {"published": "1"}),
    "photo_redact": lambda c, r: _post(c, r, f"/intern/meldungen/{r.id}/fotos/{r.photos[0].id}/schwaerzen",
                                       {"x": "10", "y": "10", "w": "20", "h": "20"}),
    "reassign": lambda c, r: _post(c, r, f"/intern/meldungen/{r.id}/abteilung",
                                   {"department": str(department("gruen").id), "reason": "Baumwurzel",
                                    "confirmed": "1"}),
    "correct": lambda c, r: _post(c, r, f"/intern/meldungen/{r.id}/korrektur",
                                  {"category": str(r.category_id), "lat": str(HARSEWINKEL[1]), "lon": str(HARSEWINKEL[0]),
                                   "place_text": "am Zaun"}),
    "bulk_status": lambda c, r: _post(c, r, "/intern/sammelaktion",
                                      {"ids": str(r.id), "action": "status", "value": "in_pruefung"}),
    "later_photo": lambda c, r: c.get(f"/intern/meldungen/{r.id}/fotos/{r.photos[-1].id}/display.jpg"),
    "later_photo_publish": lambda c, r: _post(c, r, f"/intern/meldungen/{r.id}/fotos/{r.photos[-1].id}/freigabe",
                                              {"published": "1"}),
    "additions_seen": lambda c, r: _post(c, r, f"/intern/meldungen/{r.id}/ergaenzungen/gesehen", {}),
}
SUCCESS = {"view": 200, "photo": 200, "later_photo": 200}


@pytest.mark.parametrize("account", list(ACCOUNTS))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_matrix(client, caplog, account, action):
    role, dept = ACCOUNTS[account]
    user = make_staff(role, dept)
    report = _report()
    login(client, user.username, PASSWORD)
    caplog.set_level(logging.DEBUG)
    response = ACTIONS[action](client, report)
    body = response.get_data(as_text=True) if response.mimetype != "image/jpeg" else ""
    if ALLOWED[account]:
        assert response.status_code == SUCCESS.get(action, 303), (account, action, body[:300])
    else:
        # The bulk action answers "not found or not yours" alike (it must not tell which ids exist).
        assert response.status_code == (404 if action == "bulk_status" else 403), (account, action, response.status_code)
    assert REPORTER not in body and REPORTER_NAME not in body or (ALLOWED[account] and action == "view")
    assert REMARK not in body or (ALLOWED[account] and action == "view")
    for record in caplog.records:
        assert REPORTER not in record.getMessage() and REPORTER_NAME not in record.getMessage()
        assert REMARK not in record.getMessage()


@pytest.mark.parametrize("account", list(ACCOUNTS))
def test_contact_shown_only_where_allowed(client, account):
    role, dept = ACCOUNTS[account]
    user = make_staff(role, dept)
    report = _report()
    login(client, user.username, PASSWORD)
    response = client.get(f"/intern/meldungen/{report.id}")
    body = response.get_data(as_text=True)
    if ALLOWED[account]:
        assert REPORTER in body and REPORTER_NAME in body
    else:
        assert response.status_code == 403 and REPORTER not in body


@pytest.mark.parametrize("account", list(ACCOUNTS))
def test_reporter_additions_shown_only_where_allowed(client, account):
    role, dept = ACCOUNTS[account]
    user = make_staff(role, dept)
    report = _report()
    later = report.photos[-1]
    login(client, user.username, PASSWORD)
    response = client.get(f"/intern/meldungen/{report.id}")
    body = response.get_data(as_text=True)
    if ALLOWED[account]:
        assert REMARK in body and "Ergänzung der meldenden Person" in body and f'id="photo-{later.id}"' in body
    else:
        assert response.status_code == 403 and REMARK not in body and "Ergänzung" not in body
    queue = client.get("/intern/eingang?status=alle&anzahl=200").get_data(as_text=True)
    assert ("2 neue Ergänzungen" in queue) == ALLOWED[account]


@pytest.mark.parametrize("account", list(ACCOUNTS))
def test_queue_lists_only_visible_reports(client, account):
    role, dept = ACCOUNTS[account]
    user = make_staff(role, dept)
    report = _report()
    login(client, user.username, PASSWORD)
    body = client.get("/intern/eingang?status=alle&anzahl=200").get_data(as_text=True)
    assert (report.reference in body) == ALLOWED[account]
    # Department staff cannot widen the queue to another department through the URL.
    if role == "staff":
        other = client.get(f"/intern/eingang?abteilung={department('tiefbau').id}&status=alle").get_data(as_text=True)
        assert (report.reference in other) == ALLOWED[account]


@pytest.mark.parametrize("account", list(ACCOUNTS))
def test_csv_export_never_leaks_contacts(client, caplog, account):
    role, dept = ACCOUNTS[account]
    user = make_staff(role, dept)
    report = _report()
    login(client, user.username, PASSWORD)
    caplog.set_level(logging.DEBUG)
    plain = client.get("/intern/eingang.csv?status=alle").get_data(as_text=True)
    assert REPORTER not in plain and REPORTER_NAME not in plain
    assert (report.reference in plain) == ALLOWED[account]
    asked = client.get("/intern/eingang.csv?status=alle&kontakte=1").get_data(as_text=True)
    if role in ("admin", "dispatcher"):
        assert REPORTER in asked and REPORTER_NAME in asked
    else:
        assert REPORTER not in asked and "reporter_email" not in asked.splitlines()[0]
    geojson = client.get("/intern/eingang.geojson?status=alle").get_data(as_text=True)
    assert REPORTER not in geojson and (report.reference in geojson) == ALLOWED[account]
    for record in caplog.records:
        assert REPORTER not in record.getMessage()


@pytest.mark.parametrize("account,expected", [("admin", 200), ("dispatcher", 403), ("staff_own", 403)])
def test_admin_pages_are_for_admins(client, account, expected):
    role, dept = ACCOUNTS[account]
    user = make_staff(role, dept)
    login(client, user.username, PASSWORD)
    assert client.get("/intern/admin/").status_code == expected
    assert client.get("/intern/admin/protokoll").status_code == expected


def test_anonymous_visitors_are_sent_to_sign_in(client):
    report = _report()
    for path in ("/intern/eingang", f"/intern/meldungen/{report.id}", "/intern/eingang.csv", "/intern/uebersicht",
                 "/intern/admin/"):
        response = client.get(path)
        assert response.status_code == 302 and "/intern/anmelden" in response.headers["Location"]
