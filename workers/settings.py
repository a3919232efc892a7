"""Settings of the worker queue, read from the environment in ``create_app`` (never at import).

They live here rather than in app/config.py so the queue's knobs stay in one place;
values passed to ``create_app(config)`` win over the environment, which wins over
the defaults.
"""
from __future__ import annotations

import os

from flask import Flask


def _float(raw: str) -> float:
    return float(raw)


# name -> (default, converter)
WORKER_SETTINGS: dict[str, tuple[object, object]] = {
    # A claimed message belongs to its worker for this long; a worker killed while
    # holding it loses it to the next one after the lease ran out.
    "OUTBOX_LEASE_SECONDS": (300.0, _float),
    # A worker starts no new message when less than this is left of its lease.
    "OUTBOX_LEASE_MARGIN_SECONDS": (60.0, _float),
    "OUTBOX_BATCH_SIZE": (100, int),
    # SMTP connections one worker process sends a batch over in parallel (waits overlap).
    "OUTBOX_SMTP_CONNECTIONS": (4, int),
    # Tries per message, then it is parked as 'failed'; the delay doubles per try, capped.
    "OUTBOX_MAX_ATTEMPTS": (8, int),
    "OUTBOX_RETRY_BASE_SECONDS": (30.0, _float),
    "OUTBOX_RETRY_CAP_SECONDS": (3600.0, _float),
    # `flask scheduler`: seconds between relay sweeps.
    "OUTBOX_SWEEP_SECONDS": (15.0, _float),
    "WEBHOOK_TIMEOUT": (10.0, _float),
    # Bearer token for /metrics; without one only loopback clients may read it.
    "METRICS_TOKEN": ("", str),
    # Data retention (days): reporter data of closed reports, unconfirmed reports, sent outbox rows,
    # alert subscriptions and followers that never confirmed (workers/retention.py).
    "RETENTION_CLOSED_DAYS": (90, int),
    "RETENTION_UNCONFIRMED_DAYS": (7, int),
    "RETENTION_OUTBOX_DAYS": (30, int),
    "RETENTION_UNCONFIRMED_SUBSCRIPTION_DAYS": (7, int),
}


def init_app(app: Flask) -> None:
    for name, (default, convert) in WORKER_SETTINGS.items():
        if name in app.config:
            continue
        raw = os.environ.get(name)
        app.config[name] = convert(raw) if raw not in (None, "") else default
