"""Benchmark the PostGIS layer against raw SQL on 10,000 areas and 1,000,000 reports.

Usage::

    python bench/bench_geo.py [--quick] [--markdown FILE] [--admin-url URL] [--only PART ...]
    python bench/bench_geo.py --towns both [--markdown FILE]    # one town vs 50 towns (issue 21)

Needs the scale database (``bench/scale_data.py``; built on first use, several
minutes). Every figure is a ratio against raw SQL over psycopg measured in the same
run, interleaved call by call so that a busy machine slows both alike:

1. routing inside a submission: ``geo.routing.route_point`` (SQLAlchemy session,
   precedence, explanation) vs one raw point-in-polygon lookup; target ≤ 2×;
2. re-routing every report: ``geo.rerouting.plan_rerouting`` over all 1M reports vs
   the raw polygon-outer join; target ≥ 80,000 reports/s; plus applying a rule
   change that moves ~10 % of them (in a transaction that is rolled back, so the
   shared database stays as it was);
3. ``GET /api/v1/reports.geojson`` for ~500-report viewports in the dense city (Flask
   test client, full request) vs the raw SQL for the same viewport as GeoJSON
   (json_build_object + json_agg, what the issue measured at ~6-8 ms); target p95 ≤ 1.5×
   and < 20 ms. Also shown: the ratio against the same selection as plain rows (no
   GeoJSON at all), a stricter yardstick;
4. ``GET /api/v1/clusters.geojson`` of the whole city (≈ 400,000 open reports) vs
   the naive live grid grouping; target < 50 ms and ≥ 10× faster;
5. ``GET /api/v1/tiles/z/x/y.mvt`` over the city at z14 and z10 vs a raw
   ST_AsMVT of the points; targets p95 < 20 ms (z14) and < 100 ms (z10).
6. bulk UPDATEs of 5,000 and 50,000 reports (department only, status, location) vs the
   same UPDATE with the map_cells triggers disabled, each in a rolled-back transaction;
   target ≤ 1.5× for the department-only ones, which leave the cells as they are.

With ``--towns both`` each part runs on the one-town data and then on the 50-town data
(``mm_bench_scale50``: the benchmarked town as one of 50 sharing the 1M reports; requests
on its host name, no DEFAULT_JURISDICTION; routing points drawn inside its boundary), and
the section ``bench_geo_towns`` shows each ours ÷ raw ratio for both and their quotient.
Part 6 is left out there unless named with ``--only`` (it measures the triggers, not the town).

Exit status 1 when a target is missed. ``--markdown FILE`` replaces the part of FILE
between ``<!-- bench_geo:start -->`` and ``<!-- bench_geo:end -->``.
"""
from __future__ import annotations

import argparse
import math
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402

from app.config import READ_POOL_OPTIONS  # noqa: E402
from bench.scale_data import (CITY_BBOX, GERMANY_BBOX, SLUG, TOWNS, _plain, ensure_scale_database,  # noqa: E402
                               scale_host, scale_jurisdiction_id)

START_MARKER = "<!-- bench_geo:start -->"
END_MARKER = "<!-- bench_geo:end -->"
OPEN = ("eingegangen", "in_pruefung", "in_bearbeitung")
PUBLIC = ("eingegangen", "in_pruefung", "in_bearbeitung", "erledigt", "nicht_zustaendig", "abgelehnt", "duplikat")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(math.ceil(q * len(ordered))) - 1)]


def timed(func) -> float:
    started = time.perf_counter()
    func()
    return (time.perf_counter() - started) * 1000.0


