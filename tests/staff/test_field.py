"""Field mode (issue 19 point 5), over HTTP: the clerk's tasks by distance or urgency, a typed
place, the geo: link, closing a task with an "after" photo exactly once per idempotency key."""
from __future__ import annotations

import io
import re
from datetime import timedelta

from PIL import Image
from sqlalchemy import func, select

from app.db import db, utcnow
from app.outbox.models import OutboxMessage
from app.reports.models import Photo, StatusChange
from app.reports.photos import storage
from app.staff.models import AuditEntry, FieldUpdate, ReportAssignment, StaffTeam, StaffTeamMember
from tests.conftest import csrf_token
from tests.factories import GREFFEN, HARSEWINKEL, MARIENFELD, department, make_address, make_report
from tests.intake.conftest import SECRETS, jpeg_with_gps
from tests.staff.helpers import PASSWORD, login, make_staff


def _give(report, user=None, team=None):
    db.session.add(ReportAssignment(report_id=report.id, staff_user_id=user.id if user else None,
                                    team_id=team.id if team else None))
    db.session.flush()


def _order(client, query: str = "") -> list[str]:
    page = client.get("/intern/unterwegs/" + query).get_data(as_text=True)
    return re.findall(r'<span class="task-ref">([^<]+)</span>', page)


def test_tasks_are_mine_and_my_teams_nearest_first_or_most_urgent_first(app, client):
    me = make_staff("staff", "tiefbau")
    colleague = make_staff("staff", "tiefbau")
    team = StaffTeam(jurisdiction_id=me.jurisdiction_id, department_id=department("tiefbau").id, name="Kolonne Nord")
    db.session.add(team)
    db.session.flush()
    db.session.add(StaffTeamMember(team_id=team.id, staff_user_id=me.id))
    in_town, in_greffen, in_marienfeld = (make_report(point=p, category_code="schlagloch")
                                          for p in (HARSEWINKEL, GREFFEN, MARIENFELD))
    not_mine, closed = make_report(point=HARSEWINKEL), make_report(point=HARSEWINKEL)
    _give(in_town, me)
    _give(in_greffen, team=team)
    _give(in_marienfeld, me)
    _give(not_mine, colleague)
    _give(closed, me)
    closed.status = "erledigt"
    # Without a position: highest priority, then the earliest expected completion.
    in_marienfeld.priority = 2
    in_greffen.created_at = utcnow() - timedelta(days=30)  # overdue
    db.session.flush()
    login(client, me.username, PASSWORD)
    assert _order(client) == [in_marienfeld.reference, in_greffen.reference, in_town.reference]
    page = client.get("/intern/unterwegs/").get_data(as_text=True)
    assert "Ohne Standort: die dringendsten zuerst" in page and "überfällig" in page
    # The navigation link opens the phone's maps at the pin.
    assert f'href="geo:{GREFFEN[1]:.6f},{GREFFEN[0]:.6f}?q={GREFFEN[1]:.6f},{GREFFEN[0]:.6f}({in_greffen.reference})"' \
        in page
    # The phone's position (from "In meiner Nähe"): nearest first, with the distance in German.
    near_marienfeld = f"?lat={MARIENFELD[1] + 0.001}&lon={MARIENFELD[0]}"
    assert _order(client, near_marienfeld) == [in_marienfeld.reference, in_town.reference, in_greffen.reference]
    page = client.get("/intern/unterwegs/" + near_marienfeld).get_data(as_text=True)
    assert '<strong class="task-distance">110 m</strong>' in page
    assert re.search(r'<strong class="task-distance">\d+,\d km</strong>', page)
    # A typed place of the town instead.
    make_address(GREFFEN, "Beckumer Straße", "12", ortsteil="Greffen")
    assert _order(client, "?ort=Beckumer+Str.+12") == [in_greffen.reference, in_town.reference,
                                                       in_marienfeld.reference]
    assert "Nach Entfernung von Beckumer Straße 12" in client.get("/intern/unterwegs/?ort=Beckumer+Str.+12")\
        .get_data(as_text=True)
    unknown = client.get("/intern/unterwegs/?ort=Nirgendwostraße+99")
    assert unknown.status_code == 400
    assert "Den Ort „Nirgendwostraße 99“ kennen wir in der Stadt nicht." in unknown.get_data(as_text=True)
    # A position that is no number: the list in the order without one, not an error.
    assert _order(client, "?lat=abc&lon=") == [in_marienfeld.reference, in_greffen.reference, in_town.reference]


