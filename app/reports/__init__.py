"""Citizen reports: intake (form and JSON API), the reporter's private pages, the mails
about a report and to its department (single, digest, reminder, webhook)."""
from __future__ import annotations

import click
from flask import Flask


def init_app(app: Flask) -> None:
    """Register the intake pages and API, the report and department messages, the webhook
    fan-out, the digest and reminder schedules and their ``flask send-*`` commands."""
    from app.outbox.messages import register_messages, register_prefetch, register_skip_rule
    from app.reports import department_mail, jobs, notifications
    from app.reports.api import bp as api_bp
    from app.reports.routes import bp
    from app.tasks import Task, register_tasks

    app.register_blueprint(bp)
    app.register_blueprint(api_bp)
    register_messages(app, *notifications.MESSAGES, *department_mail.MESSAGES)
    register_prefetch(app, notifications.prefetch)
    register_skip_rule(app, department_mail.digest_departments_get_no_single_mails)
    department_mail.listen_for_webhook_events()
    register_tasks(app, Task("digests", jobs.send_department_digests, 15 * 60),
                   Task("reminders", jobs.send_reminders, 60 * 60, 5 * 60))

    @app.cli.command("send-digests")
    def send_digests():
        """Record the department digests that are due now (the worker sends them)."""
        click.echo(f"{jobs.send_department_digests()} digests recorded")

    @app.cli.command("send-reminders")
    def send_reminders():
        """Record reminders for reports that stay too long in one status."""
        click.echo(f"{jobs.send_reminders()} reminders recorded")
