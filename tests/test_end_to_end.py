"""The backbone, end to end through the real components: form → PostGIS routing →
status change → outbox → RQ → real worker → SMTP → public page.

No mock stands in for PostgreSQL, Redis, RQ or the SMTP server.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlalchemy import select

from app.db import db
from app.outbox.models import OutboxMessage
from app.reports.models import Report
from app.reports.operations import change_status
from tests.confirm import press_confirm
from tests.conftest import csrf_token, run_worker
from tests.factories import MARIENFELD, jpeg_bytes
from tests.services import body_text

REPORTER = "buergerin@example.org"


def _link(text: str, path_prefix: str) -> str:
    match = re.search(r"https?://\S+" + re.escape(path_prefix) + r"\S+", text)
    assert match, f"no {path_prefix} link in mail:\n{text}"
    return urlsplit(match.group(0)).path


def test_report_to_status_mail_to_public_page(committing, smtp_server):
    app = committing
    client = app.test_client()

    # 1. The citizen submits a report with a photo through the plain HTML form.
    response = client.post("/melden", data={
        "csrf_token": csrf_token(client),
        "idempotency_key": "e2e-key-1",
        "category": "spielplatz",
        "description": "Die Kette der Schaukel ist gerissen.",
        "lat": str(MARIENFELD[1]), "lon": str(MARIENFELD[0]),
        "email": REPORTER,
        "photos": (__import__("io").BytesIO(jpeg_bytes()), "schaukel.jpg"),
    }, content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)
    confirmation = client.get(response.headers["Location"])
    reference = re.search(r"HW-\d{4}-\d{6}", confirmation.get_data(as_text=True)).group(0)

    # 2. Stored and routed in PostGIS (Marienfeld × spielplatz → Bauhof Marienfeld), photo kept.
    report = db.session.scalar(select(Report).where(Report.reference == reference))
    assert report.department.code == "bauhof-marienfeld"
    assert len(report.photos) == 1 and set(report.photos[0].variants) >= {"thumb", "display"}
    assert report.reporter_email == REPORTER

    # 3. A real RQ worker delivers the double opt-in mail and the department's notice.
    run_worker(app)
    mails = smtp_server.wait_for(2)
    to_reporter = smtp_server.to(REPORTER)
    assert len(to_reporter) == 1, [m["To"] for m in mails]
    assert reference in to_reporter[0]["Subject"]
    to_department = smtp_server.to("bauhof-marienfeld@harsewinkel.example")
    assert len(to_department) == 1 and reference in to_department[0]["Subject"]
    assert "Die Kette der Schaukel ist gerissen." in body_text(to_department[0])

    # 4. The reporter confirms the address through the link in the mail.
    confirm_path = _link(body_text(to_reporter[0]), "/bestaetigen/")
    assert press_confirm(client, confirm_path).status_code == 303
    db.session.expire_all()
    assert db.session.get(Report, report.id).reporter_email_confirmed

    # 5. Staff set a status with a public note; the outbox row is written in the same
    #    transaction and reaches RQ only after the commit.
    smtp_server.clear()
    report = db.session.get(Report, report.id)
    change = change_status(report, "in_bearbeitung", public_note="Die Schaukel wird am Montag repariert.",
                           actor="staff:test")
    outbox = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "status_changed"))
    assert outbox.payload == {"report_id": report.id, "status_change_id": change.id}
    from workers.queue import QUEUE_MAIL, get_queue

    assert get_queue(QUEUE_MAIL).count == 0  # nothing enqueued before the commit
    db.session.commit()
    assert get_queue(QUEUE_MAIL).count == 1

    # 6. The worker sends the status mail over SMTP to the reporter.
    run_worker(app)
    [mail] = smtp_server.wait_for(1)
    assert mail["To"] == REPORTER
    assert mail["Subject"] == f"Ihre Meldung {reference}: In Bearbeitung"
    text = body_text(mail)
    assert "In Bearbeitung" in text and "Die Schaukel wird am Montag repariert." in text
    # The private tracking page, by the short link mails carry (/t/<token> redirects to /verfolgen/<token>).
    assert f"/t/{report.tracking_token}" in text
    assert client.get(f"/t/{report.tracking_token}").headers["Location"].endswith(f"/verfolgen/{report.tracking_token}")
    assert mail.get_body(preferencelist=("html",)) is not None
    db.session.expire_all()
    assert {m.state for m in db.session.scalars(select(OutboxMessage))} == {"sent"}

    # 7. The public report page shows the new status and the note, not the reporter.
    page = client.get(f"/meldungen/{reference}").get_data(as_text=True)
    assert "In Bearbeitung" in page and "Die Schaukel wird am Montag repariert." in page
    assert REPORTER not in page

    # A second run of the worker sends nothing more.
    smtp_server.clear()
    run_worker(app)
    assert smtp_server.wait_for(1, timeout=0.5) == []
