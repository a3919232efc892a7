"""`flask` commands of the worker queue: scheduler, scheduled jobs run by hand, retry."""
from __future__ import annotations

import json

import click
from flask import Flask


def init_app(app: Flask) -> None:
    @app.cli.command("scheduler")
    @click.option("--interval", type=float, default=None, help="Seconds between rounds (OUTBOX_SWEEP_SECONDS).")
    @click.option("--once", is_flag=True, help="One round, then exit (for cron).")
    def scheduler(interval: float | None, once: bool):
        """Sweep the outbox and enqueue digests, reminders and retention on time."""
        from workers.scheduler import run_forever, tick

        if once:
            click.echo(json.dumps(tick()))
        else:
            run_forever(interval)

    @app.cli.command("send-digests")
    def send_digests():
        """Record the department digests that are due now (the worker sends them)."""
        from workers.jobs import send_department_digests

        click.echo(f"{send_department_digests()} digests recorded")

    @app.cli.command("send-reminders")
    def send_reminders():
        """Record reminders for reports that stay too long in one status."""
        from workers.jobs import send_reminders as job

        click.echo(f"{job()} reminders recorded")

    @app.cli.command("retention")
    def retention():
        """Anonymise closed reports and delete unconfirmed ones (see workers/retention.py)."""
        from workers.jobs import run_retention

        click.echo(json.dumps(run_retention()))

    @app.cli.command("outbox-drain")
    def outbox_drain():
        """Deliver due outbox messages in this process until none is left (no Redis needed)."""
        from workers.delivery import drain

        total = {}
        while True:
            outcomes = drain()
            if not outcomes:
                break
            for key, value in outcomes.items():
                total[key] = total.get(key, 0) + value
            if not outcomes.get("sent") and not outcomes.get("cancelled"):
                break
        click.echo(json.dumps(total))

    @app.cli.command("outbox-retry")
    @click.argument("message_id", type=int)
    def outbox_retry(message_id: int):
        """Put a parked ('failed') outbox message back in line."""
        from app.db import db
        from app.outbox.operations import retry_failed

        retry_failed(message_id)
        db.session.commit()
        click.echo(f"outbox message {message_id} is pending again")
