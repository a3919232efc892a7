"""The staff workspace: sign-in, roles, the queue, report handling, audit log, export, dashboard."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the staff blueprints, the staff mails, the escalation job and the ``demo-accounts`` command."""
    from app.outbox.messages import register_messages
    from app.staff import cli, jobs, notifications
    from app.tasks import Task, register_tasks
    from app.staff.auth import bp as auth_bp
    from app.staff.field_routes import bp as field_bp
    from app.staff.routes import bp as staff_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(field_bp)
    register_messages(app, *notifications.MESSAGES)
    # Hourly at :10: reports overdue beyond the grace period go to the dispatchers, once.
    register_tasks(app, Task("escalations", jobs.escalate_overdue, 60 * 60, 10 * 60))
    cli.init_app(app)

    @app.before_request
    def _forget_signed_in_staff():
        # The cache lives on ``g``, which outlives a request when an app context is
        # already pushed (tests, CLI): look the account up afresh for every request.
        from flask import g

        g.pop("staff_user", None)

    @app.context_processor
    def _staff_context():
        from app.staff.auth import current_staff

        return {"current_staff": current_staff}
