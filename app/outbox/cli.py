"""`flask outbox-drain` and `flask outbox-retry`: delivering by hand, without the queue."""
from __future__ import annotations

import json

import click
from flask import Flask


def init_app(app: Flask) -> None:
    @app.cli.command("outbox-drain")
    def outbox_drain():
        """Deliver due outbox messages in this process until none is left (no Redis needed)."""
        from app.outbox.delivery import drain

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
