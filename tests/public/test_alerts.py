"""Area alerts: double opt-in, matching by Ortsteil / radius / category, unsubscribe,
real mails through the outbox, a real RQ worker and the aiosmtpd server."""
from __future__ import annotations

import re

from sqlalchemy import select, text

from app.alerts.models import AlertSubscription
from app.db import db
from app.outbox.models import OutboxMessage
from app.reports.operations import change_status
from tests.confirm import press_confirm
from tests.conftest import csrf_token, run_worker
from tests.factories import GREFFEN, MARIENFELD, make_report
from tests.staff.helpers import client_address

XSS = "<img src=x onerror=alert(1)>"


def _subscribe(client, **fields):
    data = {"csrf_token": csrf_token(client, "/benachrichtigungen"), "email": "nachbar@example.org",
            "where": "ortsteil", "ortsteil": "ortsteil-greffen", "radius": "500", "events": ["neu", "erledigt"]}
    data.update(fields)
    # A client address per subscription: the per-address limit (10/hour) is not what these tests are about.
    return client.post("/benachrichtigungen", data=data, environ_base={"REMOTE_ADDR": client_address()})


def _latest(session) -> AlertSubscription:
    return session.scalar(select(AlertSubscription).order_by(AlertSubscription.id.desc()).limit(1))


def _alerts(session, subscription, kind="area_alert"):
    return [m for m in session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id))
            if m.payload.get("subscription_id") == subscription.id]


def test_subscription_needs_confirmation_before_anything_is_sent(client, db_session):
    response = _subscribe(client)
    assert response.status_code == 303
    subscription = _latest(db_session)
    assert subscription.confirmed_at is None
    assert [m.payload for m in _alerts(db_session, subscription, "alert_confirm")] == [{"subscription_id": subscription.id}]
    make_report(point=GREFFEN, category_code="gully")
    db_session.commit()
    assert _alerts(db_session, subscription) == []  # not confirmed: no alert

    assert press_confirm(client, f"/benachrichtigungen/bestaetigen/{subscription.token}").status_code == 303
    report = make_report(point=GREFFEN, category_code="gully")
    elsewhere = make_report(point=MARIENFELD, category_code="gully")
    db_session.commit()
    alerts = _alerts(db_session, subscription)
    assert len(alerts) == 1 and alerts[0].payload["event"] == "new"
    assert alerts[0].payload["status_change_id"] == report.history[0].id
    assert all(m.payload["status_change_id"] != elsewhere.history[0].id for m in alerts)

    change_status(report, "in_bearbeitung", actor="test")
    db_session.commit()
    assert len(_alerts(db_session, subscription)) == 1  # only new and fixed cause alerts
    change_status(report, "erledigt", public_note="Gereinigt", actor="test")
    db_session.commit()
    assert [m.payload["event"] for m in _alerts(db_session, subscription)] == ["new", "fixed"]


def test_radius_category_and_event_choice_are_respected(client, db_session):
    # Coordinates typed instead of an address (works without a geocoder).
    assert _subscribe(client, where="umkreis", address="51,962; 8,229", radius="250",
                      categories=["strassenlaterne"], events=["erledigt"]).status_code == 303
    subscription = _latest(db_session)
    assert subscription.radius_m == 250 and subscription.notify_new is False
    press_confirm(client, f"/benachrichtigungen/bestaetigen/{subscription.token}")
    near_light = make_report(point=(8.2295, 51.9622), category_code="strassenlaterne")
    near_pothole = make_report(point=(8.2295, 51.9622), category_code="schlagloch")
    far_light = make_report(point=(8.2400, 51.9700), category_code="strassenlaterne")  # ~1 km away
    db_session.commit()
    assert _alerts(db_session, subscription) == []  # new reports: not wanted
    for report in (near_light, near_pothole, far_light):
        change_status(report, "erledigt", actor="test")
    db_session.commit()
    alerts = _alerts(db_session, subscription)
    assert [m.payload["status_change_id"] for m in alerts] == [near_light.history[-1].id]


