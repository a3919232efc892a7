"""The JSON map API: geocoding, nearby reports, GeoJSON, clusters and vector tiles.

Public data only: no hidden report, no unpublished text or photo, never reporter data.
"""
from __future__ import annotations


def init_app(app) -> None:
    """Register the /api/v1 map routes and the optional read-replica session."""
    from app.mapapi.routes import init_app as _init

    _init(app)
