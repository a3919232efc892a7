"""Fixtures for the worker-queue tests: committed reports with confirmed reporters,
short retry/lease settings, draining with a real RQ worker, `flask worker` processes."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text, update

from app.db import db
from app.outbox.models import OutboxMessage
from app.reports.models import Report
from tests.conftest import TEST_SECRET, run_worker
from tests.factories import department, make_report  # noqa: F401 (department: for the tests that import it from here)

ROOT = Path(__file__).resolve().parents[2]
FLASK = str(ROOT / ".venv" / "bin" / "flask")


@pytest.fixture
def settings(app):
    """Set app.config values for one test; restored afterwards."""
    saved: dict = {}

    def set_(**values):
        for key, value in values.items():
            saved.setdefault(key, app.config.get(key))
            app.config[key] = value
    yield set_
    app.config.update(saved)


@pytest.fixture
def restore_departments(committing):
    """Tests that commit department/category settings get them reset afterwards."""
    yield
    db.session.remove()
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE departments SET notification_mode = 'immediate', digest_hour = 7, "
                          "webhook_url = NULL, webhook_secret = NULL"))
        conn.execute(text("""UPDATE categories SET reminder_days =
                             '{"eingegangen": 2, "in_pruefung": 5, "in_bearbeitung": 21}'::jsonb"""))


def outbox_states() -> Counter:
    db.session.expire_all()
    return Counter(db.session.scalars(select(OutboxMessage.state)))


def confirmed_reports(count: int, prefix: str = "buerger") -> list[Report]:
    """``count`` committed reports whose reporters confirmed their address; the mails that
    creating them caused (opt-in, department notice) are marked sent, not delivered."""
    reports = []
    for number in range(count):
        report = make_report(email=f"{prefix}{number}@example.org", description=f"Schaden Nummer {number}")
        report.reporter_email_confirmed = True
        reports.append(report)
    db.session.flush()
    db.session.execute(update(OutboxMessage).values(state="sent"))
    db.session.commit()
    return reports


def drain(app, rounds: int = 20) -> None:
    """Sweep and run a burst worker until nothing is due (retries waiting in the future stay)."""
    from app.outbox.relay import due_count, sweep

    with app.app_context():
        for _ in range(rounds):
            if not due_count():
                break
            sweep(stale_after=timedelta(0))
            run_worker(app)
        db.session.remove()


def message_ids(messages) -> Counter:
    return Counter(str(m["Message-ID"]) for m in messages)


class WorkerProcess:
    """`flask worker` in a subprocess, configured through environment variables."""

    def __init__(self, app, smtp_server, redis_server, **settings):
        env = dict(os.environ)
        env.update({
            "FLASK_APP": "app:create_app",
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "REDIS_URL": redis_server.url,
            "RATELIMIT_STORAGE_URI": "redis+" + redis_server.url,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(smtp_server.port),
            "SMTP_TIMEOUT": "5",
            "SECRET_KEY": TEST_SECRET,
            "BASE_URL": app.config["BASE_URL"],
            "MAIL_FROM": app.config["MAIL_FROM"],
            "MEDIA_STORAGE_URL": app.config["MEDIA_STORAGE_URL"],
            "LOG_LEVEL": "WARNING",
            "MAILCATCHER_DIR": "",
        })
        env.update({key: str(value) for key, value in settings.items()})
        self.process = subprocess.Popen([FLASK, "worker", "--without-scheduler"], cwd=str(ROOT), env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def kill(self, sig=signal.SIGKILL) -> None:
        self.process.send_signal(sig)

    def wait(self, timeout: float = 30.0) -> int:
        return self.process.wait(timeout)

    def output(self) -> str:
        return self.process.stdout.read().decode(errors="replace") if self.process.stdout else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def worker_process(app, smtp_server, redis_server):
    started: list[WorkerProcess] = []

    def start(**settings) -> WorkerProcess:
        process = WorkerProcess(app, smtp_server, redis_server, **settings)
        started.append(process)
        return process
    yield start
    for process in started:
        process.stop()


def wait_until(predicate, timeout: float = 60.0, interval: float = 0.01):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")
