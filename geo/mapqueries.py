"""Map queries: reports in a bounding box as GeoJSON, server-side clusters, vector tiles.

Clusters and zoomed-out tiles read ``map_cells`` (revision 0101): per town, level
(4–18), Web-Mercator cell, category and status the number of visible reports and
the sum of their coordinates, kept exact by statement triggers. A cell at level L
is the tile at zoom L, so a view at zoom Z is clustered with cells of level Z+2
(about 64 screen pixels) and a vector tile at zoom z with cells of level z+5
(32 × 32 per tile). Filters the cells cannot answer (department, age) fall back to
grouping the matching reports live, with the same cell grid.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from itertools import repeat

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.driver import fetch_tuples

MAX_FEATURES = 5000
HALF_WORLD = 20037508.342789244
WORLD = 2 * HALF_WORLD
MIN_LEVEL, MAX_LEVEL = 4, 18
# From this zoom on a vector tile carries single reports instead of clusters.
MVT_POINTS_FROM_ZOOM = 14
MVT_EXTENT = 4096


@dataclass(frozen=True)
class MapFilter:
    statuses: tuple[str, ...]
    category_ids: tuple[int, ...] | None = None
    department_ids: tuple[int, ...] | None = None
    max_age_days: int | None = None  # created in the last N days
    changed_within_days: int | None = None  # status set in the last N days ("recently fixed")

    @property
    def relative_to_now(self) -> bool:
        """The answer changes with the clock, not only with the map version."""
        return self.max_age_days is not None or self.changed_within_days is not None

    @property
    def cells_can_answer(self) -> bool:
        return self.department_ids is None and not self.relative_to_now

    def params(self) -> dict:
        return {"statuses": list(self.statuses), "cats": list(self.category_ids or []),
                "no_cats": self.category_ids is None, "depts": list(self.department_ids or []),
                "no_depts": self.department_ids is None,
                "age_days": self.max_age_days if self.max_age_days is not None else -1,
                "changed_days": self.changed_within_days if self.changed_within_days is not None else -1}


# Conditions on ``reports r`` shared by every live query (public view).
REPORT_FILTER = """
    r.jurisdiction_id = :jid AND NOT r.hidden AND r.status = ANY(:statuses)
    AND (:no_cats OR r.category_id = ANY(:cats))
    AND (:no_depts OR r.department_id = ANY(:depts))
    AND (:age_days < 0 OR r.created_at >= now() - make_interval(days => :age_days))
    AND (:changed_days < 0 OR r.status_changed_at >= now() - make_interval(days => :changed_days))
"""


def mercator(lon: float, lat: float) -> tuple[float, float]:
    lat = max(min(lat, 85.05112878), -85.05112878)
    x = lon * HALF_WORLD / 180.0
    y = math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) * HALF_WORLD / math.pi
    return x, y


def lonlat(x: float, y: float) -> tuple[float, float]:
    lon = x * 180.0 / HALF_WORLD
    lat = math.degrees(2 * math.atan(math.exp(y * math.pi / HALF_WORLD)) - math.pi / 2)
    return lon, lat


def cell_size(level: int) -> float:
    return WORLD / (1 << level)


def cell_range(bbox: tuple[float, float, float, float], level: int) -> tuple[int, int, int, int]:
    """Cells (cx0, cy0, cx1, cy1) of ``level`` that intersect the WGS 84 ``bbox``."""
    minx, miny = mercator(bbox[0], bbox[1])
    maxx, maxy = mercator(bbox[2], bbox[3])
    size = cell_size(level)
    limit = (1 << level) - 1
    clamp = lambda v: max(0, min(limit, v))  # noqa: E731
    return (clamp(math.floor((minx + HALF_WORLD) / size)), clamp(math.floor((HALF_WORLD - maxy) / size)),
            clamp(math.floor((maxx + HALF_WORLD) / size)), clamp(math.floor((HALF_WORLD - miny) / size)))


def map_version(session: Session, jurisdiction_id: int) -> int:
    """Changes so far to the town's map data (0 if none); part of every map ETag."""
    version = session.execute(text("SELECT version FROM map_versions WHERE jurisdiction_id = :jid"),
                              {"jid": jurisdiction_id}).scalar()
    return int(version or 0)


# The town's map stamp: its version and the time of that change in microseconds (one row, 0s
# if the town has none). A version number alone can come back after a database is reset, the
# time of the change does not: in-memory answers are keyed by both. As integers: a query that
# repeats them on every row costs the driver far less than a timestamp would.
MAP_STAMP_SQL = """
    SELECT coalesce(max(version), 0) AS version,
           coalesce(max((extract(epoch FROM changed_at) * 1000000)::bigint), 0) AS changed_us
    FROM map_versions WHERE jurisdiction_id = :jid
"""
_MAP_STAMP = text(MAP_STAMP_SQL)