def test_bad_subscriptions_get_400_naming_each_field(client, db_session):
    response = _subscribe(client, email="kein-at", where="umkreis", address="", radius="7", events=[])
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    for message in ("Diese E-Mail-Adresse ist ungültig.", "Bitte wählen Sie einen Umkreis aus der Liste.",
                    "Bitte geben Sie eine Adresse in Harsewinkel an.", "Bitte wählen Sie mindestens"):
        assert message in page
    assert _subscribe(client, where="umkreis", address="0; 0").status_code == 400  # outside the town
    assert _subscribe(client, ortsteil="mond").status_code == 400
    assert _subscribe(client, categories=["gibtsnicht"]).status_code == 400
    english = _subscribe(client, email="", **{"lang": "en"})
    assert "Please enter your e-mail address." in client.post("/benachrichtigungen?lang=en", data={
        "csrf_token": csrf_token(client, "/benachrichtigungen"), "where": "ortsteil",
        "ortsteil": "ortsteil-greffen", "events": ["neu"]}).get_data(as_text=True)
    assert english.status_code == 400
    client.get("/?lang=de")
    assert db_session.scalar(select(AlertSubscription).where(AlertSubscription.email == "kein-at")) is None
    assert client.get("/benachrichtigungen/bestaetigen/falsch").status_code == 404


def test_unsubscribe_asks_first_stops_alerts_and_erases_the_address(client, db_session):
    _subscribe(client)
    subscription = _latest(db_session)
    press_confirm(client, f"/benachrichtigungen/bestaetigen/{subscription.token}")
    page = client.get(f"/benachrichtigungen/abmelden/{subscription.token}")
    assert page.status_code == 200 and subscription.unsubscribed_at is None  # a GET (link scanner) changes nothing
    # RFC 8058 one-click: a POST without CSRF token from the mail client.
    assert client.post(f"/benachrichtigungen/abmelden/{subscription.token}",
                       data={"List-Unsubscribe": "One-Click"}).status_code == 200
    db_session.refresh(subscription)
    assert subscription.unsubscribed_at is not None and subscription.email == ""
    make_report(point=GREFFEN)
    db_session.commit()
    assert _alerts(db_session, subscription) == []
    assert client.get(f"/benachrichtigungen/bestaetigen/{subscription.token}").status_code == 410


