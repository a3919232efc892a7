"""Page-wide concerns: security headers and template globals."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask

from app.guards import refuse_nul_characters
from app.reports.status import STATUSES


def _tile_origin(tile_url: str) -> str:
    parts = urlsplit(tile_url.replace("{s}", "a"))
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""


def init_app(app: Flask) -> None:
    # Nothing but this app and the configured tile server may be contacted by a page
    # (DSGVO: no fonts, scripts or trackers from third-party hosts).
    tiles = _tile_origin(app.config["TILE_URL"])
    csp = ("default-src 'self'; script-src 'self'; style-src 'self'; "
           f"img-src 'self' data: blob: {tiles}; connect-src 'self'; font-src 'self'; "
           "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'")

    app.before_request(refuse_nul_characters)

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(self)")
        return response

    @app.context_processor
    def _globals():
        return {"statuses": STATUSES}
