"""The Harsewinkel demo town (approximate shapes, real names)."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Show the mail catcher's mails at /_demo/mails, only when the demo's catcher is configured."""
    if app.config["MAILCATCHER_DIR"]:
        from app.demo.routes import bp

        app.register_blueprint(bp)
