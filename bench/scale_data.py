"""Scale data for benchmarks: 10,000 areas tessellating Germany with rules, and 1,000,000 reports.

Usage::

    python -m bench.scale_data [--name mm_bench_scale] [--admin-url URL] [--rebuild]

    # from another benchmark:
    from bench.scale_data import ensure_scale_database
    url = ensure_scale_database(admin_url)          # e.g. DATABASE_URL of the private cluster

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


# --- the build --------------------------------------------------------------------------------

def _complete(conn) -> bool:
    exists = conn.execute("SELECT to_regclass('public.bench_scale_meta')").fetchone()[0]
    if not exists:
        return False
    row = conn.execute("SELECT value FROM bench_scale_meta WHERE key = 'complete'").fetchone()
    return bool(row and row[0] == BUILD_VERSION)


def route_all(url: str, jurisdiction_id: int) -> int:
    """Route every report of the town with the app's bulk routing; returns reports updated."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.orm import Session

    from geo.rerouting import apply_plan, plan_rerouting

    engine = create_engine(url)
    try:
        with Session(engine) as session:
            session.execute(text("SET LOCAL work_mem = '128MB'"))
            statuses = [row[0] for row in session.execute(text("SELECT DISTINCT status FROM reports"))]
            plan_rerouting(session, jurisdiction_id, statuses)
            updated = apply_plan(session)
            session.commit()
            return updated
    finally:
        engine.dispose()


def _is_complete(url: str) -> bool:
    with psycopg.connect(_plain(url)) as conn:
        return _complete(conn)


def build(conn, url: str) -> None:
    """Fill the freshly created and migrated database at ``url`` (``conn`` is connected to it)."""
    started = time.monotonic()
    conn.execute("CREATE TABLE IF NOT EXISTS bench_scale_meta (key text PRIMARY KEY, value text NOT NULL)")
    conn.execute("DELETE FROM bench_scale_meta")
    conn.execute("SET maintenance_work_mem = '256MB'")
    conn.execute("SET work_mem = '64MB'")
    jid = conn.execute(
        "INSERT INTO jurisdictions (slug, name, reference_prefix, contact_email, created_at) "
        "VALUES (%s, 'Skalentest Deutschland', 'SC', 'scale@example.org', now()) RETURNING id", (SLUG,)).fetchone()[0]
    with conn.cursor().copy("COPY departments (jurisdiction_id, code, name, email) FROM STDIN") as copy:
        for d in range(DEPARTMENTS):
            copy.write_row((jid, f"dept-{d:03d}", f"Stelle {d:03d}", f"dept-{d:03d}@scale.example"))
    with conn.cursor().copy('COPY categories (jurisdiction_id, code, name, name_en, description, "group", icon, '
                            "publish_immediately, active) FROM STDIN") as copy:
        for code in CATEGORY_CODES:
            copy.write_row((jid, code, code.capitalize(), code.capitalize(), "", "Skalentest", "", True, True))
    _log("areas: generating 10,000 polygons")
    cells = grid_polygons()
    with conn.cursor().copy("COPY areas (jurisdiction_id, code, name, kind, rank, area_m2, geom) FROM STDIN") as copy:
        for code, ewkt in cells:
            copy.write_row((jid, code, f"Bezirk {code[5:]}", "district", 10, 0.0, ewkt))
    conn.execute("UPDATE areas SET area_m2 = ST_Area(geom::geography) WHERE jurisdiction_id = %s", (jid,))
    invalid = conn.execute("SELECT count(*) FROM areas WHERE jurisdiction_id = %s AND NOT ST_IsValid(geom)",
                           (jid,)).fetchone()[0]
    if invalid:
        raise RuntimeError(f"{invalid} generated areas are invalid")
    _log("rules")
    rule_statements = [
        # a catch-all per area
        """INSERT INTO routing_rules (jurisdiction_id, area_id, category_id, department_id)
           SELECT a.jurisdiction_id, a.id, NULL, d.id
           FROM areas a JOIN departments d ON d.jurisdiction_id = a.jurisdiction_id
                AND d.code = 'dept-' || lpad(((a.id * 7) %% 100)::text, 3, '0')
           WHERE a.jurisdiction_id = %(j)s""",
        # a category-specific rule in every 10th area
        """INSERT INTO routing_rules (jurisdiction_id, area_id, category_id, department_id)
           SELECT a.jurisdiction_id, a.id, c.id, d.id
           FROM areas a
           JOIN categories c ON c.jurisdiction_id = a.jurisdiction_id AND c.code = 'spielplatz'
           JOIN departments d ON d.jurisdiction_id = a.jurisdiction_id
                AND d.code = 'dept-' || lpad(((a.id * 13 + 5) %% 100)::text, 3, '0')
           WHERE a.jurisdiction_id = %(j)s AND a.id %% 10 = 0""",
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
    for statement in rule_statements:
        conn.execute(statement, {"j": jid})
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
    conn.commit()
    conn.autocommit = True
    conn.execute("VACUUM ANALYZE reports")
    conn.autocommit = False
    _log("routing every report in bulk (geo.rerouting: one polygon-outer join)")
    route_all(url, jid)
    for trigger in ("map_cells_insert", "map_cells_update"):
        conn.execute(f"ALTER TABLE reports ENABLE TRIGGER {trigger}")
    _log("map cells")
    conn.execute("SELECT map_cells_rebuild(%s)", (jid,))
    conn.execute("INSERT INTO bench_scale_meta VALUES ('complete', %s), ('jurisdiction_id', %s)",
                 (BUILD_VERSION, str(jid)))
    conn.commit()
    _log("VACUUM ANALYZE")
    conn.autocommit = True
    for table in ("reports", "areas", "routing_rules", "map_cells"):
        conn.execute(f"VACUUM ANALYZE {table}")
    conn.autocommit = False
    _log(f"done in {time.monotonic() - started:.0f} s")


def ensure_scale_database(admin_url: str, name: str = DEFAULT_NAME, rebuild: bool = False) -> str:
    """Create, migrate and fill the scale database once; returns its SQLAlchemy URL.

    ``admin_url`` is any URL of the cluster (e.g. DATABASE_URL); the database
    ``name`` is created next to it. Safe to call from several processes at once.
    """
    from app.cli import run_migrations

    url = database_url(admin_url, name)
    with psycopg.connect(_plain(database_url(admin_url, "postgres")), autocommit=True) as admin:
        admin.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
        try:
            exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if exists and (rebuild or not _is_complete(url)):
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
                if not _complete(conn):
                    build(conn, url)
                    conn.commit()
        finally:
            admin.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))
    return url


def scale_jurisdiction_id(url: str) -> int:
    with psycopg.connect(_plain(url)) as conn:
        return int(conn.execute("SELECT value FROM bench_scale_meta WHERE key = 'jurisdiction_id'").fetchone()[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--name", default=DEFAULT_NAME, help="database name (default: %(default)s)")
    parser.add_argument("--admin-url", default=os.environ.get("DATABASE_URL"),
                        help="any URL of the cluster (default: $DATABASE_URL)")
    parser.add_argument("--rebuild", action="store_true", help="build again even if complete")
    args = parser.parse_args(argv)
    if not args.admin_url:
        parser.error("--admin-url or DATABASE_URL is required (eval \"$(scripts/services.sh env)\")")
    print(ensure_scale_database(args.admin_url, args.name, rebuild=args.rebuild))
    return 0


if __name__ == "__main__":
    sys.exit(main())
