"""Page-wide concerns: security headers and template globals."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, request

from app.guards import refuse_nul_characters
from app.reports.status import STATUSES


DENIED_FEATURES = ("microphone", "payment", "usb", "serial", "bluetooth", "hid", "midi", "display-capture",
                   "accelerometer", "gyroscope", "magnetometer", "ambient-light-sensor", "autoplay",
                   "encrypted-media", "fullscreen", "picture-in-picture", "publickey-credentials-get",
                   "screen-wake-lock", "xr-spatial-tracking", "browsing-topics")


def _tile_origin(tile_url: str) -> str:
    parts = urlsplit(tile_url.replace("{s}", "a"))
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""


def init_app(app: Flask) -> None:
    # Nothing but this app and the configured tile server may be contacted by a page
    # (DSGVO: no fonts, scripts or trackers from third-party hosts).
    def csp(tile_url: str) -> str:
        return ("default-src 'self'; script-src 'self'; style-src 'self'; "
                f"img-src 'self' data: blob: {_tile_origin(tile_url)}; connect-src 'self'; font-src 'self'; "
                "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'")

    default_csp = csp(app.config["TILE_URL"])

    # The browser features a page may use: location (the map pin) and camera (photos), for this
    # app only; everything else a page could ask for is off, for embedded content too.
    permissions = ", ".join(["geolocation=(self)", "camera=(self)"]
                            + [f"{feature}=()" for feature in DENIED_FEATURES])
    # HSTS only when the app is served over https: a browser then never tries plain http again
    # for a year (no includeSubDomains: the town's other hosts are not ours to decide for).
    hsts = "max-age=31536000" if app.config["BASE_URL"].startswith("https://") else None

    app.before_request(refuse_nul_characters)

    @app.after_request
    def _security_headers(response):
        # A page that showed the town (its face is in ``g``) allows the town profile's tile host.
        town = request.environ.get("mm.town")
        response.headers.setdefault("Content-Security-Policy",
                                    csp(town.tile_url) if town is not None and town.tile_url else default_csp)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", permissions)
        if hsts:
            response.headers.setdefault("Strict-Transport-Security", hsts)
        return response

    @app.context_processor
    def _globals():
        return {"statuses": STATUSES}
