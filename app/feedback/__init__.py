"""Citizens close the loop on a report: "Ist es erledigt?" (the reporter is asked some days after
"erledigt" and may reopen it), "Ich auch" on open reports and "Noch nicht behoben" on closed ones
(anonymous, one per browser)."""
from __future__ import annotations

import click
from flask import Flask


def init_app(app: Flask) -> None:
    """Register the questionnaire pages, the vote routes, the two mails, the report page's
    ``report_votes`` helper and the schedule of the questionnaire (every 15 minutes)."""
    from app.feedback import jobs, notifications
    from app.feedback.routes import bp, report_votes
    from app.outbox.messages import register_messages
    from app.tasks import Task, register_tasks

    app.register_blueprint(bp)
    app.add_template_global(report_votes, "report_votes")
    register_messages(app, *notifications.MESSAGES)
    register_tasks(app, Task("fixed_questionnaires", jobs.send_fixed_questionnaires, 15 * 60, 7 * 60))

    @app.cli.command("send-questionnaires")
    def send_questionnaires():
        """Record the "Ist es erledigt?" mails that are due now (the worker sends them)."""
        click.echo(f"{jobs.send_fixed_questionnaires()} questionnaires recorded")
