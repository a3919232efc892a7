"""`flask scheduler`: the one loop process that starts periodic work.

It runs the relay sweep itself (cheap, and it must work while the queue is the
problem) and puts the other periodic jobs on RQ, once per time slot: a Redis
``SET NX`` per task and slot means two scheduler processes (a deploy overlap) do
not double the work, and the jobs are idempotent anyway (outbox dedup keys).
No thread in the web process is involved.
"""
from __future__ import annotations

import logging
import signal
import time
from datetime import datetime

from flask import current_app

from app.db import db, utcnow
from app.outbox.relay import sweep
from app.tasks.registry import Task, scheduled_tasks
from workers.queue import QUEUE_DEFAULT, get_queue, redis

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
            if redis().set(f"scheduler:{task.name}:{slot}", "1", nx=True, ex=task.period * 2):
                get_queue(QUEUE_DEFAULT).enqueue(task.job, job_id=f"scheduled-{task.name}-{slot}",
                                                 result_ttl=86400, failure_ttl=7 * 86400)
                done[task.name] = slot
        except Exception as exc:
            log.warning("could not enqueue %s: %s: %s", task.name, type(exc).__name__, exc)
    return done


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
