"""Public pages: home, report pages, statement pages; the reporter's additions."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the public pages and the mail about a reporter's later remark or photos."""
    from app.outbox.messages import register_messages
    from app.public import notifications
    from app.public.routes import bp

    app.register_blueprint(bp)
    register_messages(app, *notifications.MESSAGES)
