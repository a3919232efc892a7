"""The town of a request, from its Host header (issue 21: several towns in one installation).

Each town lists its host names (``jurisdiction_hosts``, the town file's ``hosts``). Every
request is resolved once, before its view runs: ``g.jurisdiction_id`` is the town, or the
``DEFAULT_JURISDICTION`` town when the host belongs to no town and that setting is set
(single-town installations, the demo), else the request ends in a German 404 page and
never reaches another town's data.

The host table is read into a dict per process and read again after ``TOWN_HOSTS_CACHE_SECONDS``
(or at once in this process after ``forget_hosts()``), so a request pays one dict lookup.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from flask import Flask, current_app, g, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.db import db
from app.errors import NotFound

# Endpoints that serve no town's data and must answer on any host: probes and metrics are
# called by address, the shared static files style the "unknown host" page itself.
HOSTLESS_ENDPOINTS = frozenset({"static", "ops.healthz", "ops.readyz", "ops.metrics", "branding.stylesheet"})


class UnknownHost(NotFound):
    code = "unknown_host"


@dataclass(frozen=True)
class HostMap:
    hosts: dict[str, int]         # host -> town id (active towns only)
    slugs: dict[str, int]         # slug -> town id (active towns only)
    primary: dict[int, str]       # town id -> the host its links use (first by position)
    default: int | None           # the DEFAULT_JURISDICTION town's id (None: unset or unknown)
    expires: float                # time.monotonic() after which the table is read again


def normalise_host(raw: str) -> str:
    """``Maengelmelder.Harsewinkel.de:443`` -> ``maengelmelder.harsewinkel.de`` (no port, no
    trailing dot, lower case); ``[::1]:8000`` -> ``[::1]``."""
    host = raw.strip().lower()
    if host.startswith("["):
        return host.partition("]")[0] + "]"
    return host.partition(":")[0].rstrip(".")


def _load() -> HostMap:
    from app.jurisdictions.models import Jurisdiction, JurisdictionHost

    active = Jurisdiction.retired_at.is_(None)
    rows = db.session.execute(select(JurisdictionHost.host, JurisdictionHost.jurisdiction_id).join(Jurisdiction)
                              .where(active).order_by(JurisdictionHost.position.desc(), JurisdictionHost.host.desc())
                              ).tuples().all()
    hosts = dict(rows)
    primary = {town_id: host for host, town_id in rows}  # the last written wins: position 0 (then a-z)
    slugs = dict(db.session.execute(select(Jurisdiction.slug, Jurisdiction.id).where(active)).tuples().all())
    default = current_app.config["DEFAULT_JURISDICTION"]
    return HostMap(hosts, slugs, primary, slugs.get(default) if default else None,
                   time.monotonic() + float(current_app.config["TOWN_HOSTS_CACHE_SECONDS"]))


def host_map() -> HostMap:
    """The process's host table, read again when older than ``TOWN_HOSTS_CACHE_SECONDS``."""
    extensions = current_app.extensions
    cached: HostMap | None = extensions.get("town_hosts")
    if cached is None or time.monotonic() >= cached.expires:
        cached = extensions["town_hosts"] = _load()
    return cached


def forget_hosts() -> None:
    """Read the host table again on the next request (after a town or host changed here)."""
    current_app.extensions.pop("town_hosts", None)


def town_id_for_host(host: str) -> int | None:
    """The id of the town served on ``host``: its own, else DEFAULT_JURISDICTION's, else None."""
    hosts = host_map()
    found = hosts.hosts.get(normalise_host(host))
    return hosts.default if found is None else found


def resolve_request_town() -> int | None:
    """The town of this request (memoised in ``g``); raises UnknownHost when there is none."""
    if "jurisdiction_id" not in g:
        g.jurisdiction_id = town_id_for_host(request.host)
    if g.jurisdiction_id is None:
        raise UnknownHost(_l("Unter dieser Adresse gibt es keinen Mängelmelder. Bitte prüfen Sie die Adresse "
                             "oder wenden Sie sich an Ihre Stadt- oder Gemeindeverwaltung."))
    return g.jurisdiction_id


def link_host(town_id: int) -> str | None:
    """The host a town's links go to (``app.urls``); None for a town without host names."""
    return host_map().primary.get(town_id)


def init_app(app: Flask) -> None:
    app.extensions["town_link_host"] = link_host

    def _forget_the_last_requests_town():
        # First of all before-request functions (the language choice runs earlier than the
        # features and asks for the town's languages): an app context pushed around several
        # requests shares one ``g``, and whatever asks for the town must find this request's host.
        g.pop("town", None)
        g.pop("jurisdiction_id", None)

    app.before_request_funcs.setdefault(None, []).insert(0, _forget_the_last_requests_town)

    @app.before_request
    def _town_of_request():
        # Always set afresh: an app context pushed around several requests (tests, a CLI
        # command calling views) shares one ``g``, and the town must never carry over.
        g.pop("town", None)
        g.jurisdiction_id = town_id_for_host(request.host)
        if request.endpoint not in HOSTLESS_ENDPOINTS:
            resolve_request_town()
