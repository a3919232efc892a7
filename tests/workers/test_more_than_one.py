"""More than one of each (issue 22, point 5): two schedulers never enqueue a periodic run
twice, also when Redis loses its keys in between; two workers share the outbox and every
mail goes out exactly once. (Two web processes: tests/deploy/test_nginx.py runs gunicorn
with two workers behind nginx.)"""
from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections import Counter

from sqlalchemy import func, select, text

from app.db import db, utcnow
from app.outbox.models import OutboxMessage
from app.reports.operations import change_status
from app.reports.models import Report
from tests.conftest import TEST_SECRET
from tests.workers.conftest import FLASK, ROOT, confirmed_reports, message_ids, wait_until


def _claims() -> set[tuple[str, int]]:
    db.session.remove()
    with db.engine.connect() as conn:
        return set(conn.execute(text("SELECT task, slot FROM scheduled_runs")).tuples())


def _queued_ids(redis_server) -> Counter:
    from workers.queue import QUEUE_DEFAULT, get_queue

    return Counter(get_queue(QUEUE_DEFAULT, connection=redis_server.client()).job_ids)


def _scheduler(app, redis_server) -> subprocess.Popen:
    env = dict(os.environ, FLASK_APP="app:create_app", DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               REDIS_URL=redis_server.url, RATELIMIT_STORAGE_URI="redis+" + redis_server.url,
               SECRET_KEY=TEST_SECRET, LOG_LEVEL="WARNING", MEDIA_STORAGE_URL=app.config["MEDIA_STORAGE_URL"],
               MAILCATCHER_DIR="")
    return subprocess.Popen([FLASK, "scheduler", "--interval", "0.2"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


def test_two_schedulers_enqueue_each_slot_once_even_after_redis_lost_its_keys(committing, redis_server):
    schedulers = [_scheduler(committing, redis_server) for _ in range(2)]
    try:
        wait_until(lambda: {task for task, _ in _claims()} >= {"digests", "reminders", "retention"}, timeout=60,
                   interval=0.1)
        time.sleep(2)  # both keep ticking five times a second
        claims = _claims()
        queued = _queued_ids(redis_server)
        assert set(queued) == {f"scheduled-{task}-{slot}" for task, slot in claims}
        assert max(queued.values()) == 1
        # Redis restarts without its data (as in the storm test): the old SET NX keys are gone.
        redis_server.client().flushdb()
        time.sleep(2)
        assert set(_queued_ids(redis_server)) == {f"scheduled-{t}-{s}" for t, s in _claims() - claims}
        assert all(p.poll() is None for p in schedulers)
    finally:
        for process in schedulers:
            os.killpg(process.pid, signal.SIGTERM)
        for process in schedulers:
            assert process.wait(30) == 0, process.stderr.read().decode(errors="replace")[-2000:]


def test_ticks_at_the_same_moment_enqueue_once(committing, redis_server):
    from app.tasks.scheduler import tick

    now = utcnow()
    start = threading.Barrier(6)
    results: list[dict] = []

    def one():
        with committing.app_context():
            start.wait()
            results.append(tick(now))

    threads = [threading.Thread(target=one) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    enqueued = Counter(task for done in results for task in done if task != "swept")
    assert enqueued == Counter({"digests": 1, "reminders": 1, "retention": 1, "escalations": 1,
                                "fixed_questionnaires": 1, "citizen_sign_ins": 1})
    assert sum(_queued_ids(redis_server).values()) == 6


def test_two_workers_share_the_outbox_every_mail_once(committing, smtp_server, worker_process):
    total = 240
    reports = confirmed_reports(total)
    smtp_server.clear()
    workers = [worker_process(OUTBOX_BATCH_SIZE=20) for _ in range(2)]
    for report in reports:
        change_status(db.session.get(Report, report.id), "in_pruefung", actor="test")
    db.session.commit()
    mails = smtp_server.wait_for(total, timeout=120)
    counts = message_ids(mails)
    assert len(counts) == total and max(counts.values()) == 1
    db.session.remove()
    senders = Counter(db.session.scalars(select(OutboxMessage.claimed_by)
                                         .where(OutboxMessage.claimed_by != "")))
    pids = {f":{w.process.pid}" for w in workers}
    assert sum(senders.values()) == total
    assert {sender[sender.rindex(":"):] for sender in senders} == pids, senders  # both took batches
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.state != "sent")) == 0
