"""Benchmark the staff workspace on 1,000,000 reports: the queue's first page and the dashboard.

Usage::

    python bench/bench_staff.py [--requests 200] [--port 5501] [--markdown FILE] [--rebuild]

Data: its own database ``mm_bench_staff`` in the private cluster (created, migrated
and filled once; later runs reuse it): the Harsewinkel town (7 departments, 10
categories, Ortsteile) and 1,000,000 reports spread over the town, created over the
last three years, ≈ 80 % open. Two accounts are added for the run and removed
afterwards: a dispatcher (sees the whole town) and department staff of ``tiefbau``.

The app runs under gunicorn on 127.0.0.1:PORT (2 workers × 4 threads, as ``make
demo``) with its own Redis on a Unix socket. Sequential signed-in requests, p50/p95
latency in ms of:

(h) a hello-world route in the same app (the baseline);
(q) ``/intern/eingang`` – the queue's first page with the default filters
    (open reports, newest first, counts per status), as dispatcher and as department staff;
(p) the queue 20 pages deep (keyset paging), as dispatcher;
(d) ``/intern/uebersicht`` – the dashboard (served from its background snapshot;
    the one-off cold computation is timed separately);
(a) ``/intern/eingang?zuweisung=meine`` – "Meine Aufgaben" of the department account, which
    has 1,500 open reports of its own and 3,000 through its team (issue 19);
(u) ``/intern/eingang?zuweisung=niemand`` – the unassigned ones, as department staff and as
    dispatcher (the whole town: about 800,000);
(w) ``/intern/meldungen/<id>/arbeitsauftrag.pdf`` – one work order (with a photo);
(r) ``/intern/laufzettel.pdf?zuweisung=meine`` – the route sheet of an account with 30
    open reports, one photo each.

Each of the 30 reports gets a built-up block around it (120 addresses on six streets, as a
town's address file gives), so the map excerpts carry house numbers as they do in a town.

Targets: (q) and (d) p95 < 200 ms (issue 6); (a) and (u) p95 < 50 ms, (w) < 1.5 s and (r)
< 10 s (issue 19). The assignments, the team, the photos, the addresses and the accounts are
added for the run (then analysed, as autovacuum would) and removed afterwards. With ``--markdown FILE`` the table
replaces the part of FILE between ``<!-- bench_staff:start -->`` and
``<!-- bench_staff:end -->``. Exit status 1 when a target is missed.
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import requests  # noqa: E402

from bench.harness import start_gunicorn, start_redis, stop, write_section  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

DB_NAME = "mm_bench_staff"
REPORTS = 1_000_000
TARGET_MS = 200.0
ASSIGNMENT_TARGET_MS = 50.0
WORK_ORDER_TARGET_MS = 1500.0
ROUTE_SHEET_TARGET_MS = 10_000.0
ROUTE_SHEET_SIZE = 30
ACCOUNTS = ("bench-dispatcher", "bench-tiefbau", "bench-kolonne")
PASSWORD = "bench-staff-passwort"
BUILD_VERSION = "staff-v1"


def _plain(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def database_url(admin_url: str) -> str:
    return make_url(admin_url).set(database=DB_NAME).render_as_string(hide_password=False)


def _log(message: str) -> None:
    print(f"[bench_staff] {message}", file=sys.stderr, flush=True)


def ensure_database(admin_url: str, rebuild: bool = False) -> str:
    """Create, migrate and fill ``mm_bench_staff`` once; returns its URL."""
    from app.cli import run_migrations

    url = database_url(admin_url)
    with psycopg.connect(_plain(make_url(admin_url).set(database="postgres").render_as_string(hide_password=False)),
                         autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,)).fetchone():
            _log(f"creating database {DB_NAME}")
            admin.execute(f'CREATE DATABASE "{DB_NAME}"')
    run_migrations(url)
    with psycopg.connect(_plain(url)) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_staff_meta (key text PRIMARY KEY, value text NOT NULL)")
        done = conn.execute("SELECT value FROM bench_staff_meta WHERE key = 'complete'").fetchone()
        conn.commit()
        if done and done[0] == BUILD_VERSION and not rebuild:
            return url
    build(url)
    return url


def build(url: str) -> None:
    from sqlalchemy import text

    from app import create_app
    from app.db import db
    from app.demo.load import load_town

    started = time.monotonic()
    # The town file is applied as ``flask town apply`` does: inside the app (it writes the audit log).
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "DATABASE_URL": url})
    with app.app_context():
        if db.session.execute(text("SELECT 1 FROM jurisdictions WHERE slug = 'harsewinkel.de'")).first() is None:
            load_town(db.session)
            db.session.commit()
        jid = db.session.execute(text("SELECT id FROM jurisdictions WHERE slug = 'harsewinkel.de'")).scalar_one()
        db.session.remove()
        db.engine.dispose()
    with psycopg.connect(_plain(url)) as conn:
        conn.execute("DELETE FROM bench_staff_meta")
        conn.execute("SET maintenance_work_mem = '256MB'")
        # Statement triggers keep derived tables (map cells, the queue's counts per status):
        # off for the load, and what the staff pages read is recounted after it. Row triggers
        # fill columns of the row itself (map_feature, NOT NULL) and stay on (tgtype bit 0 = row).
        triggers = [r[0] for r in conn.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'reports'::regclass AND NOT tgisinternal "
            "AND tgtype & 1 = 0")]
        for name in triggers:
            conn.execute(f'ALTER TABLE reports DISABLE TRIGGER "{name}"')
        conn.execute("DELETE FROM reports WHERE jurisdiction_id = %s", (jid,))
        conn.execute("SELECT setseed(0.6)")
        batch = 100_000
        for start in range(0, REPORTS, batch):
            # Points inside the town's bounding box; department/category pairs as the routing table has them.
            conn.execute("""
                INSERT INTO reports (jurisdiction_id, reference, category_id, department_id, routing_explanation,
                                     location, address, description, description_published, hidden, priority,
                                     status, status_changed_at, reporter_email, reporter_email_confirmed, locale,
                                     created_at, updated_at)
                SELECT %(j)s, 'BS-' || lpad(g::text, 8, '0'), rr.category_id, rr.department_id, 'Benchmark',
                       ST_SetSRID(ST_MakePoint(8.16 + random() * 0.14, 51.92 + random() * 0.08), 4326),
                       'Teststraße ' || (g %% 200), 'Benchmarkmeldung ' || g, true, random() < 0.01,
                       (g %% 7 = 0)::int,
                       CASE WHEN r < 0.40 THEN 'eingegangen' WHEN r < 0.60 THEN 'in_pruefung'
                            WHEN r < 0.80 THEN 'in_bearbeitung' WHEN r < 0.98 THEN 'erledigt'
                            WHEN r < 0.99 THEN 'abgelehnt' ELSE 'nicht_zustaendig' END,
                       t + CASE WHEN r >= 0.80 THEN random() * interval '30 days' ELSE interval '0' END,
                       'melder' || g || '@example.org', true, 'de', t, t
                FROM (SELECT g, random() AS r, now() - random() * interval '1095 days' AS t,
                             1 + (g %% 10) AS k
                      FROM generate_series(%(a)s, %(b)s) AS g) AS s
                JOIN LATERAL (SELECT category_id, department_id FROM routing_rules
                              WHERE jurisdiction_id = %(j)s AND area_id IS NULL AND category_id IS NOT NULL
                              ORDER BY category_id OFFSET s.k - 1 LIMIT 1) rr ON true
            """, {"j": jid, "a": start + 1, "b": start + batch})
            conn.commit()
            _log(f"  {start + batch:,} reports")
        for name in triggers:
            conn.execute(f'ALTER TABLE reports ENABLE TRIGGER "{name}"')
        conn.execute("SELECT report_status_counts_rebuild(%s)", (jid,))  # revision 0810
        conn.execute("INSERT INTO bench_staff_meta VALUES ('complete', %s)", (BUILD_VERSION,))
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE reports")
    _log(f"built in {time.monotonic() - started:.0f} s")


def add_accounts(url: str, media_url: str) -> tuple[list[int], int]:
    """The run's accounts, a team, assignments and photos; returns the account ids and the report
    id of the single work order."""
    from argon2 import PasswordHasher

    hashed = PasswordHasher().hash(PASSWORD)
    with psycopg.connect(_plain(url)) as conn:
        remove_run_data(conn)
        jid, dept = conn.execute("SELECT j.id, d.id FROM jurisdictions j JOIN departments d ON d.jurisdiction_id = j.id "
                                 "WHERE j.slug = 'harsewinkel.de' AND d.code = 'tiefbau'").fetchone()
        ids = [conn.execute("INSERT INTO staff_users (jurisdiction_id, username, display_name, password_hash, role, "
                            "department_id, active, created_at) VALUES (%s, %s, '', %s, %s, %s, true, "
                            "now()) RETURNING id", (jid, name, hashed, role, d)).fetchone()[0]
               for name, role, d in (("bench-dispatcher", "dispatcher", None), ("bench-tiefbau", "staff", dept),
                                     ("bench-kolonne", "staff", dept))]
        team = conn.execute("INSERT INTO staff_teams (jurisdiction_id, department_id, name) "
                            "VALUES (%s, %s, 'Bench Kolonne Nord') RETURNING id", (jid, dept)).fetchone()[0]
        conn.execute("INSERT INTO staff_team_members (team_id, staff_user_id) VALUES (%s, %s)", (team, ids[1]))
        # Open reports of the department in a fixed random order: 1,500 to the person, 3,000 to
        # their team, 30 to the route sheet's account; the rest stays unassigned.
        conn.execute("SELECT setseed(0.19)")
        chosen = [r[0] for r in conn.execute(
            "SELECT id FROM reports WHERE department_id = %s AND status IN ('eingegangen', 'in_pruefung', "
            "'in_bearbeitung') AND NOT hidden ORDER BY random() LIMIT %s", (dept, 4500 + ROUTE_SHEET_SIZE))]
        person, crew, sheet = chosen[:1500], chosen[1500:4500], chosen[4500:]
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO report_assignments (report_id, staff_user_id, team_id, assigned_at) "
                            "VALUES (%s, %s, %s, now())",
                            [(r, ids[1], None) for r in person] + [(r, None, team) for r in crew]
                            + [(r, ids[2], None) for r in sheet])
        _add_photos(conn, media_url, sheet)
        _add_addresses(conn, jid, sheet)
        conn.execute("DELETE FROM staff_dashboard_snapshots")
        conn.commit()
        # What autovacuum does a minute after such a change: without statistics the planner takes
        # the new assignments for one row and answers "unassigned" with a nested loop over all of them.
        conn.execute("ANALYZE report_assignments")
        conn.execute("ANALYZE staff_team_members")
        conn.execute("ANALYZE addresses")
        conn.commit()
    return ids, sheet[0]


def _add_addresses(conn, jurisdiction_id: int, report_ids: list[int]) -> None:
    """A built-up street block around each route sheet report (the map excerpts of a town with
    its address file: 120 houses within about 80 m, on six streets)."""
    conn.execute("""
        INSERT INTO addresses (jurisdiction_id, street, house_number, postcode, ortsteil, street_norm,
                               house_number_norm, house_number_int, location, source)
        SELECT %(j)s, s.street, n::text, '33428', 'Harsewinkel', lower(s.street), n::text, n,
               ST_SetSRID(ST_MakePoint(ST_X(r.location) + (random() - 0.5) * 0.0024,
                                       ST_Y(r.location) + (random() - 0.5) * 0.0014), 4326), 'bench-staff'
        FROM reports r, generate_series(1, 120) AS n,
             LATERAL (SELECT 'Benchweg ' || r.id || '-' || (n %% 6) AS street) AS s
        WHERE r.id = ANY(%(ids)s)
    """, {"j": jurisdiction_id, "ids": report_ids})


def _add_photos(conn, media_url: str, report_ids: list[int]) -> None:
    """One published photo (a 2000 × 1500 JPEG, stored in its variants as the app does) per report."""
    import io

    from PIL import Image, ImageDraw

    from media import storage_from_url
    from media.processing import process_photo
    from media.storage import store_processed

    image = Image.new("RGB", (2000, 1500), (90, 110, 90))
    ImageDraw.Draw(image).ellipse((600, 400, 1400, 1100), fill=(40, 40, 40))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    processed = process_photo(buffer.getvalue())
    store = storage_from_url(media_url)
    for report_id in report_ids:
        keys = store_processed(store, f"reports/{report_id}/bench", processed)
        conn.execute("INSERT INTO photos (report_id, position, variants, width, height, sha256, source_type, "
                     "published, created_at) VALUES (%s, 0, %s, %s, %s, %s, %s, true, now())",
                     (report_id, psycopg.types.json.Jsonb(keys), processed.width, processed.height, processed.sha256,
                      processed.source_type))


def remove_run_data(conn) -> None:
    """What ``add_accounts`` added (also what an interrupted run left)."""
    conn.execute("DELETE FROM photos WHERE variants ->> 'display' LIKE 'reports/%%/bench/%%'")
    conn.execute("DELETE FROM addresses WHERE source = 'bench-staff'")
    conn.execute("DELETE FROM staff_teams WHERE name = 'Bench Kolonne Nord'")  # members, assignments cascade
    ids = [r[0] for r in conn.execute("SELECT id FROM staff_users WHERE username = ANY(%s)", (list(ACCOUNTS),))]
    conn.execute("DELETE FROM audit_log WHERE staff_user_id = ANY(%s)", (ids,))
    conn.execute("DELETE FROM staff_users WHERE id = ANY(%s)", (ids,))  # assignments cascade


def signed_in(base: str, username: str) -> requests.Session:
    session = requests.Session()
    page = session.get(base + "/intern/anmelden").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = session.post(base + "/intern/anmelden", data={"csrf_token": token, "username": username,
                                                              "password": PASSWORD}, allow_redirects=False)
    assert response.status_code == 303, response.status_code
    return session


def latencies(session: requests.Session, url: str, count: int) -> tuple[list[float], int]:
    times, failures = [], 0
    for _ in range(count):
        started = time.perf_counter()
        response = session.get(url)
        times.append((time.perf_counter() - started) * 1000)
        failures += response.status_code != 200
    return times, failures


def _pages(pdf: bytes) -> int:
    """Pages of a PDF (poppler's pdfinfo, installed by the Makefile for the tests' pdftotext)."""
    import subprocess

    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per probe (default: %(default)s)")
    parser.add_argument("--documents", type=int, default=20, help="requests per PDF probe (default: %(default)s)")
    parser.add_argument("--port", type=int, default=5501)
    parser.add_argument("--markdown", type=Path)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args(argv)
    admin_url = os.environ.get("DATABASE_URL")
    if not admin_url:
        parser.error('DATABASE_URL is required (eval "$(scripts/services.sh env)")')
    url = ensure_database(admin_url, args.rebuild)
    workdir = Path(tempfile.mkdtemp(prefix="bench-staff-"))
    redis = start_redis(workdir)
    ids, work_order_report = add_accounts(url, str(workdir / "media"))
    gunicorn = None
    results: dict[str, tuple[list[float], int]] = {}
    try:
        gunicorn = start_gunicorn("bench.harness:bench_app()", database_url=url, workdir=workdir, port=args.port,
                                  ready_path="/_bench/hello", name="staff", DEFAULT_JURISDICTION="harsewinkel.de")
        base = f"http://127.0.0.1:{args.port}"
        dispatcher = signed_in(base, "bench-dispatcher")
        staff = signed_in(base, "bench-tiefbau")
        started = time.perf_counter()
        assert dispatcher.get(base + "/intern/uebersicht").status_code == 200
        cold_ms = (time.perf_counter() - started) * 1000
        # 20 pages deep by following the keyset links.
        deep = base + "/intern/eingang"
        for _ in range(20):
            match = re.search(r'rel="next" href="([^"]+)"', dispatcher.get(deep).text)
            deep = base + match.group(1).replace("&amp;", "&")
        crew = signed_in(base, "bench-kolonne")
        probes = {"h": (dispatcher, base + "/_bench/hello"), "q_dispatcher": (dispatcher, base + "/intern/eingang"),
                  "q_staff": (staff, base + "/intern/eingang"), "p": (dispatcher, deep),
                  "d": (dispatcher, base + "/intern/uebersicht"),
                  "a_staff": (staff, base + "/intern/eingang?zuweisung=meine"),
                  "u_staff": (staff, base + "/intern/eingang?zuweisung=niemand"),
                  "u_dispatcher": (dispatcher, base + "/intern/eingang?zuweisung=niemand")}
        documents = {"w": (crew, base + f"/intern/meldungen/{work_order_report}/arbeitsauftrag.pdf"),
                     "r": (crew, base + "/intern/laufzettel.pdf?zuweisung=meine")}
        for name, (session, target) in {**probes, **documents}.items():
            # warm-up; a PDF 4 times, so both gunicorn workers have laid out text before (fonts loaded)
            latencies(session, target, 10 if name in probes else 4)
        for name, (session, target) in probes.items():
            results[name] = latencies(session, target, args.requests)
        # The hello world again, right after the PDFs, so they too have a baseline of their own minute.
        for name, (session, target) in documents.items():
            results[name] = latencies(session, target, args.documents)
        results["h2"] = latencies(dispatcher, base + "/_bench/hello", args.requests)
        sheet_pages = _pages(crew.get(documents["r"][1]).content)
    finally:
        if gunicorn is not None:
            stop(gunicorn)
        redis.terminate()
        redis.wait(timeout=10)
        with psycopg.connect(_plain(url)) as conn:
            remove_run_data(conn)
            conn.commit()
        with psycopg.connect(_plain(url)) as conn:
            conn.execute("DELETE FROM staff_dashboard_snapshots")
            conn.commit()
        shutil.rmtree(workdir, ignore_errors=True)
    h95 = p(results["h"][0], 95)
    labels = {"h": "(h) hello world (baseline)", "q_dispatcher": "(q) queue, first page, dispatcher (whole town)",
              "q_staff": "(q) queue, first page, department staff", "p": "(p) queue, page 21 via keyset, dispatcher",
              "d": "(d) dashboard (snapshot)",
              "a_staff": "(a) queue, first page, \"Meine Aufgaben\" (1,500 own + 3,000 of the team)",
              "u_staff": "(u) queue, first page, unassigned, department staff",
              "u_dispatcher": "(u) queue, first page, unassigned, dispatcher (whole town)",
              "w": "(w) work order PDF, one report with a photo",
              "r": f"(r) route sheet PDF, {ROUTE_SHEET_SIZE} reports with a photo each ({sheet_pages} pages)",
              "h2": "(h) hello world again, after the PDFs"}
    targets = {"q_dispatcher": TARGET_MS, "q_staff": TARGET_MS, "d": TARGET_MS, "a_staff": ASSIGNMENT_TARGET_MS,
               "u_staff": ASSIGNMENT_TARGET_MS, "u_dispatcher": ASSIGNMENT_TARGET_MS, "w": WORK_ORDER_TARGET_MS,
               "r": ROUTE_SHEET_TARGET_MS}
    lines = [f"Staff workspace on {REPORTS:,} reports (`{DB_NAME}`); gunicorn 2 workers × 4 threads; "
             f"{args.requests} sequential signed-in requests per page probe, {args.documents} per PDF; "
             f"{platform.machine()}, {os.cpu_count()} cores (shared).", "",
             "| probe | p50 ms | p95 ms | p95 ÷ hello p95 | non-200 | target |", "|---|---:|---:|---:|---:|---|"]
    missed = False
    for name, label in labels.items():
        times, failures = results[name]
        p50, p95 = statistics.median(times), p(times, 95)
        limit = targets.get(name)
        target = f"p95 < {limit:,.0f} ms: {'met' if p95 < limit else 'MISSED'}" if limit else ""
        missed |= bool(limit) and p95 >= limit or failures > 0
        lines.append(f"| {label} | {p50:,.1f} | {p95:,.1f} | {p95 / h95:,.1f} | {failures} | {target} |")
    lines += ["", f"Dashboard cold computation (first view, no snapshot yet; afterwards refreshed in the background "
                  f"by an RQ job): {cold_ms:.0f} ms."]
    table = "\n".join(lines)
    print(table)
    if args.markdown:
        write_section(args.markdown, "bench_staff", table, heading="Staff workspace (bench_staff)")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
