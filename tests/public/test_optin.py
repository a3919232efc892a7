"""Double opt-in that proves the address owner's consent, unsubscribing that erases, and
alerts asked for twice.

Mail security scanners (Safe Links, Proofpoint, corporate gateways) open every link in a
mail. A confirmation link that confirmed on a GET therefore confirmed subscriptions that
someone else had asked for; now the link shows a question and only its button (a POST
with CSRF token) confirms. Unsubscribing keeps its RFC 8058 one-click POST.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select, text

from app.alerts import operations as alerts
from app.alerts.models import AlertSubscription
from app.db import db
from app.followers.models import Follower, MailUnsubscribe
from app.followers.operations import request_follow
from app.followers.tokens import follow_token, unsubscribe_token
from app.outbox.models import OutboxMessage
from app.reports.models import Report
from app.reports.operations import change_status
from app.reports.tokens import confirm_email_token
from tests.confirm import press_confirm
from tests.conftest import csrf_token, run_worker
from tests.factories import GREFFEN, make_report, town
from tests.services import body_text
from tests.staff.helpers import client_address

FOLLOWER = "nachbarin@example.org"
REPORTER = "melderin@example.org"


def _page_token(client, path: str) -> str:
    """A valid CSRF token of this client's session (from a page that has a form)."""
    return csrf_token(client, path)


def _subscribe(client, **fields):
    data = {"csrf_token": csrf_token(client, "/benachrichtigungen"), "email": "anwohner@example.org",
            "where": "ortsteil", "ortsteil": "ortsteil-greffen", "radius": "500", "events": ["neu", "erledigt"]}
    data.update(fields)
    return client.post("/benachrichtigungen", data=data, environ_base={"REMOTE_ADDR": client_address()})


def _link(mail, prefix: str) -> str:
    match = re.search(r"https?://\S+" + re.escape(prefix) + r"\S+", body_text(mail))
    assert match, f"no {prefix} link in:\n{body_text(mail)}"
    return urlsplit(match.group(0)).path


# --- 1. confirmation links: a GET asks, the button confirms -----------------------------------

def test_following_is_confirmed_by_the_button_not_by_opening_the_link(client, db_session):
    report = make_report(point=GREFFEN, category_code="gully")
    follower = request_follow(report, FOLLOWER, "de")
    db_session.commit()
    path = f"/folgen/bestaetigen/{follow_token(follower)}"

    page = client.get(path)  # what a mail scanner does
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Benachrichtigung bestätigen" in html
    assert report.reference in html and FOLLOWER not in html
    assert 'name="csrf_token"' in html and 'method="post"' in html
    client.get(path)
    db_session.refresh(follower)
    assert follower.confirmed_at is None

    # Not exempt from CSRF: a forged cross-site POST confirms nothing either.
    assert client.post(path).status_code == 400
    db_session.refresh(follower)
    assert follower.confirmed_at is None

    done = press_confirm(client, path)
    assert done.status_code == 303 and urlsplit(done.headers["Location"]).path == path
    db_session.refresh(follower)
    assert follower.confirmed_at is not None
    result = client.get(path).get_data(as_text=True)
    assert "Folgen bestätigt" in result and "Benachrichtigung bestätigen" not in result


def test_area_alert_is_confirmed_by_the_button_not_by_opening_the_link(client, db_session):
    assert _subscribe(client, where="umkreis", address="51,962; 8,229", radius="250", categories=["gully"],
                      events=["erledigt"]).status_code == 303
    subscription = db_session.scalar(select(AlertSubscription).order_by(AlertSubscription.id.desc()).limit(1))
    path = f"/benachrichtigungen/bestaetigen/{subscription.token}"

    html = client.get(path).get_data(as_text=True)
    assert "Benachrichtigung bestätigen" in html
    # What the opt-in mail named: the area, the events and the categories; not the address.
    assert "250 m um 51.96200, 8.22900" in html and "erledigte Meldungen" in html and "Gully" in html
    assert "anwohner@example.org" not in html
    db_session.refresh(subscription)
    assert subscription.confirmed_at is None
    make_report(point=(8.2292, 51.9621), category_code="gully")
    db_session.commit()
    assert db_session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.kind == "area_alert")) == 0

    done = press_confirm(client, path)
    assert done.status_code == 303 and urlsplit(done.headers["Location"]).path == path
    db_session.refresh(subscription)
    assert subscription.confirmed_at is not None
    assert "Benachrichtigungen bestätigt" in client.get(path).get_data(as_text=True)


def test_reporters_address_is_confirmed_by_the_button_not_by_opening_the_link(client, db_session):
    report = make_report(point=GREFFEN, category_code="gully", email=REPORTER)
    db_session.commit()
    path = f"/bestaetigen/{confirm_email_token(report)}"

    page = client.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Benachrichtigung bestätigen" in html
    assert report.reference in html and REPORTER not in html
    assert page.headers["Cache-Control"] == "private, no-store"
    db_session.refresh(report)
    assert report.reporter_email_confirmed is False

    done = press_confirm(client, path)
    assert done.status_code == 303 and urlsplit(done.headers["Location"]).path == path
    db_session.refresh(report)
    assert report.reporter_email_confirmed is True
    assert "E-Mail-Adresse bestätigt" in client.get(path).get_data(as_text=True)


