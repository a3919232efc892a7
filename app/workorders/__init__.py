"""Work orders and route sheets as PDF (WeasyPrint), for the staff workspace."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the work order pages under /intern/."""
    from app.workorders.routes import bp

    app.register_blueprint(bp)