def test_alert_mails_are_delivered_with_unsubscribe_links(app, committing, smtp_server):
    client = app.test_client()
    _subscribe(client, email="anwohnerin@example.org")
    subscription = _latest(db.session)
    run_worker(app)
    smtp_server.wait_for(1)
    [confirm_mail] = smtp_server.to("anwohnerin@example.org")
    assert f"/benachrichtigungen/bestaetigen/{subscription.token}" in confirm_mail.get_body(("plain",)).get_content()
    assert confirm_mail["List-Unsubscribe"] == f"<http://maengelmelder.test/benachrichtigungen/abmelden/{subscription.token}>"
    press_confirm(client, f"/benachrichtigungen/bestaetigen/{subscription.token}")

    report = make_report(point=GREFFEN, category_code="gully", description=XSS, address="Glockengasse 1")
    db.session.commit()
    run_worker(app)
    [_confirm, alert] = smtp_server.to("anwohnerin@example.org")
    assert report.reference in alert["Subject"]
    assert alert["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = alert.get_body(("html",)).get_content()
    assert "&lt;img src=x" in html and "<img src=x" not in html
    assert f"/benachrichtigungen/abmelden/{subscription.token}" in html


def _mail_path(mail, prefix: str) -> str:
    """The path of the first link in the mail's text part that starts with ``prefix``."""
    body = mail.get_body(("plain",)).get_content()
    match = re.search(r"http://maengelmelder\.test(" + re.escape(prefix) + r"[\w-]+)", body)
    assert match, f"no {prefix} link in the mail"
    return match.group(1)


def test_unsubscribing_through_the_mail_link_erases_email_and_place(app, committing, smtp_server):
    """DSGVO: once unsubscribed through the link in a mail, a row keeps nothing that points to
    the person or to where they live: no e-mail, typed address, centre point, radius or Ortsteil."""
    client = app.test_client()
    assert _subscribe(client, email="umkreis@example.org", where="umkreis", address="51,962; 8,229", radius="250",
                      categories=["gully"]).status_code == 303
    radius = _latest(db.session)
    assert _subscribe(client, email="ortsteil@example.org").status_code == 303
    ortsteil = _latest(db.session)
    assert radius.address and radius.center is not None and ortsteil.area_id is not None  # what there is to erase
    run_worker(app)
    smtp_server.wait_for(2)
    press_confirm(client, _mail_path(smtp_server.to("umkreis@example.org")[0], "/benachrichtigungen/bestaetigen/"))
    make_report(point=(8.2292, 51.9621), category_code="gully")
    db.session.commit()
    run_worker(app)
    smtp_server.wait_for(3)
    [_confirm, alert] = smtp_server.to("umkreis@example.org")

    # The radius subscription through the link in the alert, the Ortsteil one (never confirmed)
    # through the link in its opt-in mail; both as a person does it: open the page, press the button.
    for mail in (alert, smtp_server.to("ortsteil@example.org")[0]):
        path = _mail_path(mail, "/benachrichtigungen/abmelden/")
        assert "Jetzt abmelden" in client.get(path).get_data(as_text=True)
        done = client.post(path)
        assert done.status_code == 200 and "Sie sind abgemeldet" in done.get_data(as_text=True)

    db.session.expire_all()
    rows = db.session.execute(text(
        "SELECT token, email, address, center, radius_m, area_id, category_ids, unsubscribed_at "
        "FROM alert_subscriptions ORDER BY id")).all()
    assert [row.token for row in rows] == [radius.token, ortsteil.token]  # the rows stay: old links still answer
    for row in rows:
        assert row.unsubscribed_at is not None
        assert (row.email, row.address, row.center, row.radius_m, row.area_id, row.category_ids) == \
            ("", None, None, None, None, [])

    # Nothing else changed: no more alerts, old links answer "unsubscribed" and stay idempotent.
    make_report(point=(8.2292, 51.9621), category_code="gully")
    make_report(point=GREFFEN, category_code="gully")
    db.session.commit()
    run_worker(app)
    assert (len(_alerts(db.session, radius)), len(_alerts(db.session, ortsteil))) == (1, 0)
    assert (len(smtp_server.to("umkreis@example.org")), len(smtp_server.to("ortsteil@example.org"))) == (2, 1)
    assert client.get(f"/benachrichtigungen/bestaetigen/{radius.token}").status_code == 410
    assert client.post(f"/benachrichtigungen/abmelden/{radius.token}").status_code == 200
    assert "Sie sind abgemeldet" in client.get(f"/benachrichtigungen/abmelden/{ortsteil.token}").get_data(as_text=True)


def test_odd_characters_in_the_form_get_a_400_not_a_500(client, db_session):
    """A NUL in a field that is looked up (Ortsteil, category) failed in PostgreSQL, and a radius of
    "²" passed str.isdigit() and failed in int(): both were a 500."""
    nul = _subscribe(client, ortsteil="ortsteil-greffen\x00")
    assert nul.status_code == 400 and "Bitte wählen Sie einen Ortsteil aus der Liste." in nul.get_data(as_text=True)
    assert 'value="nachbar@example.org"' in nul.get_data(as_text=True)  # the form keeps what was typed
    unknown = _subscribe(client, categories=["gully\x00"])
    assert unknown.status_code == 400 and "Unbekannte Kategorie" in unknown.get_data(as_text=True)
    superscript = _subscribe(client, where="umkreis", address="51,962; 8,229", radius="²")
    assert superscript.status_code == 400
    assert "Bitte wählen Sie einen Umkreis aus der Liste." in superscript.get_data(as_text=True)
    assert db_session.scalar(select(AlertSubscription).where(AlertSubscription.email == "nachbar@example.org")) is None