@pytest.mark.parametrize("path, status", [
    ("/folgen/bestaetigen/kaputt", 404),
    ("/benachrichtigungen/bestaetigen/kaputt", 404),
    ("/bestaetigen/kaputt", 404),
    ("/folgen/bestaetigen/%00", 400),
    ("/benachrichtigungen/bestaetigen/%00", 400),
    ("/bestaetigen/%00", 400),
])
def test_bad_confirmation_links_keep_their_answers_on_get_and_post(client, db_session, path, status):
    assert client.get(path).status_code == status
    # A valid CSRF token: the answer is about the link, not about a missing token.
    assert client.post(path, data={"csrf_token": _page_token(client, "/benachrichtigungen")}).status_code == status


def test_confirming_a_cancelled_alert_is_a_410_on_get_and_post(client, db_session):
    _subscribe(client)
    subscription = db_session.scalar(select(AlertSubscription).order_by(AlertSubscription.id.desc()).limit(1))
    alerts.unsubscribe(subscription.token)
    db_session.commit()
    path = f"/benachrichtigungen/bestaetigen/{subscription.token}"
    assert client.get(path).status_code == 410
    assert client.post(path, data={"csrf_token": _page_token(client, "/benachrichtigungen")}).status_code == 410


def test_follow_opt_in_mail_has_one_click_unsubscribe_that_needs_no_csrf_token(app, committing, smtp_server):
    [report_id] = [make_report(point=GREFFEN, category_code="gully").id]
    db.session.commit()
    request_follow(db.session.get(Report, report_id), FOLLOWER, "de")
    db.session.commit()
    run_worker(app)
    smtp_server.wait_for(2)  # the department's notice of the new report, and the opt-in
    [optin] = smtp_server.to(FOLLOWER)
    path = _link(optin, "/abmelden/")
    assert optin["List-Unsubscribe"] == f"<http://maengelmelder.test{path}>"
    assert optin["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    client = app.test_client()  # a mail client: no cookie, no CSRF token
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert db.session.scalar(select(Follower.unsubscribed_at).where(Follower.report_id == report_id)) is not None
    # The confirmation link of that mail now answers "unsubscribed" and asks nothing.
    page = client.get(_link(optin, "/folgen/bestaetigen/")).get_data(as_text=True)
    assert "abgemeldet" in page and "Benachrichtigung bestätigen" not in page


# --- 2. unfollowing erases the follower's e-mail address at once --------------------------------

def test_unfollowing_erases_the_followers_address_at_once(client, db_session):
    report = make_report(point=GREFFEN, category_code="gully")
    other = request_follow(report, "bleibt@example.org", "de")
    follower = request_follow(report, FOLLOWER, "de")
    db_session.commit()
    press_confirm(client, f"/folgen/bestaetigen/{follow_token(follower)}")
    confirm_path = f"/folgen/bestaetigen/{follow_token(follower)}"

    assert client.post(f"/abmelden/{unsubscribe_token(report.id, FOLLOWER)}").status_code == 200
    db_session.expire_all()
    follower, other = db_session.get(Follower, follower.id), db_session.get(Follower, other.id)
    assert follower.unsubscribed_at is not None and follower.email is None
    assert db_session.scalar(text("SELECT count(*) FROM followers WHERE email = :e"), {"e": FOLLOWER}) == 0
    assert other.email == "bleibt@example.org" and other.unsubscribed_at is None  # another address is untouched
    # The link in the old opt-in mail still answers, and says what happened.
    page = client.get(confirm_path)
    assert page.status_code == 200 and "abgemeldet" in page.get_data(as_text=True)


def test_following_again_after_unfollowing_needs_a_new_confirmation(app, committing, smtp_server):
    report_id = make_report(point=GREFFEN, category_code="gully").id
    db.session.commit()
    client = app.test_client()
    request_follow(db.session.get(Report, report_id), FOLLOWER, "de")
    db.session.commit()
    run_worker(app)
    smtp_server.wait_for(2)  # the department's notice of the new report, and the opt-in
    [first] = smtp_server.to(FOLLOWER)
    press_confirm(client, _link(first, "/folgen/bestaetigen/"))
    assert client.post(_link(first, "/abmelden/")).status_code == 200

    # Asked again: a fresh row and a fresh opt-in mail (the earlier "no more mail" does not block
    # the question), but nothing is sent about the report until the owner confirms.
    smtp_server.clear()
    request_follow(db.session.get(Report, report_id), FOLLOWER, "de")
    db.session.commit()
    change_status(db.session.get(Report, report_id), "in_bearbeitung", actor="test")
    db.session.commit()
    run_worker(app)
    [second] = smtp_server.wait_for(1)
    assert "/folgen/bestaetigen/" in body_text(second)
    assert db.session.scalar(select(func.count()).select_from(MailUnsubscribe)) == 1

    assert press_confirm(client, _link(second, "/folgen/bestaetigen/")).status_code == 303
    assert db.session.scalar(select(func.count()).select_from(MailUnsubscribe)) == 0
    smtp_server.clear()
    change_status(db.session.get(Report, report_id), "erledigt", public_note="Gereinigt.", actor="test")
    db.session.commit()
    run_worker(app)
    [update] = smtp_server.wait_for(1)
    assert update["To"] == FOLLOWER and "Gereinigt." in body_text(update)
    assert [f.email for f in db.session.scalars(select(Follower).where(Follower.report_id == report_id)
                                                .order_by(Follower.id))] == [None, FOLLOWER]


# --- 3. the same area alert asked for twice -------------------------------------------------------

def test_the_same_alert_asked_for_twice_is_one_subscription_and_one_mail_per_report(app, committing, smtp_server):
    client = app.test_client()
    address = "anwohner@example.org"
    first = _subscribe(client)
    again = _subscribe(client, email="Anwohner@Example.org ")  # the same address, typed differently
    # The page answers as for a new subscription: it must not tell anyone who gets which alerts.
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(AlertSubscription)) == 1
    run_worker(app)
    # The first opt-in mail was still waiting when the second request came: one mail.
    assert len(smtp_server.wait_for(1)) == 1

    # Not confirmed yet and asked again within the hour: the link just sent is offered again,
    # nothing is mailed (issue 16: no mail-bombing through re-asking).
    smtp_server.clear()
    assert _subscribe(client, events=["neu", "erledigt"]).status_code == 303
    run_worker(app)
    assert smtp_server.wait_for(1, timeout=0.5) == []
    # Later on the opt-in mail is sent again; the events follow the latest request.
    db.session.execute(text("UPDATE outbox_messages SET created_at = created_at - interval '2 hours'"))
    db.session.commit()
    assert _subscribe(client, events=["neu"]).status_code == 303
    run_worker(app)
    [optin] = smtp_server.wait_for(1)
    db.session.expire_all()
    subscription = db.session.scalar(select(AlertSubscription))
    assert (subscription.notify_new, subscription.notify_fixed) == (True, False)
    press_confirm(client, _link(optin, "/benachrichtigungen/bestaetigen/"))

    # Confirmed and asked again: no second subscription, nothing changes, a mail says so.
    smtp_server.clear()
    assert _subscribe(client, events=["neu", "erledigt"]).status_code == 303
    run_worker(app)
    [notice] = smtp_server.wait_for(1)
    assert "bereits eingerichtet" in notice["Subject"] and "Greffen" in notice["Subject"]
    assert notice["List-Unsubscribe"] == f"<http://maengelmelder.test/benachrichtigungen/abmelden/{subscription.token}>"
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(AlertSubscription)) == 1
    assert db.session.scalar(select(AlertSubscription.notify_fixed)) is False

    smtp_server.clear()
    report = make_report(point=GREFFEN, category_code="gully")
    db.session.commit()
    run_worker(app)
    smtp_server.wait_for(2)  # the department's notice of the new report, and the alert
    assert smtp_server.wait_for(3, timeout=0.5) and len(smtp_server.messages) == 2
    [alert] = smtp_server.to(address)
    assert report.reference in alert["Subject"]


