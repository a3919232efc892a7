"""Operating the worker queue: the admin queue page and /metrics."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from app.ops.routes import bp

    app.register_blueprint(bp)
