"""Issue 20 point 3: Meine Meldungen without a password. A single-use sign-in link valid 30
minutes, under the per-recipient mail cap; one address never sees another's reports; the
notification settings; the intake form filled in when signed in."""
from __future__ import annotations

import re
from datetime import timedelta

from flask import g
from sqlalchemy import func, select

from app.account.models import CitizenSignIn
from app.account.tokens import sign_in_token
from app.db import db, utcnow
from app.followers.models import Follower, MailUnsubscribe
from app.followers.operations import request_follow
from app.outbox.models import OutboxMessage
from app.outbox.recipients import cap_key
from tests.conftest import csrf_token
from tests.factories import GREFFEN, HARSEWINKEL, make_report, town
from tests.services import body_text
from tests.staff.helpers import client_address
from tests.workers.conftest import drain

ANNA, BERND = "anna@example.org", "bernd@example.org"


def _request_link(client, email: str):
    g.pop("csrf_token", None)
    return client.post("/meine-meldungen/anmelden", data={
        "csrf_token": csrf_token(client, "/meine-meldungen"), "email": email},
        environ_base={"REMOTE_ADDR": client_address()})


def _use_link(client, token: str):
    g.pop("csrf_token", None)
    return client.post(f"/meine-meldungen/anmelden/{token}", data={
        "csrf_token": csrf_token(client, f"/meine-meldungen/anmelden/{token}")})


def sign_in(client, email: str) -> None:
    """Sign ``client`` in as ``email`` through a real link (the row the form records). The address's
    daily mail cap starts afresh (a test's reports and follows count against it too)."""
    from workers.queue import redis

    redis().delete(cap_key(email))
    assert _request_link(client, email).status_code == 303
    sign_in_id = db.session.scalar(select(CitizenSignIn.id).where(CitizenSignIn.email == email)
                                   .order_by(CitizenSignIn.id.desc()))
    assert _use_link(client, sign_in_token(sign_in_id)).status_code == 303


def test_the_mailed_link_signs_in_once(committing, smtp_server):
    app = committing
    report = make_report(email=ANNA, description="Bank kaputt")
    reference = report.reference
    db.session.commit()
    client = app.test_client()
    with app.test_request_context():
        response = _request_link(client, "Anna@Example.org")
    assert response.status_code == 303 and response.headers["Location"].endswith("/meine-meldungen/link-gesendet")
    drain(app)
    [mail] = [m for m in smtp_server.to(ANNA) if "Anmeldelink" in m["Subject"]]
    link = re.search(r"https?://\S+/meine-meldungen/anmelden/\S+", body_text(mail)).group(0)
    path = "/" + link.split("/", 3)[3]
    assert client.get(path).status_code == 200  # asks only: a mail scanner's visit uses nothing up
    with app.test_request_context():
        assert _use_link(client, path.rsplit("/", 1)[1]).status_code == 303
    overview = client.get("/meine-meldungen").get_data(as_text=True)
    assert "Angemeldet als anna@example.org" in overview and reference in overview

    stranger = app.test_client()
    used = stranger.get(path)
    assert used.status_code == 404
    assert "Dieser Anmeldelink ist ungültig, abgelaufen oder wurde schon benutzt." in used.get_data(as_text=True)
    assert "Angemeldet" not in stranger.get("/meine-meldungen").get_data(as_text=True)


def test_the_link_expires_after_30_minutes(app, client, db_session):
    sign_in = CitizenSignIn(jurisdiction_id=town().id, email=ANNA, created_at=utcnow() - timedelta(minutes=31))
    fresh = CitizenSignIn(jurisdiction_id=town().id, email=ANNA, created_at=utcnow() - timedelta(minutes=29))
    db.session.add_all([sign_in, fresh])
    db_session.commit()
    assert client.get(f"/meine-meldungen/anmelden/{sign_in_token(sign_in.id)}").status_code == 404
    assert client.get(f"/meine-meldungen/anmelden/{sign_in_token(fresh.id)}").status_code == 200
    assert client.get("/meine-meldungen/anmelden/gefaelscht.123").status_code == 404


def test_sign_in_mails_count_against_the_per_recipient_cap(app, client, db_session, redis_server):
    redis_server.client().delete(cap_key(ANNA))
    answers = {(r.status_code, r.headers.get("Location")) for r in (_request_link(client, ANNA) for _ in range(5))}
    assert len(answers) == 1  # the person typing cannot tell whether a mail went out
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.kind == "citizen_sign_in")) == app.config["CONFIRMATION_MAILS_PER_ADDRESS"]