def map_stamp(session: Session, jurisdiction_id: int) -> tuple[int, int]:
    """The town's map stamp (``MAP_STAMP_SQL``)."""
    version, changed_us = fetch_tuples(session, _MAP_STAMP, {"jid": jurisdiction_id})[0]
    return int(version), int(changed_us)


# --- reports in a bounding box -------------------------------------------------------------------

# ``&&`` compares single-precision boxes (up to ~0.4 m beyond the edge at 52° N); the map
# answer means the box as given, the same as geo.mapcache's answers from memory.
_IN_BBOX_EXACTLY = ("ST_X(r.location) BETWEEN :minlon AND :maxlon AND ST_Y(r.location) BETWEEN :minlat AND :maxlat")

# Each report's fixed part of its feature is stored (``reports.map_feature``, revision 0104,
# kept by a row trigger). The query returns only that and the few columns the request's
# language and configuration add to (URL, category, labels), and Python joins the pieces.
# The town's map version and its change time come in the same statement (one snapshot,
# one round trip); category codes and labels are kept in memory per map version, which
# every category change moves (revision 0105).
# bench_geo, against the raw selection of the same rows (coordinates, category code,
# status, time): building the FeatureCollection in SQL from the columns cost ~1.4x
# (to_json per field, string_agg), from the stored part ~1.2x (string_agg and
# concatenation in PostgreSQL cost ~0.9 ms more server time per 500 features than they
# save in Python); returning the category's code and names with every row ~0.9x; this ~0.5x.
_GEOJSON_ROWS_SQL = text(f"""
    SELECT v.version, v.changed_us, f.map_feature, f.reference, f.status, f.category_id
    FROM ({MAP_STAMP_SQL}) AS v
    LEFT JOIN LATERAL (
        SELECT r.map_feature, r.reference, r.status, r.category_id
        FROM reports r
        WHERE r.location && ST_MakeEnvelope(:minlon, :minlat, :maxlon, :maxlat, 4326)
          AND {_IN_BBOX_EXACTLY} AND {REPORT_FILTER}
        ORDER BY r.created_at DESC, r.id DESC
        LIMIT :limit
    ) AS f ON true
""")

_CATEGORIES_SQL = text("SELECT id, code, name, name_en FROM categories WHERE jurisdiction_id = :jid")

# References are made by the app (e.g. "HW-2026-00042"): plain text in JSON and URLs. The
# references of one answer are checked together; if one is not plain, every URL is JSON-quoted.
_PLAIN_REFERENCES = re.compile(r"[A-Za-z0-9._-]*\Z").match

# The same selection returned as plain rows: the strict baseline of the benchmark.
RAW_BBOX_SQL = text(f"""
    SELECT r.reference, ST_X(r.location), ST_Y(r.location), c.code, r.status, r.created_at
    FROM reports r JOIN categories c ON c.id = r.category_id
    WHERE r.location && ST_MakeEnvelope(:minlon, :minlat, :maxlon, :maxlat, 4326)
      AND {REPORT_FILTER}
    ORDER BY r.created_at DESC, r.id DESC
    LIMIT :limit
""")

# The same selection as a GeoJSON FeatureCollection written the plain way in SQL (what the
# geo issue measured as "a 500-report viewport as GeoJSON ... raw"): the benchmark's
# second baseline.
RAW_BBOX_GEOJSON_SQL = text(f"""
    SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object(
               'type', 'Feature', 'geometry', ST_AsGeoJSON(q.location)::json,
               'properties', json_build_object('reference', q.reference, 'status', q.status,
                                               'created_at', q.created_at, 'category', q.code))), '[]'))::text
    FROM (
        SELECT r.location, r.reference, r.status, r.created_at, c.code
        FROM reports r JOIN categories c ON c.id = r.category_id
        WHERE r.location && ST_MakeEnvelope(:minlon, :minlat, :maxlon, :maxlat, 4326)
          AND {REPORT_FILTER}
        ORDER BY r.created_at DESC, r.id DESC
        LIMIT :limit
    ) AS q
""")


def bbox_params(jurisdiction_id: int, bbox, filters: MapFilter, limit: int) -> dict:
    return {"jid": jurisdiction_id, "minlon": bbox[0], "minlat": bbox[1], "maxlon": bbox[2], "maxlat": bbox[3],
            "limit": max(1, min(int(limit), MAX_FEATURES)), **filters.params()}


