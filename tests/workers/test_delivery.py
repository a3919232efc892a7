"""Nothing lost, nothing twice: Redis down, SMTP refusing, workers killed or stopped.

Real PostgreSQL, real Redis (stopped and started for real), real RQ workers (in
process and as `flask worker` subprocesses), a real aiosmtpd server.
"""
from __future__ import annotations

import re
import signal
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.db import db
from app.outbox.models import OutboxMessage
from app.outbox.relay import sweep
from app.reports.models import Report
from app.reports.operations import change_status
from tests.conftest import run_worker
from tests.services import body_text
from tests.workers.conftest import confirmed_reports, drain, message_ids, outbox_states, wait_until


def _status_changes(reports, status="in_pruefung"):
    """One committed transaction per status change, as staff would make them."""
    for report in reports:
        change_status(db.session.get(Report, report.id), status, public_note="Wir sehen uns das an.", actor="test")
        db.session.commit()


@pytest.mark.slow
def test_redis_down_while_100_status_changes_commit(committing, redis_server, smtp_server):
    app = committing
    reports = confirmed_reports(100)
    smtp_server.clear()

    redis_server.stop()
    try:
        _status_changes(reports)  # every after-commit wake-up fails: Redis is gone
        assert outbox_states()["pending"] == 100
    finally:
        redis_server.start()
    from workers.queue import QUEUE_MAIL, get_queue

    assert get_queue(QUEUE_MAIL).count == 0  # nothing reached the (restarted, empty) Redis

    assert sweep(stale_after=timedelta(0)) == 100
    run_worker(app)
    mails = smtp_server.wait_for(100)
    assert len(mails) == 100
    assert set(message_ids(mails).values()) == {1}
    assert {m["To"] for m in mails} == {f"buerger{n}@example.org" for n in range(100)}
    assert all("In Prüfung" in m["Subject"] for m in mails)
    assert outbox_states() == {"sent": 300}  # 200 from creating the reports + 100 status mails

    # A second sweep and worker run send nothing more.
    smtp_server.clear()
    drain(app)
    assert smtp_server.wait_for(1, timeout=0.5) == []


def test_smtp_refusing_retries_with_backoff_then_delivers(committing, smtp_server, settings):
    app = committing
    settings(OUTBOX_RETRY_BASE_SECONDS=0.2, OUTBOX_RETRY_CAP_SECONDS=0.5, OUTBOX_MAX_ATTEMPTS=6)
    reports = confirmed_reports(3)
    smtp_server.refusing = True
    _status_changes(reports)

    run_worker(app)
    rows = list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "status_changed")))
    db.session.expire_all()
    assert {(m.state, m.attempts) for m in rows} == {("pending", 1)}
    assert all("451" in m.last_error for m in rows)
    first_retry = {m.id: m.next_attempt_at for m in rows}

    time.sleep(0.25)
    drain(app, rounds=1)
    db.session.expire_all()
    rows = list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "status_changed")))
    assert {(m.state, m.attempts) for m in rows} == {("pending", 2)}
    # Exponential: the second wait (0.4 s) is longer than the first (0.2 s).
    assert all(m.next_attempt_at > first_retry[m.id] for m in rows)
    assert smtp_server.messages == []

    smtp_server.refusing = False
    time.sleep(0.45)
    drain(app)
    mails = smtp_server.wait_for(3)
    assert len(mails) == 3 and set(message_ids(mails).values()) == {1}
    db.session.expire_all()
    assert {(m.state, m.attempts, m.last_error) for m in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "status_changed"))} == {("sent", 3, "")}


def test_last_retry_parks_message_visible_and_retryable_by_admin(committing, smtp_server, settings):
    from tests.staff.helpers import login, make_staff

    app = committing
    settings(OUTBOX_RETRY_BASE_SECONDS=0.05, OUTBOX_RETRY_CAP_SECONDS=0.05, OUTBOX_MAX_ATTEMPTS=3)
    [report] = confirmed_reports(1)
    admin = make_staff("admin")
    db.session.commit()
    smtp_server.refusing = True
    _status_changes([report], "in_bearbeitung")
    for _ in range(3):
        drain(app, rounds=1)
        time.sleep(0.06)
    db.session.expire_all()
    parked = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "status_changed"))
    assert parked.state == "failed" and parked.attempts == 3 and parked.failed_at is not None
    assert "451" in parked.last_error
    drain(app)  # parked messages are not tried again by themselves
    assert smtp_server.messages == []

    client = app.test_client()
    assert client.get("/intern/admin/warteschlange").status_code == 302  # sign-in first
    login(client, admin.username)
    page = client.get("/intern/admin/warteschlange")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'id="message-{parked.id}"' in html and "451" in html
    # The kind in words, not its code.
    assert "<td>Statusänderung an die meldende Person</td><td>E-Mail</td>" in html and "status_changed" not in html
    assert 'data-state="failed">1<' in html

    smtp_server.refusing = False
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    response = client.post(f"/intern/admin/warteschlange/{parked.id}/erneut", data={"csrf_token": token})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(OutboxMessage, parked.id).state == "pending"
    run_worker(app)  # the retry's commit woke a worker through Redis
    [mail] = smtp_server.wait_for(1)
    assert mail["To"] == report.reporter_email and "In Bearbeitung" in mail["Subject"]
    db.session.expire_all()
    assert db.session.get(OutboxMessage, parked.id).state == "sent"
    # Retrying something that is not parked is refused with a 4xx, not a 5xx.
    again = client.post(f"/intern/admin/warteschlange/{parked.id}/erneut", data={"csrf_token": token})
    assert again.status_code == 400


