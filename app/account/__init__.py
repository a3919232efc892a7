"""Meine Meldungen: a citizen signs in with a single-use link mailed to their address (no
password), sees the reports, follows and area alerts of that address, changes notifications,
downloads or erases their data (DSGVO Art. 15/17)."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the pages, the sign-in mail and the hourly clean-up of used sign-in links; check the
    optional identity-broker settings (``CITIZEN_OIDC_*``)."""
    from app.account import jobs, notifications, oidc
    from app.account.routes import bp
    from app.outbox.messages import register_messages
    from app.tasks import Task, register_tasks

    oidc.settings_from(app.config)  # a setting that cannot work stops the start, not a sign-in
    app.register_blueprint(bp)
    register_messages(app, *notifications.MESSAGES)
    register_tasks(app, Task("citizen_sign_ins", jobs.purge_citizen_sign_ins, 60 * 60, 20 * 60))
