"""JSON map API under /api/v1: thin views over geo/ (parse, query, cache headers)."""
from __future__ import annotations

import hashlib
import json
import logging

from dataclasses import dataclass
from functools import partial

from flask import Blueprint, Response, current_app, g, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.db import db
from app.errors import DomainError, NotFound
from app.jurisdictions.models import Category, Department
from app.jurisdictions.hosts import host_map, resolve_request_town
from app.mapapi import params
from app.mapapi.replica import read_session
from app.reports.status import CLOSED_STATUSES, OPEN_STATUSES, PUBLIC_STATUSES, STATUSES
from app.urls import absolute_url
from app.validation import check_length
from geo import mapqueries
from geo.geocoding import reverse_geocode, search_addresses
from geo.mapcache import MapCache
from geo.nearby import open_reports_nearby

bp = Blueprint("mapapi", __name__, url_prefix="/api/v1")
log = logging.getLogger(__name__)

# How long browsers and proxies may reuse an answer without asking again. Map data is
# always revalidated (max-age 0): the ETag makes an unchanged view a cheap 304, and a
# new report shows at once. Addresses change rarely.
MAP_MAX_AGE = 0
GEOCODE_MAX_AGE = 3600


def _locale() -> str:
    return g.get("locale", "de")


@dataclass(frozen=True)
class Town:
    """What the map API needs of a town: its id (looked up once per process and slug)."""

    id: int


def _jurisdiction() -> Town:
    """The town of the request's host (``app/jurisdictions/hosts.py``, resolved before the view
    from the process's host table: no query here); a ``jurisdiction_id`` naming another town is
    NotFound, so town A's host never answers with town B's map."""
    town_id = resolve_request_town()
    slug = request.args.get("jurisdiction_id")
    if slug and host_map().slugs.get(slug) != town_id:
        raise NotFound(_l("Diese Stadt (jurisdiction_id) wird unter dieser Adresse nicht angeboten."),
                       code="unknown_jurisdiction")
    return Town(town_id)


def _category(jurisdiction: Town) -> Category | None:
    code = request.args.get("category", "").strip()
    if not code:
        return None
    category = read_session().scalar(select(Category).where(Category.jurisdiction_id == jurisdiction.id,
                                                            Category.code == code))
    if category is None:
        raise DomainError(_("Die Kategorie „%(code)s“ gibt es nicht.", code=code[:50]), "category",
                          code="unknown_category")
    return category


def _statuses() -> tuple[str, ...]:
    """``status=open|closed|<code>[,...]``; public statuses only. Default: every public status."""
    raw = request.args.get("status", "").strip()
    if not raw:
        return PUBLIC_STATUSES
    chosen: list[str] = []
    for part in raw.split(","):
        part = part.strip()
        if part == "open":
            chosen += [s for s in OPEN_STATUSES if s in PUBLIC_STATUSES]
        elif part == "closed":
            chosen += list(CLOSED_STATUSES)
        elif part in PUBLIC_STATUSES:
            chosen.append(part)
        else:
            raise DomainError(_("Den Status „%(status)s“ gibt es nicht (erlaubt: open, closed oder ein Statuscode).",
                                status=part[:40]), "status", code="unknown_status")
    return tuple(dict.fromkeys(chosen))


def _department(jurisdiction: Town) -> Department | None:
    code = request.args.get("department", "").strip()
    if not code:
        return None
    department = read_session().scalar(select(Department).where(Department.jurisdiction_id == jurisdiction.id,
                                                                Department.code == code))
    if department is None:
        raise DomainError(_("Die Stelle „%(code)s“ gibt es nicht.", code=code[:50]), "department",
                          code="unknown_department")
    return department


def _map_filter(jurisdiction: Town) -> mapqueries.MapFilter:
    category = _category(jurisdiction)
    department = _department(jurisdiction)
    return mapqueries.MapFilter(
        statuses=_statuses(),
        category_ids=(category.id,) if category else None,
        department_ids=(department.id,) if department else None,
        max_age_days=params.int_arg("max_age_days", 1, 36500),
        changed_within_days=params.int_arg("changed_within_days", 1, 36500),
    )


