"""Correcting a report (issue 19 point 1): category and pin, re-routed by the rules or kept; the
public map and Open311 follow; the reporter hears of it only when the clerk chooses."""
from __future__ import annotations

from shapely.geometry import Point
from geoalchemy2.shape import to_shape
from sqlalchemy import func, select

from app.db import db
from app.outbox.models import OutboxMessage
from app.reports.models import Report
from app.staff.models import AuditEntry
from tests.conftest import csrf_token
from tests.factories import GREFFEN, HARSEWINKEL, MARIENFELD, TWENTY_KM_AWAY, category, department, make_address, \
    make_report
from tests.staff.helpers import PASSWORD, login, make_staff

BBOX = "8.1,51.89,8.36,52.03"


def _dispatcher(client):
    user = make_staff("dispatcher")
    login(client, user.username, PASSWORD)
    return user


def _correct(client, report, **data):
    token = csrf_token(client, f"/intern/meldungen/{report.id}")
    point = to_shape(report.location)
    form = {"csrf_token": token, "category": str(report.category_id), "lat": repr(point.y), "lon": repr(point.x),
            "place_text": report.address or "", **data}
    return client.post(f"/intern/meldungen/{report.id}/korrektur", data=form)


def _outbox(kind: str) -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == kind))


def _map_feature(client, reference):
    features = client.get(f"/api/v1/reports.geojson?bbox={BBOX}").get_json()["features"]
    return next(f for f in features if f["properties"]["reference"] == reference)


def test_category_change_asks_and_reroutes_and_open311_and_map_follow(client, db_session):
    _dispatcher(client)
    report = make_report(point=MARIENFELD, category_code="schlagloch", email="melder@example.org")
    report.reporter_email_confirmed = True
    db_session.commit()
    before = report.department.code
    spielplatz = category("spielplatz")
    question = _correct(client, report, category=str(spielplatz.id))
    text = question.get_data(as_text=True)
    assert question.status_code == 200
    assert f"laut den Regeln „{department('bauhof-marienfeld').name}“ zuständig" in text
    db.session.refresh(report)
    assert report.category.code == "schlagloch"  # asking wrote nothing
    status_mails = _outbox("status_changed")
    done = _correct(client, report, category=str(spielplatz.id), routing="neu")
    assert done.status_code == 303
    db.session.expire_all()
    report = db.session.get(Report, report.id)
    assert (report.category.code, report.department.code) == ("spielplatz", "bauhof-marienfeld")
    assert before != "bauhof-marienfeld"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.report_id == report.id,
                                                       AuditEntry.action == "correct"))
    assert entry.changes["category"] == ["schlagloch", "spielplatz"]
    assert entry.changes["department"] == [before, "bauhof-marienfeld"]
    assert _outbox("staff_reassigned") == 1  # the receiving department is told
    assert _outbox("status_changed") == status_mails  # the reporter is not (not chosen)
    db_session.commit()
    item = client.get(f"/open311/v2/requests/{report.reference}.json").get_json()[0]
    assert item["service_code"] == "spielplatz" and item["agency_responsible"] == department("bauhof-marienfeld").name
    assert _map_feature(client, report.reference)["properties"]["category"] in ("spielplatz", spielplatz.name)
    page = client.get(f"/intern/meldungen/{report.id}").get_data(as_text=True)
    history = page[page.index('<ol class="history">'):]
    assert "Meldung berichtigt" in history and f"„{category('schlagloch').name}“ → „{spielplatz.name}“" in history


def test_category_change_kept_with_the_department(client, db_session):
    _dispatcher(client)
    report = make_report(point=MARIENFELD, category_code="schlagloch")
    before = report.department_id
    response = _correct(client, report, category=str(category("spielplatz").id), routing="behalten")
    assert response.status_code == 303
    db.session.refresh(report)
    assert report.category.code == "spielplatz" and report.department_id == before
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.report_id == report.id))
    assert entry.changes["kept_department"][1] == "bauhof-marienfeld"
    assert _outbox("staff_reassigned") == 0


def test_pin_move_recomputes_the_public_address_and_tells_the_reporter_when_chosen(client, db_session):
    _dispatcher(client)
    label = make_address(GREFFEN, "Dorfstraße", "7", ortsteil="Greffen")
    report = make_report(point=HARSEWINKEL, category_code="gruenflaeche", email="melder@example.org",
                         address="bei der Eiche")
    report.reporter_email_confirmed = True
    db_session.commit()
    assert report.public_address != label
    response = _correct(client, report, lat="51,983", lon="8,168", place_text="an der Dorfstraße",
                        notify="1", public_note="Wir haben den Ort auf die Dorfstraße gesetzt.")
    assert response.status_code in (200, 303)
    if response.status_code == 200:  # the pin crossed into another department's area: keep it
        response = _correct(client, report, lat="51,983", lon="8,168", place_text="an der Dorfstraße",
                            notify="1", public_note="Wir haben den Ort auf die Dorfstraße gesetzt.", routing="behalten")
        assert response.status_code == 303
    db.session.expire_all()
    report = db.session.get(Report, report.id)
    assert to_shape(report.location).equals_exact(Point(GREFFEN), 1e-9)
    assert report.public_address == label and report.address == "an der Dorfstraße"
    assert report.history[-1].public_note == "Wir haben den Ort auf die Dorfstraße gesetzt."
    assert _outbox("status_changed") == 1
    db_session.commit()
    item = client.get(f"/open311/v2/requests/{report.reference}.json").get_json()[0]
    assert (item["lat"], item["long"], item["address"]) == (GREFFEN[1], GREFFEN[0], label)
    assert "an der Dorfstraße" not in str(item)  # the typed place stays with staff
    assert _map_feature(client, report.reference)["geometry"]["coordinates"] == [GREFFEN[0], GREFFEN[1]]


def test_pin_by_address_and_refusals(client, db_session):
    _dispatcher(client)
    make_address(HARSEWINKEL, "Münsterstraße", "5")
    report = make_report(point=GREFFEN, category_code="gruenflaeche")
    for data, text in (({"lat": str(TWENTY_KM_AWAY[1]), "lon": str(TWENTY_KM_AWAY[0])}, "außerhalb des Stadtgebiets"),
                       ({"lat": "nord", "lon": "8"}, "Breite und Länge"),
                       ({"address": "Gibtsnichtweg 99"}, "gibt es in der Stadt nicht"),
                       ({"category": "999999"}, "Diese Kategorie gibt es nicht."),
                       ({}, "Es wurde nichts geändert.")):
        response = _correct(client, report, **data)
        assert response.status_code == 400 and text in response.get_data(as_text=True), data
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.report_id == report.id)) == 0
    response = _correct(client, report, address="Münsterstraße 5", routing="behalten")
    assert response.status_code == 303
    db.session.refresh(report)
    assert to_shape(report.location).distance(Point(HARSEWINKEL)) < 1e-6
