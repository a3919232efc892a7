"""Open311 end to end through the real components: multipart POST with a photo →
PostGIS routing → GET requests with agency_responsible → double opt-in mail →
status pushed through servicerequestupdates → real RQ worker → SMTP → reporter."""
from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

from sqlalchemy import select

from app.db import db
from app.reports.models import Report
from tests.confirm import press_confirm
from tests.conftest import run_worker
from tests.factories import MARIENFELD, jpeg_bytes
from tests.services import body_text

REPORTER = "app-nutzerin@example.org"


def test_open311_report_photo_routing_and_pushed_status_reach_the_reporter(committing, committed_key, smtp_server):
    app = committing
    client = app.test_client()

    response = client.post("/open311/v2/requests.json", data={
        "api_key": committed_key, "service_code": "spielplatz", "lat": str(MARIENFELD[1]),
        "long": str(MARIENFELD[0]), "description": "Rutsche hat eine scharfe Kante.", "email": REPORTER,
        "first_name": "Mia", "last_name": "Muster",
        "media": (io.BytesIO(jpeg_bytes()), "rutsche.jpg"),
    }, content_type="multipart/form-data")
    assert response.status_code == 200, response.data
    reference = response.get_json()[0]["service_request_id"]

    report = db.session.scalar(select(Report).where(Report.reference == reference))
    assert report.department.code == "bauhof-marienfeld"
    assert len(report.photos) == 1

    listed = client.get("/open311/v2/requests.json", query_string={"service_request_id": reference}).get_json()
    assert listed[0]["agency_responsible"] == "Bauhof Marienfeld" and listed[0]["status"] == "open"
    listed_xml = client.get(f"/open311/v2/requests.xml?service_request_id={reference}").get_data(as_text=True)
    assert "<agency_responsible>Bauhof Marienfeld</agency_responsible>" in listed_xml

    # The address given through the API is confirmed by the same double opt-in mail as the web form's.
    run_worker(app)
    smtp_server.wait_for(2)
    [confirm] = smtp_server.to(REPORTER)
    link = re.search(r"https?://\S+/bestaetigen/\S+", body_text(confirm)).group(0)
    assert press_confirm(client, urlsplit(link).path).status_code == 303
    db.session.expire_all()
    assert db.session.get(Report, report.id).reporter_email_confirmed

    # The town's back-office system pushes a status change with a note.
    smtp_server.clear()
    pushed = client.post("/open311/v2/servicerequestupdates.json", data={
        "api_key": committed_key, "service_request_id": reference, "status": "FIXED",
        "description": "Die Kante wurde abgeschliffen.", "update_id": "bo-4711"})
    assert pushed.status_code == 200, pushed.data
    run_worker(app)
    [mail] = smtp_server.wait_for(1)
    assert mail["To"] == REPORTER
    assert mail["Subject"] == f"Ihre Meldung {reference}: Erledigt"
    assert "Die Kante wurde abgeschliffen." in body_text(mail)

    # The update is listed publicly; the retry of the same update sends nothing more.
    updates = client.get("/open311/v2/servicerequestupdates.json").get_json()
    assert [u["status"] for u in updates if u["service_request_id"] == reference][-1] == "FIXED"
    smtp_server.clear()
    again = client.post("/open311/v2/servicerequestupdates.json", data={
        "api_key": committed_key, "service_request_id": reference, "status": "FIXED",
        "description": "Die Kante wurde abgeschliffen.", "update_id": "bo-4711"})
    assert again.get_json() == pushed.get_json()
    run_worker(app)
    assert smtp_server.wait_for(1, timeout=0.5) == []
