"""Point 7: no secret in a log line, and what is logged about IP addresses agrees with the
privacy statement. The access log of a real gunicorn (with the project's logger class) and the
app's own log lines redact link tokens, OIDC's code/state and an api_key; the access log names no
client address. Reporter confirmation links expire with the unconfirmed report, link tokens
carry no plain hash of the address, and an api_key in the query string is refused."""
from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from app import logs
from app.followers.tokens import follow_token, unsubscribe_token
from app.reports.tokens import confirm_email_token
from tests.factories import HARSEWINKEL, make_report

ROOT = Path(__file__).resolve().parents[2]
SECRET = "GeHeim1234567890abcdefXYZ"
CLIENT = "203.0.113.57"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def gunicorn(app, tmp_path):
    """The web app under a real gunicorn with the logger class the README and `make demo` use."""
    port = _free_port()
    access, errors = tmp_path / "access.log", tmp_path / "error.log"
    env = {**os.environ, **{name: str(app.config[name]) for name in (
        "DATABASE_URL", "REDIS_URL", "RATELIMIT_STORAGE_URI", "SECRET_KEY", "BASE_URL", "MEDIA_STORAGE_URL",
        "SMTP_HOST", "SMTP_PORT")}, "LOG_LEVEL": "INFO", "MAILCATCHER_DIR": ""}
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "--logger-class", "app.logs.AccessLogger", "--access-logfile", str(access), "--error-logfile", str(errors),
         "--access-logformat", '%(h)s "%(r)s" %(s)s "%(f)s" %({x-forwarded-for}i)s', "app:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                requests.get(base + "/impressum", timeout=10)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        yield base, access, errors
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_access_log_has_no_token_no_secret_query_and_no_client_address(gunicorn):
    base, access, errors = gunicorn
    headers = {"X-Forwarded-For": CLIENT, "Referer": f"https://maengel.example/verfolgen/{SECRET}"}
    paths = [f"/verfolgen/{SECRET}", f"/bestaetigen/{SECRET}", f"/abmelden/{SECRET}",
             f"/folgen/bestaetigen/{SECRET}", f"/benachrichtigungen/abmelden/{SECRET}",
             f"/intern/passwort-neu/{SECRET}", f"/meldung/eingegangen/{SECRET}",
             f"/intern/anmelden/dienstkonto/zurueck?code={SECRET}&state={SECRET}",
             f"/open311/v2/requests.json?api_key={SECRET}"]
    for path in paths:
        assert requests.get(base + path, headers=headers, timeout=10).status_code < 500, path
    # gunicorn writes the access line after the response has gone out: wait for the last
    # request's line (an api_key, redacted), then every path has its line.
    deadline = time.monotonic() + 15
    while "api_key=[…]" not in access.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    lines = access.read_text()
    assert lines.count("\n") >= len(paths)
    assert SECRET not in lines and SECRET not in errors.read_text()
    assert CLIENT not in lines and "127.0.0.1" not in lines, lines
    assert "/verfolgen/[…]" in lines and "code=[…]" in lines and "api_key=[…]" in lines


def test_the_apps_own_log_lines_are_redacted_too(app):
    # Every handler of the root logger filters (a record of any module passes one of them).
    assert all(any(isinstance(f, logs.RedactingFilter) for f in h.filters) for h in logging.getLogger().handlers)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(logs.RedactingFilter())
    logger = logging.getLogger("app.errors")
    logger.addHandler(handler)
    try:
        logger.warning("database connection lost on %s %s", "GET", f"/verfolgen/{SECRET}/fotos/3/display.jpg")
        logger.warning("unhandled error on %s %s", "POST", f"/benachrichtigungen/bestaetigen/{SECRET}")
    finally:
        logger.removeHandler(handler)
    written = stream.getvalue()
    assert SECRET not in written and "/verfolgen/[…]/fotos/3/display.jpg" in written


def test_the_privacy_statement_says_what_the_logs_hold(client):
    page = client.get("/datenschutz").get_data(as_text=True)
    assert "Die Protokolle unseres Servers enthalten Ihre IP-Adresse nicht" in page


def _payload(token: str) -> dict:
    body = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def test_link_tokens_carry_no_plain_hash_of_the_address(app, db_session):
    address = "leser@example.org"
    plain = hashlib.sha256(address.encode()).hexdigest()
    report = make_report(point=HARSEWINKEL, email=address)

    class Follower:
        id, email = 1, address

    for token in (unsubscribe_token(report.id, address), follow_token(Follower()), confirm_email_token(report)):
        digest = next(v for k, v in _payload(token).items() if k in ("k", "e"))
        assert digest not in plain, token


def test_reporter_confirmation_links_expire_with_the_unconfirmed_report(app, client, db_session):
    report = make_report(point=HARSEWINKEL, email="melder@example.org")
    db_session.commit()
    token = confirm_email_token(report)
    assert client.get(f"/bestaetigen/{token}").status_code == 200
    app.config["RETENTION_UNCONFIRMED_DAYS"] = 0
    try:
        time.sleep(1.1)
        assert client.get(f"/bestaetigen/{token}").status_code == 404
    finally:
        app.config["RETENTION_UNCONFIRMED_DAYS"] = 7


def test_api_key_in_the_query_string_is_refused(client, db_session):
    from app.open311.keys import create_client
    from tests.factories import town

    _client, key = create_client(town(), "Test", ["create_request"])
    response = client.post(f"/open311/v2/requests.json?api_key={key}", data={
        "service_code": "schlagloch", "lat": str(HARSEWINKEL[1]), "long": str(HARSEWINKEL[0]), "description": "Loch"})
    assert response.status_code == 400 and "api_key" in response.get_data(as_text=True)
    header = client.post("/open311/v2/requests.json", headers={"X-Api-Key": key}, data={
        "service_code": "schlagloch", "lat": str(HARSEWINKEL[1]), "long": str(HARSEWINKEL[0]), "description": "Loch"})
    assert header.status_code == 200, header.data
