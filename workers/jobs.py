"""The job paths of the previous release, kept resolvable for one release.

Jobs used to be enqueued by dotted path (``workers.jobs.drain_outbox``); jobs of that
kind may still wait in Redis after an upgrade, and RQ resolves them by that path. Jobs
are now enqueued by function reference from the features that own them. ``workers/``
imports nothing from ``app`` (tests/test_architecture.py), so these names are resolved
by their new dotted path when a waiting job asks for one. Remove in the next release.
"""
from __future__ import annotations

import importlib

MOVED = {
    "drain_outbox": "app.outbox.relay",
    "deliver_outbox_message": "app.outbox.relay",
    "send_department_digests": "app.reports.jobs",
    "send_reminders": "app.reports.jobs",
    "run_retention": "app.retention.policy",
}


def __getattr__(name: str):
    if name in MOVED:
        return getattr(importlib.import_module(MOVED[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
