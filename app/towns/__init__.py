"""Towns as configuration: `flask town create|export|apply` (the town file) and the first admin."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from app.towns import cli

    cli.init_app(app)
