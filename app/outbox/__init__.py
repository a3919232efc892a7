"""The transactional outbox: messages recorded with the change that causes them.

Infrastructure, not a feature: it records, relays and delivers messages and keeps the
registry that features fill from their own ``init_app`` (app/outbox/messages.py). It
imports no feature package (tests/test_architecture.py).
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Wake workers after commits, and register ``flask outbox-drain`` and ``outbox-retry``."""
    from app.outbox import cli, relay

    relay.init_app(app)
    cli.init_app(app)