@pytest.mark.slow
def test_worker_killed_with_sigkill_mid_batch_every_mail_exactly_once(committing, smtp_server, redis_server,
                                                                        worker_process):
    app = committing
    total = 250
    reports = confirmed_reports(total)
    smtp_server.clear()
    _status_changes(reports)

    worker = worker_process(OUTBOX_BATCH_SIZE=100, OUTBOX_LEASE_SECONDS=3, OUTBOX_LEASE_MARGIN_SECONDS=0.5)

    def mid_batch():
        if len(smtp_server.messages) < 60:
            return False
        db.session.rollback()
        return db.session.scalar(select(func.count()).select_from(OutboxMessage)
                                 .where(OutboxMessage.state == "sending")) > 0
    wait_until(mid_batch, timeout=120, interval=0.002)
    worker.kill(signal.SIGKILL)
    assert worker.wait(10) == -signal.SIGKILL
    delivered_at_kill = len(smtp_server.messages)
    states = outbox_states()
    assert states["sending"] > 0, states  # the kill hit a claimed batch
    assert delivered_at_kill < total

    # The next worker takes over the orphaned rows once their lease ran out.
    time.sleep(3.1)
    drain(app)
    mails = smtp_server.wait_for(total, timeout=30)
    counts = message_ids(mails)
    assert len(counts) == total, f"{total - len(counts)} mails missing"
    assert max(counts.values()) == 1, [mid for mid, n in counts.items() if n > 1]
    assert outbox_states()["sent"] == 3 * total


@pytest.mark.slow
def test_worker_sigterm_finishes_its_batch_and_stops(committing, smtp_server, worker_process):
    app = committing
    total = 200
    reports = confirmed_reports(total)
    smtp_server.clear()
    _status_changes(reports)

    worker = worker_process(OUTBOX_BATCH_SIZE=50)
    wait_until(lambda: len(smtp_server.messages) >= 20, timeout=120, interval=0.002)
    worker.kill(signal.SIGTERM)
    assert worker.wait(30) == 0, worker.output()
    states = outbox_states()
    assert states["sending"] == 0, states  # warm shutdown: the batch was finished, nothing orphaned
    sent_status_mails = states["sent"] - 2 * total
    assert len(smtp_server.messages) == sent_status_mails < total

    run_worker(app)  # the follow-up drain job waited in Redis for the next worker
    drain(app)
    counts = message_ids(smtp_server.wait_for(total))
    assert len(counts) == total and max(counts.values()) == 1


def test_jobs_waiting_under_their_old_dotted_path_still_run(committing, smtp_server):
    """Jobs enqueued by the previous release as ``workers.jobs.drain_outbox`` may still wait in
    Redis after an upgrade: a worker of this release runs them (kept for one release)."""
    from rq.registry import FailedJobRegistry

    from workers.queue import QUEUE_DEFAULT, QUEUE_MAIL, get_queue

    app = committing
    [report] = confirmed_reports(1)
    _status_changes([report])
    get_queue(QUEUE_MAIL).connection.flushdb()  # only the old-style job below is waiting
    old_drain = get_queue(QUEUE_MAIL).enqueue("workers.jobs.drain_outbox")
    old_digests = get_queue(QUEUE_DEFAULT).enqueue("workers.jobs.send_department_digests")
    run_worker(app)
    assert old_drain.get_status(refresh=True) == "finished" and old_drain.return_value()["sent"] == 1
    assert old_digests.get_status(refresh=True) == "finished"
    assert FailedJobRegistry(queue=get_queue(QUEUE_MAIL)).count == 0
    assert len(smtp_server.wait_for(1)) == 1


def test_job_run_twice_sends_once(committing, smtp_server):
    """A drain job executed twice (a re-enqueue racing a slow job) cannot resend."""
    from app.outbox.relay import deliver_outbox_message, drain_outbox

    app = committing
    [report] = confirmed_reports(1)
    _status_changes([report])
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "status_changed"))
    assert drain_outbox()["sent"] == 1
    assert drain_outbox() == {}
    assert deliver_outbox_message(message.id) == "not-due-or-taken"
    run_worker(app)
    assert len(smtp_server.wait_for(2, timeout=0.5)) == 1
    mail = smtp_server.messages[0]
    text = body_text(mail)
    assert report.reference in mail["Subject"] and "In Prüfung" in text and "Wir sehen uns das an." in text
    assert mail["Message-ID"] == f"<outbox-{message.id}@harsewinkel.example>"
