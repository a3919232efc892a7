"""Area alerts: double opt-in, matching by Ortsteil / radius / category, unsubscribe,
real mails through the outbox, a real RQ worker and the aiosmtpd server."""
from __future__ import annotations

from sqlalchemy import select

from app.alerts.models import AlertSubscription
from app.db import db
from app.outbox.models import OutboxMessage
from app.reports.operations import change_status
from tests.conftest import csrf_token, run_worker
from tests.factories import GREFFEN, MARIENFELD, make_report

XSS = "<img src=x onerror=alert(1)>"


def _subscribe(client, **fields):
    data = {"csrf_token": csrf_token(client, "/benachrichtigungen"), "email": "nachbar@example.org",
            "where": "ortsteil", "ortsteil": "ortsteil-greffen", "radius": "500", "events": ["neu", "erledigt"]}
    data.update(fields)
    return client.post("/benachrichtigungen", data=data)


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

    assert client.get(f"/benachrichtigungen/bestaetigen/{subscription.token}").status_code == 200
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
    client.get(f"/benachrichtigungen/bestaetigen/{subscription.token}")
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
                    "Bitte geben Sie eine Adresse in Stadt Harsewinkel an.", "Bitte wählen Sie mindestens"):
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
    client.get(f"/benachrichtigungen/bestaetigen/{subscription.token}")
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
    client.get(f"/benachrichtigungen/bestaetigen/{subscription.token}")

    report = make_report(point=GREFFEN, category_code="gully", description=XSS, address="Glockengasse 1")
    db.session.commit()
    run_worker(app)
    [_confirm, alert] = smtp_server.to("anwohnerin@example.org")
    assert report.reference in alert["Subject"]
    assert alert["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = alert.get_body(("html",)).get_content()
    assert "&lt;img src=x" in html and "<img src=x" not in html
    assert f"/benachrichtigungen/abmelden/{subscription.token}" in html
