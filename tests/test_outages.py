"""Redis and PostgreSQL stopped for real under requests (issue 22, point 7).

Redis down: citizens still report through the form, the JSON API and Open311 (rate limits
are counted per process meanwhile), their mails wait in the outbox and go out once Redis is
back, pages that need nothing from Redis answer. PostgreSQL down: every path answers 503
with Retry-After (never 500) and leaves nothing half-written; after the restart it works.

The app here has a PostgreSQL cluster of its own, so stopping it leaves the session's
database alone; Redis and the SMTP server are the session's.
"""
from __future__ import annotations

import io
import re
import threading
import time
from collections import Counter

import pytest
from sqlalchemy import func, select, text

from app.db import db
from app.outbox.models import OutboxMessage
from app.reports.models import Report
from tests.conftest import TEST_SECRET, run_worker
from tests.factories import HARSEWINKEL
from tests.intake.conftest import jpeg_with_gps, stored_files
from tests.services import PostgresServer

TOWN_BBOX = "8.10,51.89,8.36,52.03"
API = "/api/v1/intake/reports"
# Pages and APIs that read the database; each must answer (or answer 503) while it is away.
READ_PATHS = ("/", "/meldungen", "/karte", "/melden", f"/api/v1/reports.geojson?bbox={TOWN_BBOX}",
              "/open311/v2/services.json", "/open311/v2/requests.json", "/open311/v2/requests.xml",
              "/feeds/meldungen.atom", "/transparenz", "/leistungen")


@pytest.fixture(scope="module")
def own_postgres():
    server = PostgresServer()
    server.start()
    yield server
    server.remove()


@pytest.fixture(scope="module")
def outage_app(own_postgres, redis_server, smtp_server, tmp_path_factory):
    from app import create_app
    from app.cli import run_migrations

    run_migrations(own_postgres.url)
    app = create_app({
        "TESTING": True, "SQLALCHEMY_DATABASE_URI": own_postgres.url, "DATABASE_URL": own_postgres.url,
        "REDIS_URL": redis_server.url, "RATELIMIT_STORAGE_URI": "redis+" + redis_server.url,
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp_server.port, "SMTP_TIMEOUT": 5.0,
        "MEDIA_STORAGE_URL": str(tmp_path_factory.mktemp("outage-media")), "SECRET_KEY": TEST_SECRET,
        "BASE_URL": "http://maengelmelder.test", "LOG_LEVEL": "ERROR", "MAP_CACHE_RECHECK_SECONDS": 0.0,
        # Small enough to see the per-process limit refuse while Redis is away.
        "INTAKE_RATE_LIMIT": "3/minute",
    })
    with app.app_context():
        from app.demo.load import load_town
        from app.open311.keys import create_client
        from tests.factories import town

        load_town(db.session)
        _client, app.config["TEST_OPEN311_KEY"] = create_client(town(), "Leitstelle", ["create_request"])
        db.session.commit()
        db.session.remove()
    yield app
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()


def _csrf(client) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/melden").get_data(as_text=True))
    assert match, "no CSRF token on /melden"
    return match.group(1)


def _form(token: str, number: int, photo: bool = False) -> dict:
    data = {"csrf_token": token, "category": "gully", "description": f"Gully verstopft, Meldung {number}",
            "lat": str(HARSEWINKEL[1]), "lon": str(HARSEWINKEL[0]), "email": f"buerger{number}@example.org"}
    if photo:
        data["photos"] = (io.BytesIO(jpeg_with_gps()), "gully.jpg")
    return data


def _api(number: int) -> dict:
    return {"category": "schlagloch", "description": f"Schlagloch, Meldung {number}",
            "lat": str(HARSEWINKEL[1]), "lon": str(HARSEWINKEL[0])}


def _open311(app, number: int) -> dict:
    return {"api_key": app.config["TEST_OPEN311_KEY"], "service_code": "schlagloch",
            "lat": str(HARSEWINKEL[1]), "long": str(HARSEWINKEL[0]), "description": f"Loch, Meldung {number}"}


def _submit_all(app, client, token: str, number: int) -> dict[str, object]:
    """One report through each intake path; the answers by path."""
    return {
        "form": client.post("/melden", data=_form(token, number, photo=True), content_type="multipart/form-data"),
        "api": client.post(API, data=_api(number), headers={"Idempotency-Key": f"outage-{number:04d}-key"},
                           content_type="multipart/form-data"),
        "open311": client.post("/open311/v2/requests.json", data=_open311(app, number)),
    }


def _empty(app) -> None:
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            conn.execute(text("TRUNCATE outbox_messages, status_changes, photos, reports, reference_counters, "
                              "open311_submissions RESTART IDENTITY CASCADE"))


