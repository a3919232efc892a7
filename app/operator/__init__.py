"""The operator's pages (issue 21): above the towns of an installation. Towns made from a town
file with their first admin, retired towns, every town's health without personal data."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from app.operator import routes

    app.register_blueprint(routes.bp)
