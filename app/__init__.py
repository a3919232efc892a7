"""Mängelmelder: the Flask application factory."""
from __future__ import annotations

from flask import Flask

from app import (
    admin, alerts, areas, backup, branding, catalog, cli, demo, errors, extensions, feeds, followers, i18n, logs,
    mapapi, open311, openapi, ops, outbox, public, reports, retention, staff, tasks, towns, transparency, web,
    workorders,
)
from app.config import PROJECT_ROOT, load_config
from app.db import close_session_quietly, db, install_session_hooks
from app.ops import logformat, metrics
from media import storage_from_url
from workers import queue

# Feature packages, each registering its pages, messages, schedules and commands in its own
# ``init_app``. Order matters only where one page base is shared: public first.
FEATURES = (
    public,        # home, report pages, statement pages
    reports,       # intake (form and API), reporter pages, report and department mails
    followers,     # following a report; unsubscribe handling of every citizen mail
    alerts,        # area alerts
    feeds,         # Atom feeds
    transparency,  # key figures
    mapapi,        # map API: GeoJSON, clusters, tiles, geocoding, nearby
    areas,         # areas, addresses, re-routing
    open311,       # Open311 GeoReport v2
    openapi,       # /openapi.json
    staff,         # staff workspace: sign-in, queue, report handling, dashboard
    workorders,    # work orders and route sheets as PDF
    admin,         # admin pages
    catalog,       # service catalog
    towns,         # town set-up: `flask town create|export|apply`, the first admin
    ops,           # queue page, /metrics
    retention,     # data retention (daily)
    backup,        # flask backup create|restore
    demo,          # the demo's mail catcher page (only when configured)
)


def create_app(config: dict | None = None) -> Flask:
    """Create the web app. ``config`` overrides settings read from the environment."""
    app = Flask(__name__, template_folder=str(PROJECT_ROOT / "templates"),
                static_folder=str(PROJECT_ROOT / "app" / "static"))
    app.config.update(load_config(config))
    if app.config.get("PROXY_FIX_X_FOR"):
        # Behind a reverse proxy: trust its X-Forwarded-For so rate limits see clients.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=int(app.config["PROXY_FIX_X_FOR"]), x_proto=1)
    logformat.configure(app.config)  # text or JSON lines, each with the request id

    # Infrastructure: database, photo storage, extensions, language, queue, outbox, errors, headers.
    db.init_app(app)
    install_session_hooks()
    app.teardown_appcontext(close_session_quietly)  # registered after Flask-SQLAlchemy's: runs first
    logformat.init_app(app)  # request id and request metrics first: they see every answer, 429s too
    metrics.init_app(app)
    app.extensions["storage"] = storage_from_url(app.config["MEDIA_STORAGE_URL"])
    extensions.init_app(app)
    i18n.init_app(app)
    queue.init_app(app)
    outbox.init_app(app)
    tasks.init_app(app)
    errors.init_app(app)
    web.init_app(app)
    branding.init_app(app)  # the town's name, crest and colours on every page
    cli.init_app(app)

    for feature in FEATURES:
        feature.init_app(app)
    logs.init_app(app)  # last: it reads every URL rule that carries a token
    return app
