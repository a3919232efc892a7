"""Fixtures: one real PostGIS database and one real Redis per test session, an
aiosmtpd server, a rollback per test, and factories for reports."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import text

from app import create_app
from app.cli import run_migrations
from app.db import db
from flask_sqlalchemy.session import Session as FlaskSession
from tests.services import RedisServer, S3Server, SMTPServer, scratch_database

TEST_SECRET = "test-secret-key"


@pytest.fixture(scope="session")
def database_url():
    """A fresh database in the running cluster, migrated; dropped at the end."""
    from sqlalchemy.orm import close_all_sessions

    with scratch_database("mm_test") as url:
        run_migrations(url)
        try:
            yield url
        finally:
            close_all_sessions()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def smtp_server():
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def s3_server():
    """An S3 API server (moto's standalone server); its dummy credentials in the environment,
    where boto3's default chain finds them as it does in production."""
    server = S3Server()
    server.start()
    patch = pytest.MonkeyPatch()
    for name, value in server.environment().items():
        patch.setenv(name, value)
    yield server
    patch.undo()
    server.stop()


@pytest.fixture
def s3_storage(s3_server):
    """An S3Storage on a fresh bucket (under a prefix, as a shared bucket would be used)."""
    from media import storage_from_url

    return storage_from_url(s3_server.url(s3_server.new_bucket(), "harsewinkel"))


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def app(database_url, redis_server, smtp_server, media_dir):
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_server.url,
        "RATELIMIT_STORAGE_URI": "redis+" + redis_server.url,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": smtp_server.port,
        "SMTP_TIMEOUT": 5.0,
        "MEDIA_STORAGE_URL": str(media_dir),
        "SECRET_KEY": TEST_SECRET,
        "BASE_URL": "http://maengelmelder.test",
        "MAIL_FROM": "Mängelmelder Harsewinkel <maengelmelder@harsewinkel.example>",
        "LOG_LEVEL": "WARNING",
        # Every map request asks for the town's map version: a test sees its change at once.
        "MAP_CACHE_RECHECK_SECONDS": 0.0,
        # Towns and host names made by a test are served at once (tests/towns/test_hosts.py keeps the cache).
        "TOWN_HOSTS_CACHE_SECONDS": 0.0,
    })
    with app.app_context():
        from app.demo.load import load_town

        load_town(db.session)
        db.session.commit()
        db.session.remove()
    return app


@pytest.fixture(autouse=True)
def fresh_recipient_caps(request):
    """Per-recipient mail counts (app/outbox/recipients.py) live in Redis, outside the per-test
    rollback: every test that uses the services starts without them."""
    if "redis_server" in request.fixturenames:
        redis = request.getfixturevalue("redis_server").client()
        for key in redis.scan_iter("mm:mailcap:*"):
            redis.delete(key)
    yield


class _ConnectionBoundSession(FlaskSession):
    """Flask-SQLAlchemy's session picks its engine per table and ignores ``bind``;
    the rollback fixture needs every statement on the test's own connection."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        return bind if bind is not None else self.bind


@pytest.fixture
def db_session(app):
    """Everything a test writes is rolled back afterwards (commits become savepoints)."""
    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        original = db.session
        db.session = db._make_scoped_session({"class_": _ConnectionBoundSession, "bind": connection,
                                              "join_transaction_mode": "create_savepoint"})
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            transaction.rollback()
            connection.close()


@pytest.fixture
def client(app, db_session):
    return app.test_client()


# alert_subscriptions hang on the town, not on a report, so the CASCADE does not reach them;
# scheduled_runs are the scheduler's claims of time slots.
_TABLES_WRITTEN_BY_TESTS = ("outbox_messages", "status_changes", "photos", "reports", "reference_counters",
                            "alert_subscriptions", "scheduled_runs", "citizen_sign_ins")


@pytest.fixture
def committing(app, redis_server, smtp_server, media_dir):
    """For tests that must really commit (workers see other connections' data):
    the report tables, the queue and the mailbox start empty and are emptied again
    afterwards (before too: a test may start after one that committed without this)."""
    smtp_server.clear()
    redis_server.client().flushdb()

    def empty_report_tables():
        db.session.remove()
        with db.engine.begin() as conn:
            conn.execute(text("TRUNCATE " + ", ".join(_TABLES_WRITTEN_BY_TESTS) + " RESTART IDENTITY CASCADE"))

    with app.app_context():
        empty_report_tables()
        yield app
        empty_report_tables()
    redis_server.client().flushdb()
    smtp_server.clear()
    smtp_server.refusing = False


def csrf_token(client, path: str = "/melden") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def run_worker(app, burst: bool = True) -> None:
    """Drain the queues with a real RQ worker (non-forking, as `flask worker` runs)."""
    from rq import SimpleWorker
    from rq.serializers import JSONSerializer

    from workers.queue import QUEUES, get_queue, redis

    with app.app_context():
        queues = [get_queue(name) for name in QUEUES]
        SimpleWorker(queues, connection=redis(), serializer=JSONSerializer).work(burst=burst, with_scheduler=False)


@pytest.fixture
def live_server(committing):
    """The app on a real HTTP port; data must be committed to be seen (``committing``)."""
    from tests.browser import LiveServer

    server = LiveServer(committing)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(chromium):
    """A fresh phone-sized (360 px) browser context, German locale."""
    from tests.browser import PHONE

    context = chromium.new_context(**PHONE)
    page = context.new_page()
    yield page
    context.close()