def _json(body: str | bytes, max_age: int, etag: str | None = None, mimetype: str = "application/json") -> Response:
    """A cacheable answer; 304 without a body when the client's ETag still matches."""
    response = Response(body, mimetype=mimetype)
    response.headers["Cache-Control"] = f"public, max-age={max_age}" if max_age else "public, no-cache"
    response.vary.add("Accept-Language")
    response.vary.add("Cookie")
    if etag:
        response.set_etag(etag, weak=True)
    else:
        response.add_etag()
    return response.make_conditional(request)


def _not_modified(etag: str | None, max_age: int) -> Response | None:
    """Answer 304 before running the query when the map has not changed since the client's copy
    (never without a tag: answers tagged by their body are only compared once made)."""
    if etag and request.if_none_match and request.if_none_match.contains_weak(etag):
        response = Response(status=304)
        response.set_etag(etag, weak=True)
        response.headers["Cache-Control"] = f"public, max-age={max_age}" if max_age else "public, no-cache"
        return response
    return None


def _map_cache() -> MapCache:
    return current_app.extensions["map_cache"]


def _view_etag(jurisdiction: Town, kind: str, filters: mapqueries.MapFilter, version: int | None = None) -> str | None:
    """The map version of the town plus every parameter and the language: unchanged data, same tag.

    None for filters relative to the clock (created or fixed in the last N days): their answer
    changes as reports age out while the map version stays, so only the body can tag it.
    """
    if filters.relative_to_now:
        return None
    if version is None:
        version = mapqueries.map_version(read_session(), jurisdiction.id)
    args = json.dumps(sorted(request.args.items(multi=True)), ensure_ascii=False)
    digest = hashlib.blake2b(f"{kind}|{args}|{_locale()}".encode(), digest_size=10).hexdigest()
    return f"{kind}-{jurisdiction.id}-{version}-{digest}"


def _report_url_prefix() -> str:
    # BASE_URL on the town's host + the report path: the same for every request of a town, built once.
    prefixes = current_app.extensions.setdefault("mapapi_report_url_prefix", {})
    town_id = resolve_request_town()
    prefix = prefixes.get(town_id)
    if prefix is None:
        prefix = prefixes[town_id] = absolute_url("public.report", reference="X")[:-1]
    return prefix


# --- geocoding ---------------------------------------------------------------------------------

@bp.get("/geocode")
def geocode():
    query = request.args.get("q", "").strip()
    if len(query) < 2:
        raise DomainError(_("Bitte geben Sie mindestens zwei Zeichen einer Adresse ein."), "q", code="missing")
    check_length(query, 200, _l("Die Suchanfrage"), "q")
    limit = params.int_arg("limit", 1, 20, default=5)
    results = search_addresses(read_session(), _jurisdiction().id, query, limit=limit)
    body = json.dumps({"results": [a.as_dict() for a in results]}, ensure_ascii=False)
    return _json(body, GEOCODE_MAX_AGE)


@bp.get("/reverse")
def reverse():
    lat, lon = params.lat_lon()
    distance = params.float_arg("max_distance", 1, 500, required=False, default=75.0)
    found = reverse_geocode(read_session(), _jurisdiction().id, lon, lat, max_distance_m=distance)
    result = None
    if found is not None:
        result = {**found.as_dict(), "distance_m": round(found.distance_m or 0.0, 1)}
    return _json(json.dumps({"result": result}, ensure_ascii=False), GEOCODE_MAX_AGE)


# --- nearby ------------------------------------------------------------------------------------

@bp.get("/reports/nearby")
def nearby():
    lat, lon = params.lat_lon()
    jurisdiction = _jurisdiction()
    category = _category(jurisdiction)
    radius = params.float_arg("radius", 1, 500, required=False, default=50.0)
    limit = params.int_arg("limit", 1, 50, default=10)
    session = read_session()
    found = open_reports_nearby(session, jurisdiction.id, lon, lat, radius_m=radius,
                                category_id=category.id if category else None, limit=limit)
    categories = {c.code: c for c in session.scalars(select(Category).where(Category.jurisdiction_id == jurisdiction.id))}
    prefix = _report_url_prefix()
    locale = _locale()
    reports = [{
        "reference": item.reference,
        "url": prefix + item.reference,
        "category": item.category_code,
        "category_label": categories[item.category_code].label(locale),
        "status": item.status,
        "status_label": STATUSES[item.status].label(locale),
        "distance_m": round(item.distance_m, 1),
    } for item in found]
    return _json(json.dumps({"reports": reports}, ensure_ascii=False), MAP_MAX_AGE)


# --- map data ----------------------------------------------------------------------------------

