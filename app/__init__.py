"""Mängelmelder: the Flask application factory."""
from __future__ import annotations

import logging

from flask import Flask

from app.config import PROJECT_ROOT, load_config


def create_app(config: dict | None = None) -> Flask:
    """Create the web app. ``config`` overrides settings read from the environment."""
    app = Flask(__name__, template_folder=str(PROJECT_ROOT / "templates"),
                static_folder=str(PROJECT_ROOT / "app" / "static"))
    app.config.update(load_config(config))
    if app.config.get("PROXY_FIX_X_FOR"):
        # Behind a reverse proxy: trust its X-Forwarded-For so rate limits see clients.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=int(app.config["PROXY_FIX_X_FOR"]), x_proto=1)
    logging.basicConfig(level=app.config["LOG_LEVEL"])

    from app import errors, extensions, i18n, web
    from app.db import db, install_session_hooks
    from media import storage_from_url
    from app.outbox import relay
    from workers import queue

    db.init_app(app)
    install_session_hooks()
    app.extensions["storage"] = storage_from_url(app.config["MEDIA_STORAGE_URL"])
    extensions.init_app(app)
    i18n.init_app(app)
    queue.init_app(app)
    relay.init_app(app)
    errors.init_app(app)
    web.init_app(app)

    from app import cli
    from app.reports import notifications  # noqa: F401  (registers the report mails)
    from app.public.routes import bp as public_bp
    from app.reports.routes import bp as reports_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(reports_bp)
    if app.config["MAILCATCHER_DIR"]:
        from app.demo.routes import bp as demo_bp

        app.register_blueprint(demo_bp)
    cli.init_app(app)
    return app
