"""Data retention (DSGVO Art. 5(1)(e)): personal data kept no longer than needed.

The policy over reports, followers, alerts, Open311 submissions, reporter remarks and
sent mail is in ``policy.py``; the scheduler runs it daily, ``flask retention`` by hand.
"""
from __future__ import annotations

import json

import click
from flask import Flask


def init_app(app: Flask) -> None:
    """Register the daily retention run and ``flask retention``."""
    from app.retention.policy import run_retention
    from app.tasks import Task, register_tasks

    register_tasks(app, Task("retention", run_retention, 24 * 3600, 2 * 3600))

    @app.cli.command("retention")
    def retention():
        """Anonymise closed reports and delete unconfirmed ones (see app/retention/policy.py)."""
        click.echo(json.dumps(run_retention()))