def test_two_addresses_never_see_each_others_reports(app, db_session):
    annas = make_report(email=ANNA, description="Annas Schlagloch")
    bernds = make_report(point=GREFFEN, category_code="wilder-muell", email=BERND, description="Bernds Müll")
    db_session.commit()
    anna, bernd = app.test_client(), app.test_client()
    sign_in(anna, ANNA)
    sign_in(bernd, BERND)
    anna_page = anna.get("/meine-meldungen").get_data(as_text=True)
    bernd_page = bernd.get("/meine-meldungen").get_data(as_text=True)
    assert annas.reference in anna_page and bernds.reference not in anna_page
    assert bernds.reference in bernd_page and annas.reference not in bernd_page
    assert BERND not in anna_page and ANNA not in bernd_page
    # Anna cannot change Bernd's report by sending its id.
    g.pop("csrf_token", None)
    refused = anna.post("/meine-meldungen/einstellungen", data={
        "csrf_token": csrf_token(anna, "/meine-meldungen"), "was": "meldung_mails", "meldung": bernds.id, "an": "0"})
    assert refused.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(MailUnsubscribe)) == 0


def test_notification_settings_and_sign_out(app, client, db_session):
    report = make_report(email=ANNA)
    followed = make_report(point=GREFFEN, category_code="wilder-muell")
    follower = request_follow(followed, ANNA)
    follower.confirmed_at = utcnow()
    db_session.commit()
    sign_in(client, ANNA)
    page = client.get("/meine-meldungen").get_data(as_text=True)
    assert followed.reference in page and f"E-Mails zu {report.reference} abbestellen" in page

    def post(**data):
        g.pop("csrf_token", None)
        return client.post("/meine-meldungen/einstellungen", data={"csrf_token": csrf_token(client, "/meine-meldungen"),
                                                                   **data})

    assert post(was="meldung_mails", meldung=report.id, an="0").status_code == 303
    assert db.session.scalar(select(MailUnsubscribe.report_id)) == report.id
    assert f"E-Mails zu {report.reference} wieder erhalten" in client.get("/meine-meldungen").get_data(as_text=True)
    assert post(was="meldung_mails", meldung=report.id, an="1").status_code == 303
    assert db.session.scalar(select(func.count()).select_from(MailUnsubscribe)) == 0
    assert post(was="nicht_mehr_folgen", folgen=follower.id).status_code == 303
    db.session.refresh(follower)
    assert follower.unsubscribed_at is not None and follower.email is None

    g.pop("csrf_token", None)
    out = client.post("/meine-meldungen/abmelden", data={"csrf_token": csrf_token(client, "/meine-meldungen")})
    assert out.status_code == 303
    assert "Anmeldelink senden" in client.get("/meine-meldungen").get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CitizenSignIn).where(
        CitizenSignIn.session_hash.is_not(None))) == 0  # the row with the address went


def test_intake_form_is_prefilled_when_signed_in(app, client, db_session):
    assert 'value=""' in re.search(r'<input id="email"[^>]*>', client.get("/melden").get_data(as_text=True)).group(0)
    sign_in(client, ANNA)
    field = re.search(r'<input id="email"[^>]*>', client.get("/melden").get_data(as_text=True)).group(0)
    assert f'value="{ANNA}"' in field


def test_a_signed_in_reporter_needs_no_double_opt_in_for_the_same_address(app, client, db_session):
    from app.reports.models import Report
    from tests.factories import HARSEWINKEL

    sign_in(client, ANNA)

    def report_with(email: str) -> Report:
        g.pop("csrf_token", None)
        response = client.post("/melden", data={
            "csrf_token": csrf_token(client, "/melden"), "category": "gully", "email": email,
            "description": "Der Gully ist verstopft.", "lat": str(HARSEWINKEL[1]), "lon": str(HARSEWINKEL[0])},
            environ_base={"REMOTE_ADDR": client_address()})
        assert response.status_code == 303
        return db.session.scalar(select(Report).where(Report.reporter_email == email).order_by(Report.id.desc()))

    def confirmations(report: Report) -> int:
        return db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.kind == "confirm_email", OutboxMessage.dedup_key == f"confirm_email:{report.id}"))

    own = report_with(ANNA)
    assert own.reporter_email_confirmed and confirmations(own) == 0  # the sign-in proved the address
    other = report_with(BERND)  # someone else's address typed in: the owner must confirm it
    assert not other.reporter_email_confirmed and confirmations(other) == 1
