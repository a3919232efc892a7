"""Citizens following a report (double opt-in) and unsubscribing from any citizen mail."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from app.followers import notifications  # noqa: F401  (registers the follower mails)
    from app.followers.routes import bp

    app.register_blueprint(bp)