class _Ends(dict):
    # A status without a label or a category the labels do not know (yet): still valid GeoJSON.
    def __missing__(self, _key) -> str:
        return '","category":null,"category_label":null,"status_label":null}}'


class _FeatureEnds:
    """Per town, map version and language: the end of each feature after its URL, by
    (category id, status) — category code and label, status label, closing braces.

    A handful of entries per process; a new map version replaces the town's entry.
    ``(version, time of that change)`` keys it: a version number alone can come back after
    a database is reset, the time of the change does not.
    """

    def __init__(self) -> None:
        self._entries: dict[tuple[int, str], tuple[tuple, dict]] = {}

    def get(self, session: Session, jurisdiction_id: int, stamp: tuple, locale: str,
            status_labels: dict[str, str]) -> dict[tuple[int, str], str]:
        key = (jurisdiction_id, locale)
        entry = self._entries.get(key)
        if entry is not None and entry[0] == stamp:
            return entry[1]
        english = locale == "en"
        status_end = {code: ',"status_label":' + json.dumps(label) + "}}" for code, label in status_labels.items()}
        ends = _Ends()
        for category_id, code, name, name_en in fetch_tuples(session, _CATEGORIES_SQL, {"jid": jurisdiction_id}):
            head = ('","category":' + json.dumps(code) + ',"category_label":'
                    + json.dumps(name_en if english and name_en else name))
            for status, end in status_end.items():
                ends[(category_id, status)] = head + end
        if len(self._entries) > 256:  # towns × languages; bounded for a district with many towns
            self._entries.clear()
        self._entries[key] = (stamp, ends)
        return ends


_feature_ends = _FeatureEnds()


def reports_geojson(session: Session, jurisdiction_id: int, bbox: tuple[float, float, float, float],
                    filters: MapFilter, *, locale: str, url_prefix: str, status_labels: dict[str, str],
                    limit: int = MAX_FEATURES) -> tuple[int, bytes]:
    """Visible reports in ``bbox`` (newest first, at most ``limit``) as a GeoJSON FeatureCollection
    (UTF-8), with the town's map version: ``(version, body)``.

    Properties: reference, status, created_at, url, category, category_label, status_label.
    ``status_labels`` must be the same for every call with the same ``locale``.
    """
    rows = fetch_tuples(session, _GEOJSON_ROWS_SQL, bbox_params(jurisdiction_id, bbox, filters, limit))
    version, changed_us = rows[0][0], rows[0][1]
    if rows[0][2] is None:  # no report in view: the one row only carries the version
        return int(version), EMPTY_FEATURE_COLLECTION
    ends = feature_ends(session, jurisdiction_id, (version, changed_us), locale, status_labels)
    _versions, _stamps, features, references, statuses, category_ids = zip(*rows)
    return int(version), feature_collection(feature_heads(features, references, url_prefix), statuses,
                                            category_ids, ends)


EMPTY_FEATURE_COLLECTION = b'{"type":"FeatureCollection","features":[]}'


def feature_ends(session: Session, jurisdiction_id: int, stamp: tuple[int, int], locale: str,
                 status_labels: dict[str, str]) -> dict[tuple[int, str], str]:
    """What follows each feature's URL, by (category id, status), for the town's map ``stamp``
    (version, time of that change)."""
    return _feature_ends.get(session, jurisdiction_id, stamp, locale, status_labels)


def feature_head(feature: str, reference: str, url_prefix: str) -> str:
    """One stored feature with its URL (what ``feature_collection`` puts before the labels)."""
    if _PLAIN_REFERENCES(reference):
        return feature + ',"url":' + json.dumps(url_prefix)[:-1] + reference
    return feature + ',"url":' + json.dumps(url_prefix + reference)[:-1]


def feature_heads(features, references, url_prefix: str):
    """``feature_head`` of each, by C loops (zip, map, str.join): a Python loop over 500 rows
    cost more than the rest of the request's own work (bench_geo, py-spy)."""
    if _PLAIN_REFERENCES("".join(references)):  # one scan: every reference the app makes
        return map("".join, zip(features, repeat(',"url":' + json.dumps(url_prefix)[:-1]), references))
    return map(feature_head, features, references, repeat(url_prefix))


def feature_collection(heads, statuses, category_ids, ends: dict[tuple[int, str], str]) -> bytes:
    """The FeatureCollection (UTF-8) from the features up to their URLs and what completes them."""
    return ('{"type":"FeatureCollection","features":['
            + ",".join(map(str.__add__, heads, map(ends.__getitem__, zip(category_ids, statuses))))
            + "]}").encode()


# --- clusters ------------------------------------------------------------------------------------

