"""Followers (double opt-in) and unsubscribing from every kind of citizen mail, without login."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlalchemy import select

from app.db import db
from app.followers.models import Follower
from app.followers.operations import request_follow
from app.outbox.models import OutboxMessage
from app.reports.models import Report
from app.reports.operations import change_status
from tests.confirm import press_confirm
from tests.services import body_text
from tests.workers.conftest import confirmed_reports, drain


def _link(text: str, path_prefix: str) -> str:
    match = re.search(r"https?://\S+" + re.escape(path_prefix) + r"\S+", text)
    assert match, f"no {path_prefix} link in:\n{text}"
    return urlsplit(match.group(0)).path


def _change(report_id: int, status: str, note: str = "") -> None:
    change_status(db.session.get(Report, report_id), status, public_note=note, actor="test")
    db.session.commit()


def test_unsubscribe_link_in_status_mail_stops_further_mail(committing, smtp_server):
    app = committing
    [report] = confirmed_reports(1)
    _change(report.id, "in_pruefung")
    drain(app)
    [mail] = smtp_server.wait_for(1)
    text = body_text(mail)
    path = _link(text, "/abmelden/")
    assert mail["List-Unsubscribe"] == f"<http://maengelmelder.test{path}>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert path in html

    client = app.test_client()  # no login
    page = client.get(path)
    assert page.status_code == 200 and "Abmelden" in page.get_data(as_text=True)
    # Opening the link (a mail scanner does) unsubscribes nobody.
    smtp_server.clear()
    _change(report.id, "in_bearbeitung")
    drain(app)
    assert len(smtp_server.wait_for(1)) == 1

    # RFC 8058 one-click POST, as a mail client sends it: no CSRF token, no cookie.
    response = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and "keine E-Mails mehr" in response.get_data(as_text=True)
    assert client.post(path).status_code == 200  # idempotent

    smtp_server.clear()
    _change(report.id, "erledigt", "Repariert.")
    drain(app)
    assert smtp_server.wait_for(1, timeout=0.5) == []
    last = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "status_changed")
                             .order_by(OutboxMessage.id.desc()).limit(1))
    assert (last.state, last.last_error) == ("cancelled", "unsubscribed")


def test_bad_unsubscribe_token_is_a_404_in_the_users_language(committing):
    client = committing.test_client()
    german = client.get("/abmelden/kaputt")
    assert german.status_code == 404 and "Abmeldelink ist ungültig" in german.get_data(as_text=True)
    english = client.get("/abmelden/kaputt?lang=en")
    assert english.status_code == 404
    assert client.post("/abmelden/kaputt").status_code == 404


def test_follower_double_opt_in_updates_and_unsubscribe(committing, smtp_server):
    app = committing
    [report] = confirmed_reports(1)
    follower = request_follow(db.session.get(Report, report.id), "nachbarin@example.org", "en")
    request_follow(db.session.get(Report, report.id), "Nachbarin@example.org", "en")  # asked twice: one mail
    db.session.commit()

    # Before confirming: the opt-in mail only, no updates.
    _change(report.id, "in_pruefung")
    drain(app)
    to_follower = smtp_server.to("nachbarin@example.org")
    assert len(to_follower) == 1
    optin = to_follower[0]
    assert "Please confirm" in optin["Subject"] or "confirm" in body_text(optin).lower()
    assert len(smtp_server.to(report.reporter_email)) == 1  # the reporter's own status mail

    client = app.test_client()
    confirm_path = _link(body_text(optin), "/folgen/bestaetigen/")
    assert press_confirm(client, confirm_path).status_code == 303
    db.session.expire_all()
    assert db.session.get(Follower, follower.id).confirmed_at is not None

    smtp_server.clear()
    _change(report.id, "in_bearbeitung", "Der Bauhof ist unterwegs.")
    drain(app)
    mails = smtp_server.wait_for(2)
    [update] = smtp_server.to("nachbarin@example.org")
    assert len(mails) == 2
    text = body_text(update)
    assert "In progress" in update["Subject"] and "Der Bauhof ist unterwegs." in text
    unsubscribe_path = _link(text, "/abmelden/")

    assert client.post(unsubscribe_path).status_code == 200
    db.session.expire_all()
    assert db.session.get(Follower, follower.id).unsubscribed_at is not None
    smtp_server.clear()
    _change(report.id, "erledigt")
    drain(app)
    assert smtp_server.to("nachbarin@example.org") == []
    assert len(smtp_server.to(report.reporter_email)) == 1  # the reporter still hears
    # The follower's unsubscribe did not touch the reporter (a different address).


def test_follow_refuses_bad_address(committing):
    from app.errors import DomainError

    [report] = confirmed_reports(1)
    try:
        request_follow(db.session.get(Report, report.id), "keine-adresse", "de")
    except DomainError as exc:
        assert exc.field == "email"
    else:
        raise AssertionError("an invalid address was accepted")


def test_citizen_mail_carries_the_towns_sender_signature_short_links_and_the_sites_look(committing, smtp_server):
    """Issue 17: the sender names the town, both parts end with the town's signature, the HTML part
    has the site's colour bar and links that say where they lead (the plain text keeps the addresses)."""
    from email.utils import parseaddr

    app = committing
    [report] = confirmed_reports(1)
    _change(report.id, "in_bearbeitung", "Wir sind dran.")
    drain(app)
    [mail] = smtp_server.wait_for(1)
    assert parseaddr(mail["From"])[0] == "Mängelmelder der Stadt Harsewinkel"  # the town profile's sender
    text = body_text(mail)
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert "Ihr Mängelmelder der Stadt Harsewinkel" in text and "Ihr Mängelmelder der Stadt Harsewinkel" in html
    assert _link(text, "/t/")  # the plain text has the (short) address
    assert f">Stand der Meldung {report.reference}</a>" in html
    assert f">Öffentliche Seite der Meldung {report.reference}</a>" in html
    assert re.search(r">https?://[^<]*/verfolgen/", html) is None  # no raw long address as link text
    assert f"background:{app.extensions['town'].colour_dark}" in html and "Stadt Harsewinkel" in html
