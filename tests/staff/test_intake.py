"""Staff intake, "Meldung aufnehmen" (issue 19 point 2): the same routing and checks as the
citizen form, the channel recorded and counted, contact data optional."""
from __future__ import annotations

from sqlalchemy import func, select

from app.db import db
from app.outbox.models import OutboxMessage
from app.reports.models import Report
from app.staff.models import AuditEntry
from tests.conftest import csrf_token
from tests.factories import HARSEWINKEL, jpeg_bytes, make_address
from tests.staff.helpers import PASSWORD, login, make_staff


def _take(client, **data):
    token = csrf_token(client, "/intern/aufnehmen")
    return client.post("/intern/aufnehmen", data={"csrf_token": token, **data}, content_type="multipart/form-data")


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_phone_report_taken_by_another_department_is_routed_by_the_rules(client):
    clerk = make_staff("staff", "abfall")
    login(client, clerk.username, PASSWORD)
    make_address(HARSEWINKEL, "Münsterstraße", "5")
    response = _take(client, channel="telefon", category="schlagloch", description="Anrufer: Loch vor Nr. 5",
                     address="Münsterstraße 5", name="Herr Anrufer", phone="05247 123-45",
                     email="anrufer@example.org", photos=[(__import__("io").BytesIO(jpeg_bytes()), "brief.jpg")])
    assert response.status_code == 303
    report = db.session.scalar(select(Report).order_by(Report.id.desc()).limit(1))
    assert (report.channel, report.department.code) == ("telefon", "tiefbau")
    assert (report.reporter_name, report.reporter_phone, report.reporter_email) == (
        "Herr Anrufer", "05247 123-45", "anrufer@example.org")
    assert len(report.photos) == 1
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.report_id == report.id))
    assert (entry.action, entry.changes, entry.staff_user_id) == ("intake", {"channel": "telefon"}, clerk.id)
    # The caller gets the confirmation (opt-in) mail, the department its new-report mail.
    kinds = set(db.session.scalars(select(OutboxMessage.kind).where(OutboxMessage.payload["report_id"].astext
                                                                    == str(report.id))))
    assert {"confirm_email", "new_report"} <= kinds
    # The clerk of another department cannot open it: the intake page names where it went.
    assert response.headers["Location"].endswith("/intern/aufnehmen")
    page = client.get("/intern/aufnehmen").get_data(as_text=True)
    assert f"Meldung {report.reference} aufgenommen; zuständig ist „{report.department.name}“." in page


def test_channel_shown_to_staff_and_counted_on_the_dashboard(client):
    dispatcher = make_staff("dispatcher")
    login(client, dispatcher.username, PASSWORD)
    for channel in ("schalter", "schalter", "brief"):
        assert _take(client, channel=channel, category="graffiti", description="Graffiti am Rathaus",
                     lat="51,962", lon="8,229").status_code == 303
    report = db.session.scalar(select(Report).order_by(Report.id.desc()).limit(1))
    page = client.get(f"/intern/meldungen/{report.id}").get_data(as_text=True)
    assert '<dd id="channel">Brief</dd>' in page and "Eingangsweg: Brief" in page
    db.session.execute(__import__("sqlalchemy").text("DELETE FROM staff_dashboard_snapshots"))
    body = client.get("/intern/uebersicht").get_data(as_text=True)
    table = body[body.index('id="by-channel"'):body.index("</table>", body.index('id="by-channel"'))]
    assert "<td>Schalter</td><td>2</td>" in table and "<td>Brief</td><td>1</td>" in table


def test_refusals_name_the_field_and_store_nothing(client):
    clerk = make_staff("staff", "tiefbau")
    login(client, clerk.username, PASSWORD)
    before = _count(Report)
    good = {"channel": "telefon", "category": "schlagloch", "description": "Loch", "lat": "51,962", "lon": "8,229"}
    for change, text in (({"channel": ""}, "wie die Meldung eingegangen ist"),
                         ({"channel": "fax"}, "wie die Meldung eingegangen ist"),
                         ({"phone": "<script>"}, "Telefonnummer"),
                         ({"email": "kein-at"}, "E-Mail"),
                         ({"category": ""}, "Kategorie"),
                         ({"lat": "", "lon": ""}, "Ort")):
        response = _take(client, **{**good, **change})
        assert response.status_code == 400 and text in response.get_data(as_text=True), change
    assert _count(Report) == before
