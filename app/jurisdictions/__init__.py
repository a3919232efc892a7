"""Towns (Open311 jurisdictions), their areas, departments, categories and routing rules; and
which town a request is for (its host, ``hosts.py``)."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from app.jurisdictions import hosts

    hosts.init_app(app)
