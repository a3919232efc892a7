"""Mängelmelder: the Flask application factory."""
from __future__ import annotations

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
    from app.ops import logs, metrics

    logs.configure(app.config)

    from app import errors, extensions, i18n, web
    from app import db
    from media import storage_from_url
    from app.outbox import relay
    from workers import queue

    db.init_app(app)
    logs.init_app(app)  # request id and request metrics first: they see every answer, 429s too
    metrics.init_app(app)
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
    from app.reports.api import bp as intake_api_bp  # JSON intake: offline queue, API clients
    app.register_blueprint(intake_api_bp)
    if app.config["MAILCATCHER_DIR"]:
        from app.demo.routes import bp as demo_bp

        app.register_blueprint(demo_bp)
    cli.init_app(app)
    from app import open311, openapi  # Open311 GeoReport v2 and /openapi.json
    open311.init_app(app)
    openapi.init_app(app)
    from app import staff  # staff workspace: /intern/ sign-in, queue, admin; its mails and CLI
    staff.init_app(app)
    from app import alerts, feeds, transparency  # public map extras: area alerts, Atom feeds, transparency
    alerts.init_app(app)
    feeds.init_app(app)
    transparency.init_app(app)
    from app import areas, mapapi  # PostGIS layer: map API, geocoding; areas, addresses, re-routing
    mapapi.init_app(app)
    areas.init_app(app)
    from app import catalog  # service catalog: /leistungen, search API, admin editing
    catalog.init_app(app)
    from app import followers, ops  # worker queue: follow/unsubscribe, queue page, /metrics, scheduler CLI
    followers.init_app(app)
    ops.init_app(app)
    return app
