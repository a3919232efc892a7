"""Citizens following a report (double opt-in) and unsubscribing from any citizen mail."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the confirm/unsubscribe pages, the follower mails, the unsubscribe handling
    of every citizen mail about a report, and the fan-out of status changes to followers."""
    from app.followers import fanout, notifications
    from app.followers.routes import bp
    from app.outbox.messages import register_messages, register_prefetch, register_unsubscribes

    app.register_blueprint(bp)
    register_messages(app, *notifications.MESSAGES)
    register_prefetch(app, notifications.prefetch)
    register_unsubscribes(app, notifications.Unsubscribes())
    fanout.listen_for_status_changes()
