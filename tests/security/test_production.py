"""Points 8 and 10: /metrics needs its token unless explicitly opened (tests/workers/test_ops.py),
the demo mail page needs a signed-in admin, the app refuses a production start with demo-only
settings, and the security headers: HSTS over https, a Permissions-Policy for this app only."""
from __future__ import annotations

import pytest

from app.config import UnsafeSettings
from tests.staff.helpers import app_with, login, make_staff

PRODUCTION = {"BASE_URL": "https://maengel.harsewinkel.example", "SECRET_KEY": "k" * 64, "MAILCATCHER_DIR": ""}


@pytest.mark.parametrize("settings, named", [
    ({"SECRET_KEY": ""}, "SECRET_KEY is not set"),
    ({"SECRET_KEY": "kurz"}, "SECRET_KEY is shorter"),
    ({"MAILCATCHER_DIR": "/srv/mail"}, "MAILCATCHER_DIR is a demo-only setting"),
    ({"DEMO_PASSWORD": "demo-passwort-123"}, "DEMO_PASSWORD is a demo-only setting"),
])
def test_production_start_with_demo_settings_is_refused(app, settings, named):
    with pytest.raises(UnsafeSettings) as refused:
        app_with(app, **{**PRODUCTION, **settings})
    assert named in str(refused.value) and "https://maengel.harsewinkel.example" in str(refused.value)


def test_demo_only_setting_in_the_environment_is_refused_too(app, monkeypatch):
    monkeypatch.setenv("OPEN311_DEMO_KEY", "x" * 40)
    with pytest.raises(UnsafeSettings, match="OPEN311_DEMO_KEY"):
        app_with(app, **PRODUCTION)


def test_production_settings_start_and_send_hsts(app, db_session):
    production = app_with(app, **PRODUCTION)
    response = production.test_client().get("/meldungen")
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in app.test_client().get("/meldungen").headers  # plain-http demo


def test_permissions_policy_allows_location_and_camera_only_for_the_app(client):
    header = client.get("/melden").headers["Permissions-Policy"]
    policy = dict(item.strip().split("=", 1) for item in header.split(","))
    assert policy.pop("geolocation") == "(self)" and policy.pop("camera") == "(self)"
    assert {"microphone", "payment", "usb", "display-capture"} <= set(policy)
    assert set(policy.values()) == {"()"}


def test_demo_mail_page_needs_a_signed_in_admin(app, db_session, tmp_path):
    (tmp_path / "1.eml").write_bytes(b"To: admin@example.org\r\nSubject: Passwort neu setzen\r\n\r\n"
                                     b"http://x/intern/passwort/TOKEN\r\n")
    demo = app_with(app, MAILCATCHER_DIR=str(tmp_path))
    client = demo.test_client()
    anonymous = client.get("/_demo/mails")
    assert anonymous.status_code in (302, 303, 401, 403) and b"TOKEN" not in anonymous.data
    with demo.app_context():
        staff = make_staff("staff", "tiefbau")
        admin = make_staff("admin")
        db_session.commit()
        login(client, staff.username)
        assert client.get("/_demo/mails").status_code == 403
        client = demo.test_client()
        login(client, admin.username)
        page = client.get("/_demo/mails")
    assert page.status_code == 200 and b"TOKEN" in page.data
