"""Areas and addresses of a town: import, validation, re-routing, and the admin page."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the `flask addresses|areas|routing` commands, the admin page and the re-routing mail."""
    from app.areas import cli, notifications
    from app.areas.addresses_admin import bp as addresses_bp
    from app.areas.admin import bp
    from app.outbox.messages import register_messages

    cli.init_app(app)
    app.register_blueprint(bp)
    app.register_blueprint(addresses_bp)
    register_messages(app, *notifications.MESSAGES)
