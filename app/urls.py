"""Absolute links for mails and feeds, built from BASE_URL (workers have no request)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app
from werkzeug.routing import MapAdapter


def _adapter() -> MapAdapter:
    # One adapter per app, bound to BASE_URL: links in a mail must not depend on the
    # host a request happened to arrive on, and building one per link (a fake request
    # context each time) was a third of the cost of composing a mail.
    adapter = current_app.extensions.get("base_url_adapter")
    if adapter is None:
        base = urlsplit(current_app.config["BASE_URL"])
        adapter = current_app.url_map.bind(base.netloc, script_name=base.path.rstrip("/") or "/",
                                           url_scheme=base.scheme or "https")
        current_app.extensions["base_url_adapter"] = adapter
    return adapter


def absolute_url(endpoint: str, **values) -> str:
    """``BASE_URL`` + the path of ``endpoint``; extra values become the query string."""
    return _adapter().build(endpoint, values, force_external=True)
