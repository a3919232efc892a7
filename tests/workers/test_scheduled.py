"""Scheduled work: department digests, reminders, retention, the scheduler loop; webhooks."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select, update

from app.db import db, utcnow
from app.followers.models import Follower
from app.followers.operations import request_follow
from app.reports.department_mail import record_due_digests, record_due_reminders
from app.outbox.models import OutboxMessage
from app.reports.models import Photo, Report
from app.reports.operations import change_status
from tests.conftest import run_worker
from tests.factories import MARIENFELD, jpeg_bytes, make_report
from tests.services import body_text
from tests.workers.conftest import drain


def _commit_report(**kwargs) -> Report:
    report = make_report(**kwargs)
    db.session.commit()
    return report


def test_daily_digest_instead_of_single_mails(committing, smtp_server, restore_departments):
    app = committing
    first = _commit_report(description="Loch Nummer eins")
    digest_department = first.department
    digest_department.notification_mode = "digest"
    digest_department.digest_hour = 0  # due at any hour of today
    db.session.commit()
    second = _commit_report(description="Loch Nummer zwei")
    elsewhere = _commit_report(point=MARIENFELD, category_code="spielplatz", description="Schaukel kaputt")
    assert elsewhere.department_id != digest_department.id
    drain(app)
    assert smtp_server.to(digest_department.email) == []  # no single mails in digest mode
    assert len(smtp_server.to(elsewhere.department.email)) == 1  # immediate mode unchanged
    cancelled = db.session.scalars(select(OutboxMessage.last_error).where(OutboxMessage.kind == "new_report",
                                                                          OutboxMessage.state == "cancelled"))
    assert sorted(cancelled) == ["digest", "digest"]

    assert record_due_digests() == 1
    db.session.commit()
    assert record_due_digests() == 0  # once a day
    drain(app)
    [digest] = smtp_server.to(digest_department.email)
    text = body_text(digest)
    assert "2 neue Meldungen" in digest["Subject"]
    assert first.reference in text and second.reference in text and elsewhere.reference not in text
    assert "Loch Nummer zwei" in text


def test_no_empty_digest(committing, smtp_server, restore_departments):
    app = committing
    report = _commit_report()
    report.department.notification_mode = "digest"
    report.department.digest_hour = 0
    db.session.execute(update(Report).values(created_at=utcnow() - timedelta(days=3)))
    db.session.commit()
    assert record_due_digests() == 1
    db.session.commit()
    drain(app)
    assert smtp_server.to(report.department.email) == []
    assert db.session.scalar(select(OutboxMessage.last_error).where(OutboxMessage.kind == "department_digest")) \
        == "no recipient"


def test_reminder_for_report_overstaying_its_status(committing, smtp_server, restore_departments):
    app = committing
    report = _commit_report()
    report.category.reminder_days = {"eingegangen": 2, "in_pruefung": 5}
    db.session.execute(update(Report).where(Report.id == report.id)
                       .values(status_changed_at=utcnow() - timedelta(days=3)))
    fresh = _commit_report(description="Gerade erst gemeldet")
    db.session.commit()
    smtp_server.clear()
    assert record_due_reminders() == 1
    db.session.commit()
    assert record_due_reminders() == 0  # one reminder per report and status
    drain(app)
    [mail] = [m for m in smtp_server.wait_for(3) if m["Subject"].startswith("Erinnerung")]
    assert mail["To"] == report.department.email
    assert report.reference in mail["Subject"] and "2 Tagen" in mail["Subject"]
    assert fresh.reference not in body_text(mail)

    change_status(db.session.get(Report, report.id), "in_pruefung", actor="test")
    db.session.commit()
    assert record_due_reminders() == 0  # a new status starts a new clock


def test_retention_anonymises_closed_and_deletes_unconfirmed_with_photos(committing, media_dir):
    app = committing
    storage = app.extensions["storage"]
    old_unconfirmed = _commit_report(description="Nie bestätigt", photos=[jpeg_bytes()])
    new_unconfirmed = _commit_report(description="Gestern gemeldet", photos=[jpeg_bytes(colour=(0, 90, 0))])
    old_closed = _commit_report(description="Längst erledigt", email="alt@example.org", photos=[jpeg_bytes()])
    recent_closed = _commit_report(description="Letzte Woche erledigt", email="neu@example.org")
    request_follow(old_closed, "nachbar@example.org", "de")
    db.session.commit()
    now = utcnow()
    db.session.execute(update(Report).where(Report.id.in_([old_unconfirmed.id, new_unconfirmed.id]))
                       .values(status="unbestaetigt"))
    db.session.execute(update(Report).where(Report.id == old_unconfirmed.id).values(created_at=now - timedelta(days=8)))
    db.session.execute(update(Report).where(Report.id == new_unconfirmed.id).values(created_at=now - timedelta(days=1)))
    db.session.execute(update(Report).where(Report.id.in_([old_closed.id, recent_closed.id])).values(status="erledigt"))
    db.session.execute(update(Report).where(Report.id == old_closed.id)
                       .values(status_changed_at=now - timedelta(days=91)))
    db.session.execute(update(Report).where(Report.id == recent_closed.id)
                       .values(status_changed_at=now - timedelta(days=10)))
    db.session.commit()
    old_keys = [k for p in old_unconfirmed.photos for k in p.variants.values()]
    kept_keys = [k for r in (new_unconfirmed, old_closed) for p in r.photos for k in p.variants.values()]
    assert old_keys and all(storage.exists(k) for k in old_keys + kept_keys)
    assert (media_dir / old_keys[0]).is_file()

    result = app.test_cli_runner().invoke(args=["retention"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["deleted_reports"] == 1 and summary["anonymised_reports"] == 1
    assert summary["deleted_files"] >= len(old_keys)

    db.session.expire_all()
    # The old unconfirmed report is gone with its photo rows and files.
    assert db.session.get(Report, old_unconfirmed.id) is None
    assert db.session.scalars(select(Photo).where(Photo.report_id == old_unconfirmed.id)).all() == []
    assert not any(storage.exists(k) for k in old_keys)
    assert not any((media_dir / k).exists() for k in old_keys)
    assert storage.keys(f"reports/{old_unconfirmed.id}/") == []
    # The young unconfirmed one stays, files included.
    assert db.session.get(Report, new_unconfirmed.id) is not None
    assert all(storage.exists(k) for k in kept_keys)
    # The old closed report keeps its public content but loses all personal data.
    anonymised = db.session.get(Report, old_closed.id)
    assert (anonymised.reporter_email, anonymised.reporter_name, anonymised.tracking_token) == (None, None, None)
    assert anonymised.description == "Längst erledigt" and len(anonymised.photos) == 1
    assert db.session.scalars(select(Follower).where(Follower.report_id == old_closed.id)).all() == []
    # The recently closed one is untouched.
    recent = db.session.get(Report, recent_closed.id)
    assert recent.reporter_email == "neu@example.org" and recent.tracking_token

    again = json.loads(app.test_cli_runner().invoke(args=["retention"]).output)
    assert again["deleted_reports"] == 0 and again["anonymised_reports"] == 0


def test_scheduler_enqueues_each_task_once_per_slot_and_jobs_run(committing, redis_server):
    from workers.queue import QUEUE_DEFAULT, get_queue
    from app.tasks.scheduler import tick

    app = committing
    now = utcnow()
    first = tick(now)
    assert {"digests", "reminders", "retention", "escalations", "fixed_questionnaires", "citizen_sign_ins"} <= set(first)
    second = tick(now)
    assert set(second) == {"swept"}  # same slots: nothing enqueued twice
    queue = get_queue(QUEUE_DEFAULT)
    assert sorted(job.func_name for job in queue.jobs) == [
        "app.account.jobs.purge_citizen_sign_ins", "app.feedback.jobs.send_fixed_questionnaires",
        "app.reports.jobs.send_department_digests", "app.reports.jobs.send_reminders", "app.retention.policy.run_retention",
        "app.staff.jobs.escalate_overdue"]
    run_worker(app)
    from rq.registry import FailedJobRegistry

    assert FailedJobRegistry(queue=queue).count == 0


class _Receiver(BaseHTTPRequestHandler):
    calls: list = []
    status = 200

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).calls.append((dict(self.headers), body))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook_receiver():
    _Receiver.calls = []
    _Receiver.status = 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, _Receiver
    server.shutdown()
    server.server_close()


def test_webhook_signed_json_for_new_report_and_status_change(committing, restore_departments, webhook_receiver,
                                                              settings):
    app = committing
    server, receiver = webhook_receiver
    settings(OUTBOX_RETRY_BASE_SECONDS=0.5, OUTBOX_RETRY_CAP_SECONDS=0.5)
    probe = make_report()
    department = probe.department
    db.session.rollback()
    department = db.session.get(type(department), department.id)
    department.webhook_url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    department.webhook_secret = "geheimnis"
    db.session.commit()

    report = _commit_report(email="melder@example.org", description="Laterne defekt")
    receiver.status = 503  # the back office is down at first
    drain(app, rounds=1)
    assert len(receiver.calls) == 1
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.channel == "webhook"))
    db.session.refresh(message)
    assert message.state == "pending" and "503" in message.last_error

    receiver.status = 200
    __import__("time").sleep(0.55)
    drain(app)
    headers, body = receiver.calls[-1]
    payload = json.loads(body)
    assert payload["event"] == "report.created" and payload["report"]["reference"] == report.reference
    assert "melder@example.org" not in body.decode()  # no reporter contact data
    expected = "sha256=" + hmac.new(b"geheimnis", headers["X-Maengelmelder-Timestamp"].encode() + b"." + body,
                                    hashlib.sha256).hexdigest()
    assert headers["X-Maengelmelder-Signature"] == expected
    assert headers["Idempotency-Key"] == f"outbox-{message.id}"
    # Both tries carried the same idempotency key.
    assert receiver.calls[0][0]["Idempotency-Key"] == headers["Idempotency-Key"]

    change_status(db.session.get(Report, report.id), "in_bearbeitung", public_note="Ersatzteil bestellt",
                  actor="test")
    db.session.commit()
    drain(app)
    last = json.loads(receiver.calls[-1][1])
    assert last["event"] == "report.status_changed"
    assert last["change"]["new_status"] == "in_bearbeitung" and last["change"]["public_note"] == "Ersatzteil bestellt"


def test_a_stale_dashboard_is_refreshed_by_a_worker_job(committing, redis_server):
    """The page answers from the stored snapshot and asks a worker (job enqueued by function
    reference) to recompute it; the worker stores the fresh figures."""
    from app.jurisdictions.queries import jurisdiction_by_slug
    from app.staff.dashboard import dashboard_data
    from app.staff.models import DashboardSnapshot
    from workers.queue import QUEUE_DEFAULT, get_queue

    app = committing
    town = jurisdiction_by_slug(None)
    stale_at = utcnow() - timedelta(hours=2)
    db.session.merge(DashboardSnapshot(jurisdiction_id=town.id, computed_at=stale_at, data={"open_total": -1}))
    db.session.commit()
    try:
        data, computed_at = dashboard_data(town.id)
        assert data == {"open_total": -1} and computed_at == stale_at  # answered at once, from the snapshot
        [job] = get_queue(QUEUE_DEFAULT).jobs
        assert job.func_name == "app.staff.jobs.refresh_dashboard" and job.args == [town.id]
        run_worker(app)
        db.session.expire_all()
        snapshot = db.session.get(DashboardSnapshot, town.id)
        assert snapshot.computed_at > stale_at and snapshot.data["open_total"] >= 0
        assert {"open_by_department", "per_week", "median_days_to_close"} <= set(snapshot.data)
    finally:
        db.session.execute(DashboardSnapshot.__table__.delete())
        db.session.commit()
