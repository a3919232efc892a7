"""Absolute links for mails and feeds, built from BASE_URL (workers have no request) on the
host of the town they are for (``app.towncontext``): a mail about a report of town B links to
B's host even when a job of another town's request recorded it."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app
from werkzeug.routing import MapAdapter

from app.towncontext import current_town_id


def _adapter(host: str | None) -> MapAdapter:
    # One adapter per host, bound once: links in a mail must not depend on the host a request
    # happened to arrive on, and building one per link (a fake request context each time) was a
    # third of the cost of composing a mail.
    adapters = current_app.extensions.setdefault("base_url_adapters", {})
    adapter = adapters.get(host)
    if adapter is None:
        base = urlsplit(current_app.config["BASE_URL"])
        # A town's own host keeps BASE_URL's scheme and path (one reverse proxy serves them all).
        adapter = current_app.url_map.bind(host or base.netloc, script_name=base.path.rstrip("/") or "/",
                                           url_scheme=base.scheme or "https")
        adapters[host] = adapter
    return adapter


def town_link_host() -> str | None:
    """The host (with BASE_URL's port, if it names one) links of the current town go to;
    None: BASE_URL's own host (the default town, or a town without host names)."""
    town_id = current_town_id()
    lookup = current_app.extensions.get("town_link_host")
    host = lookup(town_id) if town_id is not None and lookup is not None else None
    if host is None:
        return None
    port = urlsplit(current_app.config["BASE_URL"]).port
    return f"{host}:{port}" if port else host


def base_url() -> str:
    """BASE_URL on the current town's host, without a trailing slash."""
    base = urlsplit(current_app.config["BASE_URL"])
    host = town_link_host()
    return f"{base.scheme}://{host or base.netloc}{base.path.rstrip('/')}"


def absolute_url(endpoint: str, **values) -> str:
    """``BASE_URL`` (on the town's host) + the path of ``endpoint``; extra values become the query string."""
    return _adapter(town_link_host()).build(endpoint, values, force_external=True)
