"""Operations of the worker queue: the admin queue page, /metrics, department mails,
outbox fan-out and the scheduler's CLI commands."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from app.ops.routes import bp
    from app.outbox import department  # noqa: F401  (digest, reminder and webhook builders)
    from app.outbox import fanout
    from workers import cli

    fanout.init_app(app)
    app.register_blueprint(bp)
    cli.init_app(app)