def test_a_radius_asked_for_twice_with_other_spelling_is_one_subscription(client, db_session):
    assert _subscribe(client, where="umkreis", address="51,962; 8,229", radius="250").status_code == 303
    assert _subscribe(client, where="umkreis", address="51.962, 8.229", radius="250").status_code == 303
    assert db_session.scalar(select(func.count()).select_from(AlertSubscription)) == 1
    # Another radius, another category choice or another address: each its own subscription.
    assert _subscribe(client, where="umkreis", address="51,962; 8,229", radius="500").status_code == 303
    assert _subscribe(client, where="umkreis", address="51,962; 8,229", radius="250",
                      categories=["gully"]).status_code == 303
    assert _subscribe(client, email="jemand@example.org", where="umkreis", address="51,962; 8,229",
                      radius="250").status_code == 303
    assert db_session.scalar(select(func.count()).select_from(AlertSubscription)) == 4


def test_overlapping_subscriptions_of_one_address_get_one_alert_per_report(client, db_session):
    """An Ortsteil and a radius around a house in it (or two rows made before requests were
    merged) both match a report: one mail, not two."""
    made = [alerts.subscribe(town(), alerts.AlertInput(email="doppelt@example.org", where="ortsteil",
                                                       ortsteil="ortsteil-greffen")),
            alerts.subscribe(town(), alerts.AlertInput(email="doppelt@example.org", where="umkreis",
                                                       address=f"{GREFFEN[1]}; {GREFFEN[0]}", radius_m="500")),
            alerts.subscribe(town(), alerts.AlertInput(email="andere@example.org", where="ortsteil",
                                                       ortsteil="ortsteil-greffen"))]
    for subscription in made:
        alerts.confirm(subscription.token)
    db_session.commit()
    report = make_report(point=GREFFEN, category_code="gully")
    db_session.commit()
    alerted = [m.payload["subscription_id"] for m in db_session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "area_alert").order_by(OutboxMessage.id))
        if m.payload["status_change_id"] == report.history[0].id]
    assert alerted == [made[0].id, made[2].id]
