"""`flask scheduler`: the one loop process that starts periodic work.

It runs the relay sweep itself (cheap, and it must work while the queue is the
problem) and puts the other periodic jobs on RQ, once per time slot: a row per task
and slot in PostgreSQL (``scheduled_runs``), committed only after the job was
enqueued, means two scheduler processes (a deploy overlap, a second node) never
enqueue a slot twice, also when Redis restarted in between; the jobs are idempotent
anyway (outbox dedup keys). No thread in the web process is involved.
"""
from __future__ import annotations

import logging
import signal
import time
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert

from app.db import db, utcnow
from app.outbox.relay import sweep
from app.tasks.models import ScheduledRun
from app.tasks.registry import Task, scheduled_tasks
from workers.queue import QUEUE_DEFAULT, get_queue

KEEP_CLAIMS = timedelta(days=7)  # longer than any task's period

log = logging.getLogger(__name__)


def due_tasks(now: datetime) -> list[tuple[Task, int]]:
    epoch = int(now.timestamp())
    return [(task, (epoch - task.offset) // task.period) for task in scheduled_tasks()]


def tick(now: datetime | None = None) -> dict:
    """One round: sweep the outbox, enqueue periodic jobs whose slot has not run yet."""
    done: dict = {}
    try:
        done["swept"] = sweep()
    except Exception as exc:  # keep going: Redis or the database may come back
        db.session.rollback()
        log.warning("relay sweep failed: %s: %s", type(exc).__name__, exc)
    finally:
        db.session.remove()
    now = now or utcnow()
    for task, slot in due_tasks(now):
        try:
            if _claim(task.name, slot, now):
                get_queue(QUEUE_DEFAULT).enqueue(task.job, job_id=f"scheduled-{task.name}-{slot}",
                                                 result_ttl=86400, failure_ttl=7 * 86400)
                db.session.commit()  # the claim counts only once the job is queued
                done[task.name] = slot
            else:
                db.session.rollback()
        except Exception as exc:  # Redis or the database away: the claim rolls back, next round tries again
            db.session.rollback()
            log.warning("could not enqueue %s: %s: %s", task.name, type(exc).__name__, exc)
        finally:
            db.session.remove()
    return done


def _claim(task: str, slot: int, now: datetime) -> bool:
    """Insert the (task, slot) row unless it exists (flushes, does not commit).

    A second scheduler inserting the same row waits here until the first commits (then
    finds it) or rolls back (then takes the slot itself).
    """
    claimed = db.session.execute(
        insert(ScheduledRun).values(task=task, slot=slot, enqueued_at=now)
        .on_conflict_do_nothing().returning(ScheduledRun.slot)).first()
    if claimed:
        db.session.execute(delete(ScheduledRun).where(ScheduledRun.task == task,
                                                      ScheduledRun.enqueued_at < now - KEEP_CLAIMS))
    return claimed is not None


def run_forever(interval: float | None = None) -> None:
    """Loop until SIGTERM/SIGINT; each round at most ``interval`` seconds apart."""
    interval = interval or float(current_app.config["OUTBOX_SWEEP_SECONDS"])
    stopping = {"flag": False}

    def stop(_signum, _frame):
        stopping["flag"] = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while not stopping["flag"]:
        started = time.monotonic()
        done = tick()
        if any(k != "swept" for k in done) or done.get("swept"):
            log.info("scheduler: %s", done)
        while not stopping["flag"] and time.monotonic() - started < interval:
            time.sleep(0.2)