def test_redis_down_citizens_still_report_and_their_mails_wait_in_the_outbox(outage_app, redis_server, smtp_server):
    from app.extensions import limiter
    from app.outbox.relay import sweep

    _empty(outage_app)
    smtp_server.clear()
    redis_server.client().flushdb()
    client = outage_app.test_client()
    token = _csrf(client)
    redis_server.stop()
    try:
        answers = _submit_all(outage_app, client, token, 1)
        assert answers["form"].status_code == 303, answers["form"].get_data(as_text=True)
        assert answers["api"].status_code == 201, answers["api"].get_data(as_text=True)
        assert answers["open311"].status_code == 200, answers["open311"].get_data(as_text=True)
        for path in READ_PATHS:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
        # Alive, but not ready: a load balancer sends traffic elsewhere if it can.
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.get_json()["checks"]["database"] == "ok"
        assert ready.get_json()["checks"]["redis"].startswith("unavailable")
        confirmation = client.get(answers["form"].headers["Location"])
        assert confirmation.status_code == 200
        # Limits still hold, counted in this process: the form and the API share 3 a minute.
        assert client.post("/melden", data=_form(token, 2), content_type="multipart/form-data").status_code == 303
        refused = client.post(API, data=_api(3), headers={"Idempotency-Key": "outage-0003-key"},
                              content_type="multipart/form-data")
        assert refused.status_code == 429
        assert "Zu viele Anfragen" in refused.get_json()["errors"][0]["message"]

        with outage_app.app_context():
            assert db.session.scalar(select(func.count()).select_from(Report)) == 4
            waiting = Counter(db.session.scalars(select(OutboxMessage.state)))
            db.session.remove()
        assert waiting["pending"] >= 4 and set(waiting) == {"pending"}, waiting
        assert smtp_server.messages == []
    finally:
        redis_server.start()

    with outage_app.app_context():
        for _ in range(10):
            if not sweep(stale_after=__import__("datetime").timedelta(0)):
                break
            run_worker(outage_app)
        delivered = Counter(db.session.scalars(select(OutboxMessage.state)))
        db.session.remove()
    assert delivered == Counter({"sent": waiting["pending"]}), delivered
    ids = Counter(str(m["Message-ID"]) for m in smtp_server.messages)
    assert len(ids) == waiting["pending"] and set(ids.values()) == {1}
    assert smtp_server.to("buerger1@example.org")

    # The limiter goes back to Redis by itself (it retries with a growing pause).
    deadline = time.monotonic() + 70
    while time.monotonic() < deadline:
        client.get("/open311/v2/services.json")
        if any(b"open311-read" in key or b"LIMITS" in key for key in redis_server.client().keys()):
            break
        time.sleep(0.5)
    else:
        pytest.fail("the rate limiter did not return to Redis")
    with outage_app.app_context():
        limiter.reset()
    _empty(outage_app)
    smtp_server.clear()


def test_database_down_every_path_is_a_503_with_retry_after_then_recovers(outage_app, own_postgres, redis_server):
    from app.extensions import limiter

    _empty(outage_app)
    media_root = outage_app.extensions["storage"].root
    client = outage_app.test_client()
    token = _csrf(client)
    with outage_app.app_context():
        limiter.reset()

    # Someone keeps reading the map and the list while the database goes away and comes back.
    seen: list[tuple[int, str | None]] = []
    stop = threading.Event()

    def browse():
        reader = outage_app.test_client()
        while not stop.is_set():
            for path in ("/meldungen", f"/api/v1/reports.geojson?bbox={TOWN_BBOX}", "/open311/v2/requests.json"):
                response = reader.get(path)
                seen.append((response.status_code, response.headers.get("Retry-After")))
            time.sleep(0.02)

    browser = threading.Thread(target=browse)
    browser.start()
    files_before = stored_files(media_root)
    try:
        time.sleep(0.3)
        own_postgres.stop()
        answers = {path: client.get(path) for path in READ_PATHS}
        answers.update(_submit_all(outage_app, client, token, 10))
        for path, response in answers.items():
            assert response.status_code == 503, (path, response.status_code, response.get_data(as_text=True)[:300])
            assert response.headers["Retry-After"] == "1", path
        assert "Datenbank war kurz nicht erreichbar" in answers["/meldungen"].get_data(as_text=True)
        assert "Datenbank war kurz nicht erreichbar" in answers["api"].get_json()["errors"][0]["message"]
        assert answers["open311"].get_json()[0]["code"] == 503
        assert b"<code>503</code>" in answers["/open311/v2/requests.xml"].data
        # The photo that was stored before the database refused is gone again.
        assert stored_files(media_root) == files_before
        # Pages served without the database still answer.
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.get_json()["checks"]["redis"] == "ok"
        assert ready.get_json()["checks"]["database"].startswith("unavailable")
        # A static file still answers (the map script /karte/karte.js now carries the town's map
        # settings from its profile in the database, so it is a 503 like the pages).
        assert client.get("/static/js/intake.js").status_code == 200
    finally:
        own_postgres.start()
    with outage_app.app_context():
        limiter.reset()  # the refused submissions counted against the budget of 3
    try:
        after = _submit_all(outage_app, client, token, 11)
        assert [after[k].status_code for k in ("form", "api", "open311")] == [303, 201, 200]
        for path in READ_PATHS:
            assert client.get(path).status_code == 200, path
        assert client.get("/readyz").status_code == 200
        time.sleep(0.3)
    finally:
        stop.set()
        browser.join(30)
    statuses = Counter(status for status, _ in seen)
    assert set(statuses) <= {200, 503} and statuses[503] > 0 and statuses[200] > 0, statuses
    assert all(retry == "1" for status, retry in seen if status == 503)
    assert seen[-1][0] == 200
    with outage_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Report)) == 3  # only the ones after the restart
        db.session.remove()
    _empty(outage_app)