_CELLS_SQL = text("""
    SELECT cx, cy, sum(n)::int AS n, sum(sum_x) AS sx, sum(sum_y) AS sy
    FROM map_cells
    WHERE jurisdiction_id = :jid AND level = :level AND cx BETWEEN :cx0 AND :cx1 AND cy BETWEEN :cy0 AND :cy1
      AND status = ANY(:statuses) AND (:no_cats OR category_id = ANY(:cats))
    GROUP BY cx, cy
    HAVING sum(n) > 0
""")

_LIVE_CELLS_SQL = text(f"""
    SELECT cx, cy, count(*)::int AS n, sum(mx) AS sx, sum(my) AS sy
    FROM (
        SELECT ST_X(m) AS mx, ST_Y(m) AS my,
               floor((ST_X(m) + {HALF_WORLD}) / :size)::int AS cx,
               floor(({HALF_WORLD} - ST_Y(m)) / :size)::int AS cy
        FROM (SELECT ST_Transform(r.location, 3857) AS m FROM reports r
              WHERE r.location && ST_MakeEnvelope(:minlon, :minlat, :maxlon, :maxlat, 4326) AND {REPORT_FILTER}) AS q
    ) AS p
    GROUP BY cx, cy
""")

# The single report of each one-report cell, for the cluster's ``reference`` and ``status``
# (the map colours a single pin by it at every zoom); each cell is looked up by its own small
# envelope, so the cost follows the number of singles.
_SINGLES_SQL = text(f"""
    SELECT (c->>0)::int AS cx, (c->>1)::int AS cy, s.reference, s.status
    FROM jsonb_array_elements(CAST(:cells AS jsonb)) AS c
    CROSS JOIN LATERAL (
        SELECT r.reference, r.status FROM reports r
        WHERE r.location && ST_MakeEnvelope((c->>2)::float8, (c->>3)::float8, (c->>4)::float8, (c->>5)::float8, 4326)
          AND {REPORT_FILTER}
          AND floor((ST_X(ST_Transform(r.location, 3857)) + {HALF_WORLD}) / :size)::int = (c->>0)::int
          AND floor(({HALF_WORLD} - ST_Y(ST_Transform(r.location, 3857))) / :size)::int = (c->>1)::int
        ORDER BY r.id LIMIT 1
    ) AS s
""")


def cell_bounds(cx: int, cy: int, size: float) -> tuple[float, float, float, float]:
    """WGS 84 (minlon, minlat, maxlon, maxlat) of a cell, padded by a hair for float safety."""
    x0, y1 = cx * size - HALF_WORLD, HALF_WORLD - cy * size
    minlon, minlat = lonlat(x0, y1 - size)
    maxlon, maxlat = lonlat(x0 + size, y1)
    pad = 1e-9
    return minlon - pad, minlat - pad, maxlon + pad, maxlat + pad


def cluster_level(zoom: int) -> int | None:
    """The cell level for clusters at map zoom ``zoom`` (None: past the precomputed levels)."""
    level = max(MIN_LEVEL, zoom + 2)
    return level if level <= MAX_LEVEL else None


def clusters(session: Session, jurisdiction_id: int, bbox: tuple[float, float, float, float], zoom: int,
             filters: MapFilter) -> list[dict]:
    """Clusters of visible reports for a map view: [{lon, lat, count, reference?, status?}].

    A cluster is a grid cell of about 64 screen pixels at ``zoom``, drawn at the
    centroid of its reports; a cluster of one carries that report's reference and status.
    """
    level = cluster_level(zoom)
    live_level = level if level is not None else min(zoom + 2, 30)
    size = cell_size(live_level)
    cx0, cy0, cx1, cy1 = cell_range(bbox, live_level)
    params = {**bbox_params(jurisdiction_id, bbox, filters, 1), "size": size}
    if level is not None and filters.cells_can_answer:
        rows = session.execute(_CELLS_SQL, {**params, "level": level, "cx0": cx0, "cy0": cy0, "cx1": cx1,
                                            "cy1": cy1}).all()
    else:
        rows = session.execute(_LIVE_CELLS_SQL, params).all()
    singles = [[r.cx, r.cy, *cell_bounds(r.cx, r.cy, size)] for r in rows if r.n == 1]
    references = {}
    if singles:
        references = {(r.cx, r.cy): (r.reference, r.status)
                      for r in session.execute(_SINGLES_SQL, {**params, "cells": json.dumps(singles)})}
    result = []
    for row in sorted(rows, key=lambda r: (r.cy, r.cx)):
        lon, lat = lonlat(row.sx / row.n, row.sy / row.n)
        item = {"lon": round(lon, 6), "lat": round(lat, 6), "count": row.n}
        if row.n == 1 and (row.cx, row.cy) in references:
            item["reference"], item["status"] = references[(row.cx, row.cy)]
        result.append(item)
    return result


