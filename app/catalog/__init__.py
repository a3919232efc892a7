"""The town's service catalog (Leistungskatalog): what the administration does, which of it
can be done online, who is responsible, and a German search over it."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the public pages, the JSON search, the admin pages and the ``catalog-*`` commands."""
    from app.catalog import cli
    from app.catalog.admin import bp as admin_bp
    from app.catalog.routes import bp as public_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(admin_bp)
    cli.init_app(app)
