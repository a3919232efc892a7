"""Administration of the staff workspace: accounts, departments, categories, routing rules, text templates."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from app.admin.routes import bp

    app.register_blueprint(bp)