def _close(client, report, key, *, note="Loch verfüllt.", photos=()):
    token = csrf_token(client, f"/intern/unterwegs/{report.id}")
    headers = {"Accept": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    data = {"csrf_token": token, "note": note, "photos": [(io.BytesIO(p), f"danach{i}.jpg", "image/jpeg")
                                                          for i, p in enumerate(photos)]}
    return client.post(f"/intern/unterwegs/{report.id}/erledigt", data=data, headers=headers,
                       content_type="multipart/form-data")


def _count(model, **where):
    query = select(func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.session.scalar(query)


def test_closing_a_task_with_an_after_photo_counts_once_per_key(app, client):
    me = make_staff("staff", "tiefbau")
    report = make_report(point=HARSEWINKEL, email="melderin@example.org")
    report.reporter_email_confirmed = True
    _give(report, me)
    login(client, me.username, PASSWORD)
    task = client.get(f"/intern/unterwegs/{report.id}").get_data(as_text=True)
    assert 'capture="environment"' in task and "Erledigt melden" in task
    assert "Der Mangel wurde behoben. Vielen Dank für Ihre Meldung." in task  # the suggested note

    first = _close(client, report, "field-0123456789abcdef", photos=[jpeg_with_gps()])
    assert first.status_code == 201, first.get_data(as_text=True)
    assert first.get_json() == {"reference": report.reference, "status": "erledigt", "photos": 1,
                                "message": f"{report.reference} ist erledigt.", "repeated": False}
    again = _close(client, report, "field-0123456789abcdef", photos=[jpeg_with_gps()])
    assert again.status_code == 200 and again.get_json()["repeated"] is True

    db.session.expire_all()
    assert report.status == "erledigt"
    assert _count(StatusChange, report_id=report.id, new_status="erledigt") == 1
    assert [c.public_note for c in db.session.scalars(select(StatusChange).where(
        StatusChange.report_id == report.id, StatusChange.new_status == "erledigt"))] == ["Loch verfüllt."]
    [photo] = db.session.scalars(select(Photo).where(Photo.report_id == report.id)).all()
    assert photo.after_fix and not photo.published
    for key in photo.variants.values():
        stored = storage().get(key)
        assert not any(secret in stored for secret in SECRETS)
        with Image.open(io.BytesIO(stored)) as image:
            assert not image.getexif() and "exif" not in image.info
    assert _count(AuditEntry, report_id=report.id, action="status") == 1
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.report_id == report.id))
    assert audit.changes["after_photos"] == 1 and audit.changes["field"] is True
    assert _count(OutboxMessage, kind="status_changed") == 1  # the reporter's mail, once
    assert _count(FieldUpdate, report_id=report.id) == 1
    # The staff report page says it in words.
    page = client.get(f"/intern/meldungen/{report.id}").get_data(as_text=True)
    assert "1 Foto(s) nach der Erledigung" in page and "unterwegs mit dem Telefon gemeldet" in page
    assert "(nach der Erledigung, unterwegs aufgenommen)" in page

    # Another change of the closed task is refused in words, and stores nothing.
    refused = _close(client, report, "field-fedcba9876543210")
    assert refused.status_code == 409
    assert refused.get_json()["errors"][0]["message"].startswith(f"Die Meldung {report.reference} ist schon abgeschlossen")
    assert _count(FieldUpdate, report_id=report.id) == 1


def test_closing_refusals_name_the_problem_and_keep_nothing(app, client):
    me = make_staff("staff", "tiefbau")
    report = make_report(point=HARSEWINKEL)
    _give(report, me)
    login(client, me.username, PASSWORD)
    missing_key = _close(client, report, None)
    assert missing_key.status_code == 400 and "Schlüssel" in missing_key.get_json()["errors"][0]["message"]
    empty_note = _close(client, report, "field-aaaaaaaaaaaaaaaa", note="  ")
    assert empty_note.status_code == 400
    assert empty_note.get_json()["errors"][0]["message"] == "Bitte schreiben Sie eine kurze Notiz, was erledigt wurde."
    not_a_photo = _close(client, report, "field-bbbbbbbbbbbbbbbb", photos=[b"kein Bild"])
    assert not_a_photo.status_code == 400 and not_a_photo.get_json()["errors"][0]["message"].startswith("Foto 1:")
    db.session.expire_all()
    assert report.status != "erledigt" and _count(Photo, report_id=report.id) == 0
    assert _count(FieldUpdate) == 0
    # Without script: the form posts its own key and lands on the list with a message.
    token = csrf_token(client, f"/intern/unterwegs/{report.id}")
    response = client.post(f"/intern/unterwegs/{report.id}/erledigt",
                           data={"csrf_token": token, "note": "Erledigt.", "idempotency_key": "plain-form-key-1"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/intern/unterwegs/")
    assert f"{report.reference} ist erledigt." in client.get("/intern/unterwegs/").get_data(as_text=True)
    # Someone of another department cannot close it.
    with app.test_client() as other:
        stranger = make_staff("staff", "abfall")
        login(other, stranger.username, PASSWORD)
        assert other.get(f"/intern/unterwegs/{report.id}").status_code == 403
