"""Scale data for benchmarks: 10,000 areas tessellating Germany with rules, and 1,000,000 reports.

Usage::

    python -m bench.scale_data [--towns 1|50] [--name NAME] [--admin-url URL] [--rebuild]

    # from another benchmark:
    from bench.scale_data import ensure_scale_database
    url = ensure_scale_database(admin_url)              # one town: mm_bench_scale
    url = ensure_scale_database(admin_url, towns=50)    # 50 towns: mm_bench_scale50

Idempotent: the database (default ``mm_bench_scale``) is created in the cluster of
``--admin-url`` (default: ``DATABASE_URL``), migrated to every head, and filled
once (about 10 minutes on a quiet 2-core machine); later calls only migrate and
return its URL. A marker row records a complete build; a database without it (an
interrupted build) is dropped and built afresh. Builds are serialised with an
advisory lock, so two benchmarks starting at once do not both build. Treat it as read-only
when shared; a benchmark that writes must undo its writes or use its own database.

What is in it (deterministic, seeded):

* jurisdiction ``scale.example`` (prefix ``SC``), 100 departments ``dept-000`` …
  ``dept-099``, the 10 Harsewinkel category codes;
* 10,000 ``district`` areas ``cell-RRR-CCC``: a 100 × 100 grid over Germany's
  bounding box (5.87–15.04° E, 47.27–55.06° N) whose shared edges are wavy lines of
  50 segments each (~200 vertices per polygon); neighbours share their edges exactly,
  so the areas tile the box without gaps or overlaps;
* rules: a catch-all per area, a category-specific rule in every 10th area, a
  town-wide rule per category and one fallback (about 11,000 rules);
* 1,000,000 reports: 500,000 spread over the box and 500,000 in a dense city of
  about 25 × 20 km around (7.63° E, 51.96° N) – ``CITY_BBOX`` – of which 80 % are
  open (≈ 400,000); 1 % hidden; created over the last three years; every report
  routed (department, rule, area) by a batch point-in-polygon join;
* ``map_cells`` rebuilt, ``VACUUM ANALYZE`` done.

The 50-town variant (``--towns 50``, database ``mm_bench_scale50``, issue 21: a district
operator's installation) holds the same 1,000,000 reports at the same places, times and
statuses, and the same 10,000 cells, shared out among 50 towns:

* towns: ``scale.example`` (prefix ``SC``, the benchmarked town, as in the one-town build)
  and ``town-01.scale.example`` … ``town-49.scale.example`` (prefixes ``T01`` … ``T49``); each
  town is served on its slug as host name (``jurisdiction_hosts``), and each has its own 100
  departments, its 10 categories and the same kinds of rules over its own cells;
* territories: every cell goes to the town whose seed is nearest to the cell's centre (the
  benchmarked town's seed is ``CITY_CENTRE``, the other 49 are seeded random points of the
  box); the cells touching ``CITY_BBOX`` (with the edges' waves as margin) all go to the
  benchmarked town, so the whole dense city is one town. Each town also has a ``boundary``
  area, the union of its cells;
* reports belong to the town whose cell holds them (category by code, department by that
  town's rules): the benchmarked town keeps the city's 500,000 and the spread reports on its
  123 cells (about 6,000), some 51 % of all, as a district's main town; the other 49 towns
  hold 66 to 449 cells and about 3,000 to 22,000 reports each. References stay ``SC-…``
  (unique over the installation; only the town differs).

A street view or the cluster view in the city therefore shows the same reports in both
builds; what differs is that 49 other towns' reports, areas, rules and departments share the
tables, and that the benchmarked town is half as large.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

DEFAULT_NAME = "mm_bench_scale"
BUILD_VERSION = "scale-v1"
TOWNS_NAME = "mm_bench_scale50"  # the 50-town variant (issue 21)
TOWNS_BUILD_VERSION = "scale50-v1"
TOWNS = 50
SLUG = "scale.example"
GERMANY_BBOX = (5.87, 47.27, 15.04, 55.06)
GRID = 100
SEGMENTS_PER_EDGE = 50
CITY_CENTRE = (7.63, 51.96)
CITY_BBOX = (7.45, 51.87, 7.81, 52.05)
REPORTS_SPREAD = 500_000
REPORTS_CITY = 500_000
DEPARTMENTS = 100
CATEGORY_CODES = ("schlagloch", "verkehrszeichen", "gully", "radweg", "strassenlaterne", "wilder-muell",
                  "graffiti", "gruenflaeche", "spielplatz", "sonstiges")
_LOCK_KEY = 7_104_2026


def _plain(url: str) -> str:
    """A libpq URL (no '+psycopg') for psycopg.connect."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def database_url(admin_url: str, name: str) -> str:
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def _log(message: str) -> None:
    print(f"[scale_data {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- geometry ---------------------------------------------------------------------------------

def _edge(a: tuple[float, float], b: tuple[float, float], seed: int, amplitude: float) -> list[tuple[float, float]]:
    """Points from a to b (both included) on a wavy line; the same for both neighbours."""
    (ax, ay), (bx, by) = a, b
    dx, dy = bx - ax, by - ay
    length = math.hypot(dx, dy)
    nx, ny = -dy / length, dx / length
    waves = 1 + seed % 3
    phase = (seed * 0.618) % 1 * 2 * math.pi
    points = []
    for i in range(SEGMENTS_PER_EDGE + 1):
        t = i / SEGMENTS_PER_EDGE
        offset = amplitude * math.sin(math.pi * t) * math.sin(2 * math.pi * waves * t + phase)
        points.append((round(ax + dx * t + nx * offset, 7), round(ay + dy * t + ny * offset, 7)))
    return points


def grid_polygons() -> list[tuple[str, str]]:
    """(code, EWKT) of the 10,000 cells, row by row from the south-west."""
    minx, miny, maxx, maxy = GERMANY_BBOX
    w, h = (maxx - minx) / GRID, (maxy - miny) / GRID
    xs = [minx + i * w for i in range(GRID + 1)]
    ys = [miny + j * h for j in range(GRID + 1)]
    horizontal = {}  # (i, j): edge from (xs[i], ys[j]) to (xs[i+1], ys[j])
    vertical = {}  # (i, j): edge from (xs[i], ys[j]) to (xs[i], ys[j+1])
    for j in range(GRID + 1):
        for i in range(GRID):
            straight = j in (0, GRID)  # the outer boundary stays straight
            horizontal[i, j] = _edge((xs[i], ys[j]), (xs[i + 1], ys[j]), i * 7919 + j * 104729,
                                     0.0 if straight else 0.12 * h)
    for j in range(GRID):
        for i in range(GRID + 1):
            straight = i in (0, GRID)
            vertical[i, j] = _edge((xs[i], ys[j]), (xs[i], ys[j + 1]), i * 15485863 + j * 32452843,
                                   0.0 if straight else 0.12 * w)
    cells = []
    for j in range(GRID):
        for i in range(GRID):
            ring = (horizontal[i, j][:-1] + vertical[i + 1, j][:-1] + list(reversed(horizontal[i, j + 1]))[:-1]
                    + list(reversed(vertical[i, j]))[:-1])
            ring.append(ring[0])
            coords = ",".join(f"{x} {y}" for x, y in ring)
            cells.append((f"cell-{j:03d}-{i:03d}", f"SRID=4326;MULTIPOLYGON((({coords})))"))
    return cells


def town_seeds(towns: int) -> list[tuple[float, float]]:
    """Seed points of the towns' territories: the city's centre first (the benchmarked town),
    then seeded random points of the box at least 0.6° from every other seed."""
    import random

    rng = random.Random(2150)
    minx, miny, maxx, maxy = GERMANY_BBOX
    seeds = [CITY_CENTRE]
    while len(seeds) < towns:
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if all(math.hypot(x - sx, y - sy) >= 0.6 for sx, sy in seeds):
            seeds.append((round(x, 4), round(y, 4)))
    return seeds


def cell_towns(towns: int) -> list[int]:
    """The town (index into ``town_seeds``; 0 is the benchmarked town) of each cell, in the order
    of ``grid_polygons``: the nearest seed to the cell's centre, except that every cell which may
    reach into ``CITY_BBOX`` (its rectangle widened by the edges' waves) is town 0's."""
    if towns == 1:
        return [0] * (GRID * GRID)
    seeds = town_seeds(towns)
    minx, miny, maxx, maxy = GERMANY_BBOX
    w, h = (maxx - minx) / GRID, (maxy - miny) / GRID
    cminx, cminy, cmaxx, cmaxy = CITY_BBOX
    owners = []
    for j in range(GRID):
        for i in range(GRID):
            x0, y0 = minx + i * w, miny + j * h
            # The wavy edges move a cell's border by up to 0.12 of its width or height.
            if x0 - 0.15 * w < cmaxx and x0 + 1.15 * w > cminx and y0 - 0.15 * h < cmaxy and y0 + 1.15 * h > cminy:
                owners.append(0)
                continue
            cx, cy = x0 + w / 2, y0 + h / 2
            owners.append(min(range(towns), key=lambda t: math.hypot(cx - seeds[t][0], cy - seeds[t][1])))
    return owners


def town_list(towns: int) -> list[tuple[str, str, str]]:
    """(slug, name, reference prefix) of each town; the benchmarked town first."""
    return [(SLUG, "Skalentest Deutschland", "SC")] + [
        (f"town-{n:02d}.scale.example", f"Skalentest Stadt {n:02d}", f"T{n:02d}") for n in range(1, towns)]


# --- the build --------------------------------------------------------------------------------

def _complete(conn, version: str = BUILD_VERSION) -> bool:
    exists = conn.execute("SELECT to_regclass('public.bench_scale_meta')").fetchone()[0]
    if not exists:
        return False
    row = conn.execute("SELECT value FROM bench_scale_meta WHERE key = 'complete'").fetchone()
    return bool(row and row[0] == version)


def route_all(url: str, jurisdiction_ids) -> int:
    """Route every report of the towns with the app's bulk routing (one transaction per town);
    returns reports updated."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session

    from geo.rerouting import apply_plan, plan_rerouting

    if isinstance(jurisdiction_ids, int):
        jurisdiction_ids = [jurisdiction_ids]
    engine = create_engine(url)
    updated = 0
    try:
        with Session(engine) as session:
            statuses = [row[0] for row in session.execute(text("SELECT DISTINCT status FROM reports"))]
            for jurisdiction_id in jurisdiction_ids:
                session.execute(text("SET LOCAL work_mem = '128MB'"))
                plan_rerouting(session, jurisdiction_id, statuses)
                updated += apply_plan(session)
                session.commit()
            return updated
    finally:
        engine.dispose()


def _is_complete(url: str, version: str = BUILD_VERSION) -> bool:
    with psycopg.connect(_plain(url)) as conn:
        return _complete(conn, version)


def build(conn, url: str, towns: int = 1) -> None:
    """Fill the freshly created and migrated database at ``url`` (``conn`` is connected to it)
    with the one-town data set, or with ``towns`` towns sharing it (see the module docstring)."""
    started = time.monotonic()
    version = BUILD_VERSION if towns == 1 else TOWNS_BUILD_VERSION
    conn.execute("CREATE TABLE IF NOT EXISTS bench_scale_meta (key text PRIMARY KEY, value text NOT NULL)")
    conn.execute("DELETE FROM bench_scale_meta")
    conn.execute("SET maintenance_work_mem = '256MB'")
    conn.execute("SET work_mem = '64MB'")
    towns_made = town_list(towns)
    jids = []
    for slug, name, prefix in towns_made:
        jids.append(conn.execute(
            "INSERT INTO jurisdictions (slug, name, reference_prefix, contact_email, created_at) "
            "VALUES (%s, %s, %s, %s, now()) RETURNING id", (slug, name, prefix, f"scale@{slug}")).fetchone()[0])
        if towns > 1:  # a district operator's towns are told apart by their host names
            conn.execute("INSERT INTO jurisdiction_hosts (host, jurisdiction_id, position) VALUES (%s, %s, 0)",
                         (slug, jids[-1]))
    jid = jids[0]
    with conn.cursor().copy("COPY departments (jurisdiction_id, code, name, emails) FROM STDIN") as copy:
        for town, (slug, _name, _prefix) in zip(jids, towns_made):
            for d in range(DEPARTMENTS):
                copy.write_row((town, f"dept-{d:03d}", f"Stelle {d:03d}", [f"dept-{d:03d}@{slug}"]))
    with conn.cursor().copy('COPY categories (jurisdiction_id, code, name, name_en, description, "group", icon, '
                            "publish_immediately, active) FROM STDIN") as copy:
        for town in jids:
            for code in CATEGORY_CODES:
                copy.write_row((town, code, code.capitalize(), code.capitalize(), "", "Skalentest", "", True, True))
    _log(f"areas: generating 10,000 polygons for {towns} town(s)")
    cells = grid_polygons()
    owners = cell_towns(towns)
    with conn.cursor().copy("COPY areas (jurisdiction_id, code, name, kind, rank, area_m2, geom) FROM STDIN") as copy:
        for (code, ewkt), owner in zip(cells, owners):
            copy.write_row((jids[owner], code, f"Bezirk {code[5:]}", "district", 10, 0.0, ewkt))
    if towns > 1:
        _log("areas: each town's boundary (the union of its cells)")
        conn.execute("""
            INSERT INTO areas (jurisdiction_id, code, name, kind, rank, area_m2, geom)
            SELECT jurisdiction_id, 'stadtgebiet', 'Stadtgebiet', 'boundary', 0, 0.0, ST_Multi(ST_Union(geom))
            FROM areas WHERE kind = 'district' GROUP BY jurisdiction_id""")
    conn.execute("UPDATE areas SET area_m2 = ST_Area(geom::geography)")
    invalid = conn.execute("SELECT count(*) FROM areas WHERE NOT ST_IsValid(geom)").fetchone()[0]
    if invalid:
        raise RuntimeError(f"{invalid} generated areas are invalid")
    _log("rules")
    rule_statements = [
        # a catch-all per area
        """INSERT INTO routing_rules (jurisdiction_id, area_id, category_id, department_id)
           SELECT a.jurisdiction_id, a.id, NULL, d.id
           FROM areas a JOIN departments d ON d.jurisdiction_id = a.jurisdiction_id
                AND d.code = 'dept-' || lpad(((a.id * 7) %% 100)::text, 3, '0')
           WHERE a.jurisdiction_id = %(j)s AND a.kind = 'district'""",
        # a category-specific rule in every 10th area
        """INSERT INTO routing_rules (jurisdiction_id, area_id, category_id, department_id)
           SELECT a.jurisdiction_id, a.id, c.id, d.id
           FROM areas a
           JOIN categories c ON c.jurisdiction_id = a.jurisdiction_id AND c.code = 'spielplatz'
           JOIN departments d ON d.jurisdiction_id = a.jurisdiction_id
                AND d.code = 'dept-' || lpad(((a.id * 13 + 5) %% 100)::text, 3, '0')
           WHERE a.jurisdiction_id = %(j)s AND a.kind = 'district' AND a.id %% 10 = 0""",
        # a town-wide rule per category
        """INSERT INTO routing_rules (jurisdiction_id, area_id, category_id, department_id)
           SELECT c.jurisdiction_id, NULL, c.id, d.id
           FROM categories c JOIN departments d ON d.jurisdiction_id = c.jurisdiction_id
                AND d.code = 'dept-' || lpad((c.id %% 100)::text, 3, '0')
           WHERE c.jurisdiction_id = %(j)s""",
        # the fallback
        """INSERT INTO routing_rules (jurisdiction_id, area_id, category_id, department_id)
           SELECT %(j)s, NULL, NULL, id FROM departments WHERE jurisdiction_id = %(j)s AND code = 'dept-000'""",
    ]
    for town in jids:
        for statement in rule_statements:
            conn.execute(statement, {"j": town})
    fallback = conn.execute("SELECT id FROM departments WHERE jurisdiction_id = %s AND code = 'dept-000'",
                            (jid,)).fetchone()[0]
    _log("reports: inserting 1,000,000 (map triggers off, cells rebuilt afterwards)")
    for trigger in ("map_cells_insert", "map_cells_update"):
        conn.execute(f"ALTER TABLE reports DISABLE TRIGGER {trigger}")
    conn.execute("SELECT setseed(0.2026)")
    minx, miny, maxx, maxy = GERMANY_BBOX
    cminx, cminy, cmaxx, cmaxy = CITY_BBOX
    batch = 100_000
    for start in range(0, REPORTS_SPREAD + REPORTS_CITY, batch):
        in_city = start >= REPORTS_SPREAD
        box = (cminx, cminy, cmaxx, cmaxy) if in_city else (minx, miny, maxx, maxy)
        conn.execute("""
            INSERT INTO reports (jurisdiction_id, reference, category_id, department_id, routing_explanation,
                                 location, description, description_published, hidden, priority, status,
                                 status_changed_at, reporter_email_confirmed, locale, created_at, updated_at)
            SELECT %(j)s, 'SC-' || lpad(g::text, 8, '0'),
                   (SELECT array_agg(id ORDER BY id) FROM categories WHERE jurisdiction_id = %(j)s)[1 + (g %% 10)],
                   %(fallback)s, '',
                   ST_SetSRID(ST_MakePoint(%(x0)s + random() * (%(x1)s - %(x0)s),
                                           %(y0)s + random() * (%(y1)s - %(y0)s)), 4326),
                   'Skalentest', true, random() < 0.01, 0,
                   CASE WHEN r < 0.40 THEN 'eingegangen' WHEN r < 0.60 THEN 'in_pruefung'
                        WHEN r < 0.80 THEN 'in_bearbeitung' WHEN r < 0.98 THEN 'erledigt'
                        WHEN r < 0.99 THEN 'abgelehnt' ELSE 'nicht_zustaendig' END,
                   t, false, 'de', t, t
            FROM (SELECT g, random() AS r, now() - random() * interval '1095 days' AS t
                  FROM generate_series(%(a)s, %(b)s) AS g) AS s
        """, {"j": jid, "fallback": fallback, "x0": box[0], "y0": box[1], "x1": box[2], "y1": box[3],
              "a": start + 1, "b": start + batch})
        _log(f"  {start + batch:,} reports")
    if towns > 1:
        # Inserted as the one-town build inserts them (same random sequence, so the same reports),
        # then handed to the town whose cell holds them: category by code, that town's fallback
        # department until the routing below.
        _log("reports: handing each to the town whose cell holds it")
        # Two steps: in one statement the planner joined the categories first and tested every
        # report against every cell of a town (hours); alone, the point-in-cell join uses the index.
        conn.execute("ANALYZE reports")
        conn.execute("""
            CREATE TEMP TABLE report_towns ON COMMIT DROP AS
            SELECT r.id, a.jurisdiction_id FROM reports r JOIN areas a ON ST_Covers(a.geom, r.location)
            WHERE a.kind = 'district' AND a.jurisdiction_id <> %(j)s""", {"j": jid})
        conn.execute("ANALYZE report_towns")
        moved = conn.execute("""
            UPDATE reports r SET jurisdiction_id = t.jurisdiction_id, category_id = cn.id, department_id = d.id
            FROM report_towns t
            JOIN departments d ON d.jurisdiction_id = t.jurisdiction_id AND d.code = 'dept-000',
                 categories co, categories cn
            WHERE r.id = t.id AND co.id = r.category_id AND cn.jurisdiction_id = t.jurisdiction_id
              AND cn.code = co.code""").rowcount
        in_city_elsewhere = conn.execute(
            "SELECT count(*) FROM reports WHERE jurisdiction_id <> %s AND location && ST_MakeEnvelope(%s, %s, %s, %s, 4326)",
            (jid, *CITY_BBOX)).fetchone()[0]
        if in_city_elsewhere:
            raise RuntimeError(f"{in_city_elsewhere} reports in the city went to another town")
        _log(f"  {moved:,} reports went to the other {towns - 1} towns")
    conn.commit()
    conn.autocommit = True
    conn.execute("VACUUM ANALYZE reports")
    conn.autocommit = False
    _log("routing every report in bulk (geo.rerouting: one polygon-outer join per town)")
    route_all(url, jids)
    for trigger in ("map_cells_insert", "map_cells_update"):
        conn.execute(f"ALTER TABLE reports ENABLE TRIGGER {trigger}")
    _log("map cells")
    for town in jids:
        conn.execute("SELECT map_cells_rebuild(%s)", (town,))
    conn.execute("INSERT INTO bench_scale_meta VALUES ('complete', %s), ('jurisdiction_id', %s), ('towns', %s), "
                 "('host', %s)", (version, str(jid), str(towns), SLUG if towns > 1 else ""))
    conn.commit()
    _log("VACUUM ANALYZE")
    conn.autocommit = True
    for table in ("reports", "areas", "routing_rules", "map_cells", "departments", "categories"):
        conn.execute(f"VACUUM ANALYZE {table}")
    conn.autocommit = False
    _log(f"done in {time.monotonic() - started:.0f} s")


def ensure_scale_database(admin_url: str, name: str | None = None, rebuild: bool = False, towns: int = 1) -> str:
    """Create, migrate and fill the scale database once; returns its SQLAlchemy URL.

    ``admin_url`` is any URL of the cluster (e.g. DATABASE_URL); the database ``name``
    (default ``mm_bench_scale``, or ``mm_bench_scale50`` for ``towns=50``) is created next
    to it. Safe to call from several processes at once.
    """
    from app.cli import run_migrations

    if towns not in (1, TOWNS):
        raise ValueError(f"towns must be 1 or {TOWNS}")
    name = name or (DEFAULT_NAME if towns == 1 else TOWNS_NAME)
    version = BUILD_VERSION if towns == 1 else TOWNS_BUILD_VERSION
    url = database_url(admin_url, name)
    with psycopg.connect(_plain(database_url(admin_url, "postgres")), autocommit=True) as admin:
        admin.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
        try:
            exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if exists and (rebuild or not _is_complete(url, version)):
                # Deleting a million reports row by row (foreign keys, triggers) takes far longer
                # than building afresh: an incomplete build is dropped whole.
                _log(f"dropping the incomplete database {name}")
                admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
                exists = None
            if not exists:
                _log(f"creating database {name}")
                admin.execute(f'CREATE DATABASE "{name}"')
            run_migrations(url)
            with psycopg.connect(_plain(url)) as conn:
                if not _complete(conn, version):
                    build(conn, url, towns)
                    conn.commit()
        finally:
            admin.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))
    return url


def scale_jurisdiction_id(url: str) -> int:
    with psycopg.connect(_plain(url)) as conn:
        return int(conn.execute("SELECT value FROM bench_scale_meta WHERE key = 'jurisdiction_id'").fetchone()[0])


def scale_host(url: str) -> str | None:
    """The benchmarked town's host name in a several-town build; None in the one-town build
    (which is served through DEFAULT_JURISDICTION)."""
    with psycopg.connect(_plain(url)) as conn:
        row = conn.execute("SELECT value FROM bench_scale_meta WHERE key = 'host'").fetchone()
    return row[0] if row and row[0] else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--towns", type=int, choices=(1, TOWNS), default=1,
                        help="one town, or 50 towns sharing the reports (default: %(default)s)")
    parser.add_argument("--name", help=f"database name (default: {DEFAULT_NAME}, or {TOWNS_NAME} for 50 towns)")
    parser.add_argument("--admin-url", default=os.environ.get("DATABASE_URL"),
                        help="any URL of the cluster (default: $DATABASE_URL)")
    parser.add_argument("--rebuild", action="store_true", help="build again even if complete")
    args = parser.parse_args(argv)
    if not args.admin_url:
        parser.error("--admin-url or DATABASE_URL is required (eval \"$(scripts/services.sh env)\")")
    print(ensure_scale_database(args.admin_url, args.name, rebuild=args.rebuild, towns=args.towns))
    return 0


if __name__ == "__main__":
    sys.exit(main())