class Bench:
    def __init__(self, url: str, quick: bool):
        self.url = url
        self.quick = quick
        self.jid = scale_jurisdiction_id(url)
        # Several towns: requests name the benchmarked town by its host, as a browser would, and
        # no DEFAULT_JURISDICTION stands behind them. One town: the default town serves any host.
        self.host = scale_host(url)
        self.base_url = f"http://{self.host or 'localhost'}"
        self.raw = psycopg.connect(_plain(url), autocommit=True)
        # The map queries' baselines on a connection planned as the app's read pool plans its
        # map queries (every execution for its own town; app/config.py): on psycopg's defaults
        # the prepared baseline fell back to PostgreSQL's generic plan, ~8x slower for the town
        # of the 50-town data, and "ours ÷ raw" compared two plans rather than two ways of work.
        self.raw_map = psycopg.connect(_plain(url), autocommit=True, options=READ_POOL_OPTIONS)
        self.rows: list[tuple[str, str, str, str, bool]] = []  # what, ours, raw, ratio/target text, met
        self.ratios: list[float | None] = []  # ours ÷ raw per row, where the row has one
        self.rng = random.Random(2026)

    def get(self, client, path: str, **kwargs):
        """A GET of the test client on the benchmarked town's host."""
        return client.get(path, base_url=self.base_url, **kwargs)

    def territory_points(self, n: int) -> list[tuple[float, float]]:
        """``n`` seeded random points inside the benchmarked town (the whole box with one town)."""
        if self.host is None:
            minx, miny, maxx, maxy = GERMANY_BBOX
            return [(self.rng.uniform(minx + 0.01, maxx - 0.01), self.rng.uniform(miny + 0.01, maxy - 0.01))
                    for _ in range(n)]
        minx, miny, maxx, maxy = self.raw.execute(
            "SELECT ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) FROM areas "
            "WHERE jurisdiction_id = %s AND kind = 'boundary'", (self.jid,)).fetchone()
        points: list[tuple[float, float]] = []
        while len(points) < n:
            candidates = [(self.rng.uniform(minx, maxx), self.rng.uniform(miny, maxy)) for _ in range(n)]
            inside = self.raw.execute(
                "SELECT array_agg(ST_Covers(a.geom, ST_SetSRID(ST_MakePoint(x, y), 4326)) ORDER BY i) "
                "FROM unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS p(x, y, i), areas a "
                "WHERE a.jurisdiction_id = %s AND a.kind = 'boundary'",
                ([c[0] for c in candidates], [c[1] for c in candidates], self.jid)).fetchone()[0]
            points += [c for c, ok in zip(candidates, inside) if ok]
        return points[:n]

    def app(self, overrides: dict | None = None):
        from app import create_app

        key = repr(sorted((overrides or {}).items()))
        if not hasattr(self, "_apps"):
            self._apps = {}
        if key not in self._apps:
            self._apps[key] = create_app({
                "SQLALCHEMY_DATABASE_URI": self.url, "DATABASE_URL": self.url,
                "DEFAULT_JURISDICTION": "" if self.host else SLUG,
                "LOG_LEVEL": "WARNING", "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False, **(overrides or {})})
            # As a preloading gunicorn master would: the app's import-time objects move out of
            # the collector's reach, so a full collection does not walk them during a request.
            import gc

            gc.collect()
            gc.freeze()
        return self._apps[key]

    def record(self, what: str, ours: str, raw: str, verdict: str, met: bool, ratio: float | None = None) -> None:
        """One result; ``ratio`` is ours ÷ raw as a time (lower is better), for the towns comparison."""
        self.rows.append((what, ours, raw, verdict, met))
        self.ratios.append(ratio)
        print(f"{what}: ours {ours}, raw {raw} -> {verdict}", flush=True)

    # 1 --------------------------------------------------------------------------------------
    def routing(self) -> None:
        from sqlalchemy import create_engine
        from sqlalchemy.orm import Session

        from geo.routing import route_point

        n = 300 if self.quick else 2000
        points = self.territory_points(n)
        category = self.raw.execute("SELECT id FROM categories WHERE jurisdiction_id = %s AND code = 'spielplatz'",
                                    (self.jid,)).fetchone()[0]
        route = lambda lon, lat: route_point(session, self.jid, category, lon, lat,  # noqa: E731
                                             category_name="Spielplatz")  # as a submission, which has it
        engine = create_engine(self.url)
        ours, raw, empty = [], [], []
        lookup = ("SELECT id FROM areas WHERE jurisdiction_id = %s "
                  "AND ST_Covers(geom, ST_SetSRID(ST_MakePoint(%s, %s), 4326))")
        with Session(engine) as session:
            route(*points[0])  # warm the pool and caches
            self.raw.execute(lookup, (self.jid, *points[0])).fetchall()
            for lon, lat in points:
                raw.append(timed(lambda: self.raw.execute(lookup, (self.jid, lon, lat)).fetchall()))
                ours.append(timed(lambda: route(lon, lat)))
                empty.append(timed(lambda: self.raw.execute("SELECT 1").fetchall()))
            session.rollback()
        engine.dispose()
        ratio = statistics.median(ours) / statistics.median(raw)
        self.record(f"routing in a submission (median of {n} random points)",
                    f"{statistics.median(ours):.3f} ms", f"{statistics.median(raw):.3f} ms "
                    f"(SELECT 1: {statistics.median(empty):.3f} ms)", f"{ratio:.2f}× raw (target ≤ 2×)", ratio <= 2.0,
                    ratio=ratio)

    # 2 --------------------------------------------------------------------------------------
    def rerouting(self) -> None:
        from sqlalchemy import create_engine, text
        from sqlalchemy.orm import Session

        from geo.rerouting import apply_plan, plan_rerouting

        total = self.raw.execute("SELECT count(*) FROM reports WHERE jurisdiction_id = %s", (self.jid,)).fetchone()[0]
        started = time.perf_counter()
        joined = self.raw.execute(
            "SELECT count(*) FROM areas a JOIN reports r ON ST_Covers(a.geom, r.location) "
            "WHERE a.jurisdiction_id = %s AND r.jurisdiction_id = %s", (self.jid, self.jid)).fetchone()[0]
        raw_s = time.perf_counter() - started
        engine = create_engine(self.url)
        with Session(engine) as session:
            session.execute(text("SET LOCAL work_mem = '128MB'"))
            started = time.perf_counter()
            plan = plan_rerouting(session, self.jid, PUBLIC + ("unbestaetigt",))
            ours_s = time.perf_counter() - started
            session.rollback()
        rate, raw_rate = total / ours_s, joined / raw_s
        self.record(f"re-routing all {total:,} reports (plan: best rule per report)",
                    f"{ours_s:.1f} s = {rate:,.0f} reports/s", f"{raw_s:.1f} s = {raw_rate:,.0f} reports/s "
                    "(polygon-outer join, count only)", f"{rate / raw_rate:.2f}× raw rate (target ≥ 80,000/s)",
                    rate >= 80_000, ratio=ours_s / (total * raw_s / joined))
        assert plan.outside + plan.no_rule < total
        # A rule change that moves about a tenth of the reports: planned and applied in one
        # transaction, then rolled back (the scale database is shared).
        with Session(engine) as session:
            session.execute(text("SET LOCAL work_mem = '128MB'"))
            session.execute(text(
                "UPDATE routing_rules SET department_id = (SELECT id FROM departments WHERE jurisdiction_id = :j "
                "AND code = 'dept-099') WHERE jurisdiction_id = :j AND area_id IS NOT NULL AND category_id IS NULL "
                "AND area_id % 10 = 3"), {"j": self.jid})
            started = time.perf_counter()
            plan = plan_rerouting(session, self.jid, OPEN)
            planned_s = time.perf_counter() - started
            updated = apply_plan(session)
            applied_s = time.perf_counter() - started
            session.rollback()
        engine.dispose()
        considered = plan.considered
        self.record(f"rule change moving {plan.moved:,} of {considered:,} open reports (plan + apply, rolled back)",
                    f"{applied_s:.1f} s = {considered / applied_s:,.0f} reports/s "
                    f"(plan {planned_s:.1f} s, {updated:,} rows written)", "–", "for orientation", True)

    # 3 --------------------------------------------------------------------------------------
    def _viewport(self, target: int = 500) -> tuple[float, float, float, float]:
        # City density is uniform: size a box to hold about ``target`` public reports.
        if not hasattr(self, "_city_count"):  # counted once: ~0.5 s over the city's 400,000 reports
            self._city_count = self.raw.execute(
                "SELECT count(*) FROM reports WHERE jurisdiction_id = %s AND NOT hidden AND location && "
                "ST_MakeEnvelope(%s, %s, %s, %s, 4326)", (self.jid, *CITY_BBOX)).fetchone()[0]
        count = self._city_count
        cw, ch = CITY_BBOX[2] - CITY_BBOX[0], CITY_BBOX[3] - CITY_BBOX[1]
        scale = math.sqrt(target / count)
        w, h = cw * scale, ch * scale
        x = self.rng.uniform(CITY_BBOX[0], CITY_BBOX[2] - w)
        y = self.rng.uniform(CITY_BBOX[1], CITY_BBOX[3] - h)
        return (x, y, x + w, y + h)

    def geojson(self) -> None:
        from geo.mapqueries import RAW_BBOX_GEOJSON_SQL, RAW_BBOX_SQL, MapFilter, bbox_params

        n = 60 if self.quick else 300
        # The endpoint's database path (every view before this process holds its blocks, and
        # with MAP_CACHE_MAX_FEATURES=0), then the same views from memory (geo/mapcache.py).
        app = self.app({"MAP_CACHE_MAX_FEATURES": 0})
        client = app.test_client()
        raw_rows_sql, raw_geojson_sql = RAW_BBOX_SQL.text, RAW_BBOX_GEOJSON_SQL.text
        for name in bbox_params(self.jid, (0.0, 0.0, 1.0, 1.0), MapFilter(statuses=PUBLIC), 1):
            raw_rows_sql = raw_rows_sql.replace(f":{name}", f"%({name})s")
            raw_geojson_sql = raw_geojson_sql.replace(f":{name}", f"%({name})s")
        ours, raw, raw_geojson, sizes, queries = [], [], [], [], []
        for i in range(n + 5):
            bbox = self._viewport()
            params = bbox_params(self.jid, bbox, MapFilter(statuses=PUBLIC), 5000)
            query = "bbox=" + ",".join(f"{v:.6f}" for v in bbox) + f"&_={i}"
            # Each new view is read first by one of the raw queries, in turn, so that neither
            # baseline always pays for the pages the other has just brought into memory.
            first, second = (raw_rows_sql, raw_geojson_sql) if i % 2 else (raw_geojson_sql, raw_rows_sql)
            first_ms = timed(lambda: self.raw_map.execute(first, params).fetchall())
            second_ms = timed(lambda: self.raw_map.execute(second, params).fetchall())
            rows_ms, geojson_ms = (first_ms, second_ms) if i % 2 else (second_ms, first_ms)
            holder = {}
            ours_ms = timed(lambda: holder.setdefault("r", self.get(client, f"/api/v1/reports.geojson?{query}")))
            response = holder["r"]
            assert response.status_code == 200, response.get_data(as_text=True)[:300]
            if i >= 5:  # warm-up
                raw.append(rows_ms)
                raw_geojson.append(geojson_ms)
                ours.append(ours_ms)
                sizes.append(len(response.get_json()["features"]))
                queries.append((query, params, response.data))
        etag = response.headers["ETag"]
        not_modified = [timed(lambda: self.get(client, f"/api/v1/reports.geojson?{query}", headers={"If-None-Match": etag}))
                        for _ in range(50)]
        ratio = pct(ours, 0.95) / pct(raw_geojson, 0.95)
        strict = pct(ours, 0.95) / pct(raw, 0.95)
        self.record(f"bbox GeoJSON endpoint, database path, {statistics.median(sizes):.0f} reports per viewport "
                    f"(p95 of {n})",
                    f"{pct(ours, 0.95):.1f} ms (median {statistics.median(ours):.1f}; 304: "
                    f"{statistics.median(not_modified):.2f} ms)",
                    f"{pct(raw_geojson, 0.95):.1f} ms as GeoJSON (json_agg; median "
                    f"{statistics.median(raw_geojson):.1f}); {pct(raw, 0.95):.1f} ms as plain rows",
                    f"{ratio:.2f}× the raw GeoJSON query (target ≤ 1.5× and < 20 ms); {strict:.2f}× plain rows",
                    ratio <= 1.5 and pct(ours, 0.95) < 20, ratio=ratio)

        # The same views once this process holds the city's blocks (the default configuration;
        # a view whose blocks are not held yet is answered by the database path above).
        cached_app = self.app()
        cache = cached_app.extensions["map_cache"]
        cached = cached_app.test_client()
        for query, _params, _body in queries:  # the first pass schedules the blocks
            self.get(cached, f"/api/v1/reports.geojson?{query}")
        cache.wait_for_loader(timeout=300)
        memory, raw_again = [], []
        for query, params, body in queries:
            raw_again.append(timed(lambda: self.raw_map.execute(raw_rows_sql, params).fetchall()))
            holder = {}
            memory.append(timed(lambda: holder.setdefault("r", self.get(cached, f"/api/v1/reports.geojson?{query}"))))
            assert holder["r"].data == body, "the answer from memory differs from the database's"
        self.record(f"bbox GeoJSON endpoint, from memory (same {n} views, blocks held: {cache.features:,} reports)",
                    f"{pct(memory, 0.95):.1f} ms (median {statistics.median(memory):.1f})",
                    f"{pct(raw_again, 0.95):.1f} ms as plain rows",
                    f"{pct(memory, 0.95) / pct(raw_again, 0.95):.2f}× plain rows; same bytes as the database path",
                    True, ratio=pct(memory, 0.95) / pct(raw_again, 0.95))

    # 4 --------------------------------------------------------------------------------------
    def clusters(self) -> None:
        from geo.mapqueries import RAW_CLUSTER_SQL, MapFilter, bbox_params, cell_size

        n = 10 if self.quick else 30
        client = self.app().test_client()
        open_count = self.raw.execute(
            "SELECT count(*) FROM reports WHERE jurisdiction_id = %s AND NOT hidden AND status = ANY(%s) AND "
            "location && ST_MakeEnvelope(%s, %s, %s, %s, 4326)", (self.jid, list(OPEN), *CITY_BBOX)).fetchone()[0]
        zoom = 11  # the whole city on a phone-to-desktop screen
        params = {**bbox_params(self.jid, CITY_BBOX, MapFilter(statuses=OPEN), 1), "size": cell_size(zoom + 2)}
        raw_sql = RAW_CLUSTER_SQL.text
        for name in sorted(params, key=len, reverse=True):
            raw_sql = raw_sql.replace(f":{name}", f"%({name})s")
        query = "bbox=" + ",".join(str(v) for v in CITY_BBOX) + f"&zoom={zoom}&status=open"
        ours, raw = [], []
        for i in range(n + 2):
            raw_ms = timed(lambda: self.raw_map.execute(raw_sql, params).fetchall())
            ours_ms = timed(lambda: self.get(client, f"/api/v1/clusters.geojson?{query}&_={i}"))
            if i >= 2:
                raw.append(raw_ms)
                ours.append(ours_ms)
        body = self.get(client, f"/api/v1/clusters.geojson?{query}").get_json()
        counted = sum(f["properties"]["count"] for f in body["features"])
        # Cells on the edge of the view also hold their reports just outside it.
        assert open_count <= counted <= open_count * 1.01, (counted, open_count)
        ours_p, raw_p = pct(ours, 0.95), statistics.median(raw)
        self.record(f"cluster view of the city, {open_count:,} open reports, zoom {zoom} "
                    f"({len(body['features'])} clusters; p95 of {n})",
                    f"{ours_p:.1f} ms", f"{raw_p:.0f} ms (naive live grouping, median)",
                    f"{raw_p / ours_p:.0f}× faster (target < 50 ms and ≥ 10×)", ours_p < 50 and raw_p / ours_p >= 10,
                    ratio=ours_p / raw_p)

    # 5 --------------------------------------------------------------------------------------
    def tiles(self) -> None:
        from geo.mapqueries import RAW_MVT_POINTS_SQL, MapFilter

        client = self.app().test_client()
        raw_sql = RAW_MVT_POINTS_SQL.text
        params_base = MapFilter(statuses=PUBLIC).params()
        for name in sorted(list(params_base) + ["jid", "z", "x", "y"], key=len, reverse=True):
            raw_sql = raw_sql.replace(f":{name}", f"%({name})s")
        for z, target, n in ((14, 20.0, 40 if self.quick else 200), (10, 100.0, 6 if self.quick else 20)):
            ours, raw, sizes = [], [], []
            for i in range(n + 2):
                lon = self.rng.uniform(CITY_BBOX[0] + 0.02, CITY_BBOX[2] - 0.02)
                lat = self.rng.uniform(CITY_BBOX[1] + 0.02, CITY_BBOX[3] - 0.02)
                tiles = 2 ** z
                x = int((lon + 180) / 360 * tiles)
                y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * tiles)
                params = {**params_base, "jid": self.jid, "z": z, "x": x, "y": y}
                raw_ms = timed(lambda: self.raw_map.execute(raw_sql, params).fetchall())
                holder = {}
                ours_ms = timed(lambda: holder.setdefault("r", self.get(client, f"/api/v1/tiles/{z}/{x}/{y}.mvt?_={i}")))
                if i >= 2:
                    raw.append(raw_ms)
                    ours.append(ours_ms)
                    sizes.append(len(holder["r"].data))
            layer = "single reports" if z >= 14 else "precomputed clusters"
            self.record(f"MVT tile z{z} over the city ({layer}, {statistics.median(sizes) / 1024:.0f} KiB; p95 of {n})",
                        f"{pct(ours, 0.95):.1f} ms", f"{pct(raw, 0.95):.1f} ms (ST_AsMVT of every point)",
                        f"{pct(ours, 0.95) / pct(raw, 0.95):.2f}× raw (target p95 < {target:.0f} ms)",
                        pct(ours, 0.95) < target, ratio=pct(ours, 0.95) / pct(raw, 0.95))

    # 6 --------------------------------------------------------------------------------------
    def cells(self) -> None:
        """Bulk UPDATEs of reports against the same UPDATE with the map_cells triggers disabled.

        Each run is one transaction on a fresh connection, rolled back (the scale database is
        shared). Before the timed UPDATE the connection changes one report the same way, as a
        pooled connection in production has: PL/pgSQL keeps a trigger statement's plan for the
        session, and a plan made for a one-row transition table is what a bulk UPDATE then
        runs with (revision 0106). Disabling a trigger takes an exclusive lock on reports for
        the run's few seconds. A run longer than a minute is cancelled and shown as such.
        """
        import importlib.util

        timeout_s = 60
        reps = 1 if self.quick else 3
        ids_all = [row[0] for row in self.raw.execute(
            "SELECT id FROM reports WHERE jurisdiction_id = %s AND NOT hidden AND status = ANY(%s) "
            "AND location && ST_MakeEnvelope(%s, %s, %s, %s, 4326) ORDER BY id LIMIT 50000",
            (self.jid, list(OPEN), *CITY_BBOX)).fetchall()]
        a, b = (row[0] for row in self.raw.execute(
            "SELECT id FROM departments WHERE jurisdiction_id = %s AND code IN ('dept-001', 'dept-002') ORDER BY code",
            (self.jid,)).fetchall())
        cases = [  # (what, SET clause, how many reports)
            ("department only (cells unchanged)",
             f"department_id = CASE WHEN department_id = {a} THEN {b} ELSE {a} END", 5_000),
            ("department only (cells unchanged)",
             f"department_id = CASE WHEN department_id = {a} THEN {b} ELSE {a} END", 50_000),
            ("status (open → erledigt)", "status = 'erledigt'", 5_000),
            ("location (pins moved ~25 m)", "location = ST_Translate(location, 0.0003, 0.0001)", 5_000),
        ]
        # The status-count trigger (revision 0810) fires on the same UPDATEs, in both runs. A
        # scale database built while 0810 was being written may still hold an earlier body of
        # it (a join of the transition tables, quadratic under a one-row plan); each run puts
        # the migration's body in place inside its own rolled-back transaction.
        spec = importlib.util.spec_from_file_location(
            "_rev0810", Path(__file__).resolve().parent.parent / "migrations/versions/0810_staff_status_counts.py")
        rev0810 = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(rev0810)
        installed = self.raw.execute("SELECT prosrc FROM pg_proc WHERE proname = "
                                     "'report_status_counts_after_update'").fetchone()
        status_counts_fix = None
        if installed and rev0810._MOVE.strip() not in installed[0]:
            status_counts_fix = ("CREATE OR REPLACE FUNCTION report_status_counts_after_update() RETURNS trigger "
                                 f"LANGUAGE plpgsql AS $$ BEGIN {rev0810._MOVE}; RETURN NULL; END $$")
            print("note: the scale database holds an older report_status_counts_after_update; the runs use "
                  "revision 0810's body (inside their rolled-back transactions)", flush=True)

        def run(set_clause: str, ids: list[int], with_cells: bool) -> float | None:
            with psycopg.connect(_plain(self.url)) as conn:
                conn.execute(f"SET statement_timeout = '{timeout_s}s'")
                try:
                    if status_counts_fix:
                        conn.execute(status_counts_fix)
                    if not with_cells:
                        conn.execute("ALTER TABLE reports DISABLE TRIGGER map_cells_update")
                    conn.execute(f"UPDATE reports SET {set_clause} WHERE id = %s", (ids[-1],))
                    started = time.perf_counter()
                    conn.execute(f"UPDATE reports SET {set_clause} WHERE id = ANY(%s::bigint[])", (ids,))
                    return (time.perf_counter() - started) * 1000.0
                except psycopg.errors.QueryCanceled:
                    return None
                finally:
                    conn.rollback()

        # One head since revision 1000: the schema's revision says which triggers ran.
        version = self.raw.execute("SELECT max(version_num) FROM alembic_version").fetchone()[0]
        for what, set_clause, n in cases:
            cells_unchanged = set_clause.startswith("department_id")
            ids = ids_all[:n]
            assert len(ids) == n, (len(ids), n)
            ours, off = [], []
            run(set_clause, ids, False)  # not counted: reads the rows and their index pages into memory
            for rep in range(min(reps, 2) if n > 5_000 else reps):
                # Alternate which run goes first (a rolled-back UPDATE leaves dead row versions behind).
                for with_cells in ((False, True) if rep % 2 == 0 else (True, False)):
                    (ours if with_cells else off).append(run(set_clause, ids, with_cells))
            off_ms = statistics.median(off)
            if None in ours:
                ratio = math.inf
                ours_text, verdict = f"> {timeout_s} s (cancelled)", f"> {timeout_s * 1000 / off_ms:.0f}× without"
            else:
                ours_ms = statistics.median(ours)
                ratio = ours_ms / off_ms
                ours_text, verdict = f"{ours_ms:,.0f} ms", f"{ratio:.2f}× without"
            # Only an UPDATE that moves no report in the cells has a target: its trigger cost should
            # not follow the rows it writes.
            target = " (target ≤ 1.5×)" if cells_unchanged else " (for orientation)"
            self.record(f"bulk UPDATE of {n:,} reports: {what}; schema at revision {version} "
                        f"(median of {len(ours)})", ours_text,
                        f"{off_ms:,.0f} ms with the map_cells triggers disabled", verdict + target,
                        ratio <= 1.5 if cells_unchanged else True, ratio=ratio)

    def markdown(self) -> str:
        lines = [f"PostGIS layer on 10,000 areas (~200 vertices each) and 1,000,000 reports "
                 f"(`bench/scale_data.py`); Python {platform.python_version()}, {platform.machine()}, "
                 f"PostgreSQL/PostGIS of `scripts/services.sh`. Times are wall-clock on a shared 2-core machine; "
                 f"raw = the same work as plain SQL over psycopg, measured interleaved in the same run.", "",
                 "| measurement | ours | raw SQL | result | met |", "|---|---|---|---|:-:|"]
        for what, ours, raw, verdict, met in self.rows:
            lines.append(f"| {what} | {ours} | {raw} | {verdict} | {'yes' if met else '**no**'} |")
        return "\n".join(lines)


def towns_markdown(one: Bench, many: Bench, when: str) -> str:
    """The one-town and the 50-town run side by side (the same parts, run in turn); ``when``
    says when, at which load and with which command."""
    lines = [f"The benchmarked town `{SLUG}` with the whole installation to itself (`mm_bench_scale`) and as one "
             f"of {TOWNS} towns sharing the same 1,000,000 reports (`mm_bench_scale50`, requests on its host "
             f"`{many.host}`, no DEFAULT_JURISDICTION; `bench/scale_data.py` describes both). Each part ran on "
             f"one data set, then at once on the other (which went first turned from part to part); raw = the "
             f"same work as plain SQL over "
             f"psycopg on the same database, interleaved call by call. Python {platform.python_version()}, "
             f"{platform.machine()}, shared 2-core machine. {when}", "",
             "| measurement | ours ÷ raw, one town | ours ÷ raw, 50 towns | 50 towns ÷ one town |",
             "|---|---:|---:|---:|"]
    for (what, *_), ratio_one, ratio_many in zip(one.rows, one.ratios, many.ratios):
        if ratio_one is None or ratio_many is None:
            continue
        lines.append(f"| {what} | {ratio_one:.3g} | {ratio_many:.3g} | {ratio_many / ratio_one:.2f} |")
    lines += ["", "| measurement | towns | ours | raw SQL | result | met |", "|---|---|---|---|---|:-:|"]
    for row_one, row_many in zip(one.rows, many.rows):
        for towns, (what, ours, raw, verdict, met) in ((1, row_one), (TOWNS, row_many)):
            lines.append(f"| {what} | {towns} | {ours} | {raw} | {verdict} | {'yes' if met else '**no**'} |")
    return "\n".join(lines)


def write_markdown(path: Path, table: str, name: str = "bench_geo", heading: str = "PostGIS layer (bench_geo)") -> None:
    start_marker, end_marker = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    section = f"{start_marker}\n{table}\n{end_marker}"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if start_marker in text and end_marker in text:
        head, rest = text.split(start_marker, 1)
        _, tail = rest.split(end_marker, 1)
        text = head + section + tail
    else:
        text = text.rstrip("\n") + f"\n\n## {heading}\n\n" + section + "\n"
    path.write_text(text)


PARTS = ("routing", "rerouting", "geojson", "clusters", "tiles", "cells")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--markdown", type=Path, help="write the table into this file between the markers")
    parser.add_argument("--admin-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--only", nargs="*", default=None, help="run only these parts: " + " ".join(PARTS))
    parser.add_argument("--towns", choices=("1", "both"), default="1",
                        help="1: the one-town data (section bench_geo); both: each part on the one-town and "
                             f"then the {TOWNS}-town data, side by side (section bench_geo_towns; without "
                             "--only every part but cells)")
    args = parser.parse_args(argv)
    if not args.admin_url:
        parser.error("DATABASE_URL or --admin-url is required (eval \"$(scripts/services.sh env)\")")
    benches = [Bench(ensure_scale_database(args.admin_url), args.quick)]
    parts = args.only if args.only is not None else list(PARTS)
    if args.towns == "both":
        benches.append(Bench(ensure_scale_database(args.admin_url, towns=TOWNS), args.quick))
        if args.only is None:
            parts = [part for part in PARTS if part != "cells"]
    started_at, load_before = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), os.getloadavg()
    for number, part in enumerate(part for part in PARTS if part in parts):
        # Which data set goes first turns from part to part (the machine's load drifts).
        for bench in benches if number % 2 == 0 else benches[::-1]:
            if len(benches) > 1:
                print(f"-- {part}, {'one town' if bench.host is None else f'{TOWNS} towns'}", flush=True)
            getattr(bench, part)()
    if len(benches) == 1:
        table = benches[0].markdown()
        name, heading = "bench_geo", "PostGIS layer (bench_geo)"
    else:
        load_after = os.getloadavg()
        command = "python bench/bench_geo.py --towns both" + (f" --only {' '.join(args.only)}" if args.only else "")
        table = towns_markdown(*benches, f"Measured {started_at}, load average {load_before[0]:.1f} / "
                               f"{load_before[1]:.1f} / {load_before[2]:.1f} at the start, {load_after[0]:.1f} / "
                               f"{load_after[1]:.1f} / {load_after[2]:.1f} at the end; `{command} --markdown FILE`.")
        name, heading = "bench_geo_towns", f"PostGIS layer, one town and {TOWNS} towns (bench_geo --towns both)"
    print(table)
    if args.markdown:
        write_markdown(args.markdown, table, name, heading)
    return 0 if all(row[4] for bench in benches for row in bench.rows) else 1


if __name__ == "__main__":
    sys.exit(main())