def clusters_geojson(session: Session, jurisdiction_id: int, bbox, zoom: int, filters: MapFilter) -> str:
    features = []
    for item in clusters(session, jurisdiction_id, bbox, zoom, filters):
        props = {"count": item["count"]}
        if "reference" in item:
            props["reference"] = item["reference"]
            props["status"] = item["status"]
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [item["lon"], item["lat"]]},
                         "properties": props})
    return json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":"))


# Naive baseline for the benchmark: group every matching report of the view live.
RAW_CLUSTER_SQL = _LIVE_CELLS_SQL


# --- vector tiles ---------------------------------------------------------------------------------

_MVT_POINTS_SQL = text(f"""
    WITH b AS (SELECT ST_TileEnvelope(:z, :x, :y) AS env)
    SELECT ST_AsMVT(t, 'reports', {MVT_EXTENT}, 'geom') FROM (
        SELECT ST_AsMVTGeom(ST_Transform(r.location, 3857), b.env, {MVT_EXTENT}, 64, true) AS geom,
               r.reference, c.code AS category, r.status
        FROM reports r JOIN categories c ON c.id = r.category_id, b
        WHERE r.location && ST_Transform(ST_TileEnvelope(:z, :x, :y, margin => 64.0 / {MVT_EXTENT}), 4326)
          AND {REPORT_FILTER}
    ) AS t
""")

_MVT_CELLS_SQL = text(f"""
    WITH b AS (SELECT ST_TileEnvelope(:z, :x, :y) AS env)
    SELECT ST_AsMVT(t, 'clusters', {MVT_EXTENT}, 'geom') FROM (
        SELECT ST_AsMVTGeom(ST_SetSRID(ST_MakePoint(sum(sum_x) / sum(n), sum(sum_y) / sum(n)), 3857), b.env,
                            {MVT_EXTENT}, 64, true) AS geom,
               sum(n)::int AS count
        FROM map_cells, b
        WHERE jurisdiction_id = :jid AND level = :level AND cx BETWEEN :cx0 AND :cx1 AND cy BETWEEN :cy0 AND :cy1
          AND status = ANY(:statuses) AND (:no_cats OR category_id = ANY(:cats))
        GROUP BY cx, cy, b.env
        HAVING sum(n) > 0
    ) AS t
""")

_MVT_LIVE_CELLS_SQL = text(f"""
    WITH b AS (SELECT ST_TileEnvelope(:z, :x, :y) AS env)
    SELECT ST_AsMVT(t, 'clusters', {MVT_EXTENT}, 'geom') FROM (
        SELECT ST_AsMVTGeom(ST_SetSRID(ST_MakePoint(avg(ST_X(p.m)), avg(ST_Y(p.m))), 3857), b.env,
                            {MVT_EXTENT}, 64, true) AS geom, count(*)::int AS count
        FROM (SELECT ST_Transform(r.location, 3857) AS m FROM reports r
              WHERE r.location && ST_Transform(ST_TileEnvelope(:z, :x, :y), 4326) AND {REPORT_FILTER}) AS p, b
        GROUP BY floor(ST_X(p.m) / :size), floor(ST_Y(p.m) / :size), b.env
    ) AS t
""")


def tile_mvt(session: Session, jurisdiction_id: int, z: int, x: int, y: int, filters: MapFilter) -> bytes:
    """A Mapbox Vector Tile: layer ``reports`` (reference, category, status) from zoom 14,
    layer ``clusters`` (count) below, from the precomputed cells where the filters allow."""
    params = {**filters.params(), "jid": jurisdiction_id, "z": z, "x": x, "y": y}
    if z >= MVT_POINTS_FROM_ZOOM:
        data = session.execute(_MVT_POINTS_SQL, params).scalar()
    else:
        level = min(z + 5, MAX_LEVEL)
        if filters.cells_can_answer:
            span = 1 << (level - z)
            data = session.execute(_MVT_CELLS_SQL, {**params, "level": level, "cx0": x * span,
                                                    "cx1": (x + 1) * span - 1, "cy0": y * span,
                                                    "cy1": (y + 1) * span - 1}).scalar()
        else:
            data = session.execute(_MVT_LIVE_CELLS_SQL, {**params, "size": cell_size(level)}).scalar()
    return bytes(data or b"")


# Naive baseline for the benchmark: the points layer at any zoom.
RAW_MVT_POINTS_SQL = _MVT_POINTS_SQL