_STATUS_LABELS: dict[str, dict[str, str]] = {}


def _status_labels() -> dict[str, str]:
    """Status labels in the request's language; the same dict for every request in it (the
    map query keys its label cache by language)."""
    locale = _locale()
    labels = _STATUS_LABELS.get(locale)
    if labels is None:
        labels = _STATUS_LABELS[locale] = {code: s.label(locale) for code, s in STATUSES.items()}
    return labels


@bp.get("/reports.geojson")
def reports_geojson():
    jurisdiction = _jurisdiction()
    bbox = params.bbox_arg()
    limit = params.int_arg("limit", 1, mapqueries.MAX_FEATURES, default=mapqueries.MAX_FEATURES)
    filters = _map_filter(jurisdiction)
    cache = _map_cache()
    cacheable = cache.usable_for(filters)
    if request.if_none_match and not filters.relative_to_now:
        # A client with a copy: the map version decides whether it is still current (the one the
        # map cache answers from, if it answers this view; else one small query).
        version = cache.version(read_session(), jurisdiction.id) if cacheable else None
        cached = _not_modified(_view_etag(jurisdiction, "reports", filters, version), MAP_MAX_AGE)
        if cached is not None:
            return cached
    options = {"locale": _locale(), "url_prefix": _report_url_prefix(), "status_labels": _status_labels(),
               "limit": limit}
    answer = None
    if cacheable:
        try:
            answer = cache.reports_geojson(read_session(), jurisdiction.id, bbox, filters, **options)
        except DBAPIError:
            raise  # the database path would meet the same (app.errors: 503 if the connection died)
        except Exception:  # a fault of the cache must not cost the map: the database answers
            log.exception("map cache failed for bbox %s; answered from the database", bbox)
    if answer is None:
        answer = mapqueries.reports_geojson(read_session(), jurisdiction.id, bbox, filters, **options)
        if cacheable:
            cache.saw_version(jurisdiction.id, answer[0])
    version, body = answer
    return _json(body, MAP_MAX_AGE, etag=_view_etag(jurisdiction, "reports", filters, version),
                 mimetype="application/geo+json")


@bp.get("/clusters.geojson")
def clusters_geojson():
    jurisdiction = _jurisdiction()
    bbox = params.bbox_arg()
    zoom = params.int_arg("zoom", 0, 22, required=True)
    filters = _map_filter(jurisdiction)
    etag = _view_etag(jurisdiction, "clusters", filters)
    cached = _not_modified(etag, MAP_MAX_AGE)
    if cached is not None:
        return cached
    body = mapqueries.clusters_geojson(read_session(), jurisdiction.id, bbox, zoom, filters)
    return _json(body, MAP_MAX_AGE, etag=etag, mimetype="application/geo+json")


@bp.get("/tiles/<int:z>/<int:x>/<int:y>.mvt")
def tile(z: int, x: int, y: int):
    if not 0 <= z <= 22 or not (0 <= x < 2 ** z and 0 <= y < 2 ** z):
        raise DomainError(_("Diese Kachel gibt es nicht (z 0–22, x und y 0 bis 2^z − 1)."), "tile",
                          code="out_of_range")
    jurisdiction = _jurisdiction()
    filters = _map_filter(jurisdiction)
    etag = _view_etag(jurisdiction, f"tile-{z}-{x}-{y}", filters)
    cached = _not_modified(etag, MAP_MAX_AGE)
    if cached is not None:
        return cached
    body = mapqueries.tile_mvt(read_session(), jurisdiction.id, z, x, y, filters)
    return _json(body, MAP_MAX_AGE, etag=etag, mimetype="application/vnd.mapbox-vector-tile")


def init_app(app) -> None:
    from app.mapapi import replica

    replica.init_app(app)
    # One per process (gunicorn workers each build their app): answers from this process's memory.
    # Blocks are read in the background on the read pool, except where the map's reads are the
    # test's own transaction (replica.read_session), which another connection cannot see.
    background = None
    if not (app.testing and not app.config.get("DATABASE_REPLICA_URL")):
        with app.app_context():
            engine = db.engines["read"]
        background = partial(Session, bind=engine)
    app.extensions["map_cache"] = MapCache(max_features=int(app.config["MAP_CACHE_MAX_FEATURES"]),
                                           recheck_seconds=float(app.config["MAP_CACHE_RECHECK_SECONDS"]),
                                           background=background)
    app.register_blueprint(bp)
