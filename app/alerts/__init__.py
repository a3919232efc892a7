"""Area alerts: mails about new and fixed reports in an Ortsteil or around an address."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the pages, the mails and the history watcher that records alerts."""
    from app.alerts import events, notifications
    from app.alerts.routes import bp
    from app.outbox.messages import register_messages

    app.register_blueprint(bp)
    register_messages(app, *notifications.MESSAGES)
    events.init_app(app)
