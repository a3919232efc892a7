"""`flask worker` and `flask scheduler`: the two long-running processes besides the web app."""
from __future__ import annotations

import json

import click
from flask import Flask, current_app


def init_app(app: Flask) -> None:
    @app.cli.command("worker")
    @click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
    @click.option("--with-scheduler/--without-scheduler", default=True,
                  help="Also run RQ's scheduler (retries with a delay need it).")
    def worker(burst: bool, with_scheduler: bool):
        """Run an RQ worker inside the app context.

        A non-forking worker: a forked child per job would re-import the app's heavy
        libraries (about 1.4 jobs/s instead of hundreds). SIGTERM finishes the
        current job and then stops (warm shutdown).
        """
        from rq import SimpleWorker
        from rq.serializers import JSONSerializer

        from workers.queue import QUEUES, get_queue, redis

        queues = [get_queue(name) for name in QUEUES]
        SimpleWorker(queues, connection=redis(), serializer=JSONSerializer).work(
            burst=burst, with_scheduler=with_scheduler, logging_level=current_app.config["LOG_LEVEL"])

    @app.cli.command("scheduler")
    @click.option("--interval", type=float, default=None, help="Seconds between rounds (OUTBOX_SWEEP_SECONDS).")
    @click.option("--once", is_flag=True, help="One round, then exit (for cron).")
    def scheduler(interval: float | None, once: bool):
        """Sweep the outbox and enqueue the features' periodic jobs (digests, reminders, retention) on time."""
        from app.tasks.scheduler import run_forever, tick

        if once:
            click.echo(json.dumps(tick()))
        else:
            run_forever(interval)
