"""Benchmark the public map against the issue's targets, on 1,000,000 reports.

Usage::

    python bench/bench_public.py [--seconds 8] [--port 5601] [--markdown FILE]

Uses the shared scale database (``bench.scale_data.ensure_scale_database``: 1M
reports, half of them in a dense city around 7.63° E 51.96° N; built once if
missing); if that cannot be built, its own database ``mm_bench_public`` (the
Harsewinkel demo town with 1M reports over its centre, built once), its own Redis on a Unix socket in a temp dir, a fake tile server on
127.0.0.1:PORT+1 (the configured TILE_URL, so nothing leaves the machine), and the
app under gunicorn on 127.0.0.1:PORT (2 workers × 4 threads, as ``make demo``).

(h) hello world: a route returning "ok" in the same gunicorn app - the baseline;
(b) ``/api/v1/reports.geojson`` for random street-level views in the city, each sized to
    hold about 500 reports (what a phone shows at zoom 16 in a dense city; the geo issue's
    "500-report viewport");
(c) ``/api/v1/clusters.geojson`` for random town-level views (zoom 13) in the city;
(b~) (b) again after the rounds while the map changes twice a second (a report in the city
    hidden, then shown again: a status being set, in effect), as in a town at work; measured
    after ``--seconds`` of such changes (see ``MapChanges``).

Requests/s with 8 client threads on kept-alive connections for ``--seconds`` each,
interleaved in rounds, after (b) has run once on its own right after the start (reported
as the cold figure: no worker holds the city's blocks yet). Target: b/h ≥ 0.5. Then:

(w) the map page's own HTML+JS+CSS (tiles and map data excluded), gzip-compressed as
    a proxy would send it: target < 250 KB;
(f) headless Chromium opens ``/karte`` on the city and measures the time from
    navigation start to the first markers drawn (the page's ``mm-first-markers``
    performance mark): target < 1 s; median of 5 fresh page loads.

With ``--towns both`` the same probes also run against the 50-town scale data
(``mm_bench_scale50``, issue 21: the benchmarked town as one of 50 sharing the 1M
reports) under a second gunicorn on PORT+2, requests carrying the town's host name and
no DEFAULT_JURISDICTION; the rounds alternate between both, and each data set's figures
are divided by its own hello world. The second data set's cold figure is taken once the first
one's workers have finished reading blocks (they would otherwise share the machine with it). That comparison goes to the section
``bench_public_towns``; the first markers are measured on both (the 50-town page opened
on the town's host name, which Chromium resolves to 127.0.0.1).

With ``--markdown FILE`` the table replaces the part of FILE between
``<!-- bench_public:start -->`` and ``<!-- bench_public:end -->``. The exit status is 1
when a target is missed.
"""
from __future__ import annotations

import argparse
import gzip
import os
import platform
import random
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from bench.harness import start_gunicorn, start_redis, stop, write_section  # noqa: E402
from bench.scale_data import TOWNS  # noqa: E402

OWN_DATABASE = "mm_bench_public"
OWN_REPORTS = 1_000_000
# Our own data set (used when the shared scale database cannot be built): the Harsewinkel
# demo town and 1M reports spread over its centre, in the same shape as scale_data's city.
OWN_BBOX = (8.16, 51.92, 8.30, 51.99)

THREADS = 8
WEIGHT_TARGET = 250 * 1024
FIRST_MARKERS_TARGET_MS = 1000.0


def own_database(admin_url: str) -> str:
    """Create (once) mm_bench_public: migrated, the demo town, 1M reports; returns its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from app.cli import run_migrations

    base = make_url(admin_url)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": OWN_DATABASE}).scalar():
            conn.execute(text(f'CREATE DATABASE "{OWN_DATABASE}"'))
    admin.dispose()
    url = base.set(database=OWN_DATABASE).render_as_string(hide_password=False)
    run_migrations(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        have = conn.execute(text("SELECT count(*) FROM reports")).scalar()
    if have < OWN_REPORTS:
        from app import create_app
        from app.db import db

        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "DATABASE_URL": url})
        with app.app_context():
            from app.demo.load import load_town
            from app.jurisdictions.models import Jurisdiction

            if db.session.query(Jurisdiction).filter_by(slug="harsewinkel.de").first() is None:
                load_town(db.session)
                db.session.commit()
            db.session.remove()
        print(f"[bench_public] inserting {OWN_REPORTS:,} reports into {OWN_DATABASE}", flush=True)
        minlon, minlat, maxlon, maxlat = OWN_BBOX
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE reports RESTART IDENTITY CASCADE"))
            conn.execute(text("""
                INSERT INTO reports (jurisdiction_id, reference, category_id, department_id, routing_explanation,
                    location, description, description_published, hidden, priority, status, status_changed_at,
                    reporter_email_confirmed, locale, created_at, updated_at)
                SELECT j.id, 'HB-' || g, c.ids[1 + g % array_length(c.ids, 1)], d.id, '',
                    ST_SetSRID(ST_MakePoint(:minlon + random() * (:maxlon - :minlon),
                                            :minlat + random() * (:maxlat - :minlat)), 4326),
                    'Bench', true, g % 100 = 0, 0,
                    CASE WHEN g % 5 = 0 THEN 'erledigt' WHEN g % 5 = 1 THEN 'in_bearbeitung' ELSE 'eingegangen' END,
                    now() - (g % 1000) * interval '1 day' / 2, false, 'de',
                    now() - (g % 1000) * interval '1 day', now()
                FROM generate_series(1, :n) AS g,
                     (SELECT id FROM jurisdictions WHERE slug = 'harsewinkel.de') AS j,
                     (SELECT array_agg(id ORDER BY id) AS ids FROM categories) AS c,
                     (SELECT min(id) AS id FROM departments) AS d
            """), {"n": OWN_REPORTS, "minlon": minlon, "minlat": minlat, "maxlon": maxlon, "maxlat": maxlat})
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE reports"))
    engine.dispose()
    return url


def start_tiles(port: int) -> ThreadingHTTPServer:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), (226, 232, 220)).save(buffer, "PNG")
    png = buffer.getvalue()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(png)))
            self.end_headers()
            self.wfile.write(png)

        def log_message(self, *_args):
            pass

    class Server(ThreadingHTTPServer):
        def handle_error(self, request, client_address):
            # Chromium drops tile connections when a page closes: not worth a traceback.
            if not isinstance(sys.exc_info()[1], ConnectionError):
                super().handle_error(request, client_address)

    server = Server(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def street_view_size(url: str, bbox, reports: int = 500) -> tuple[float, float]:
    """Width and height (degrees, the city's aspect) of a view holding about ``reports`` public
    reports; the generated cities are uniformly dense."""
    import math

    import psycopg
    from sqlalchemy.engine import make_url

    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain) as conn:
        count = conn.execute("SELECT count(*) FROM reports WHERE NOT hidden AND status <> 'unbestaetigt' "
                             "AND location && ST_MakeEnvelope(%s, %s, %s, %s, 4326)", tuple(bbox)).fetchone()[0]
    scale = math.sqrt(reports / max(count, 1))
    return (bbox[2] - bbox[0]) * scale, (bbox[3] - bbox[1]) * scale


def worker_memory_mb(master_pid: int) -> list[float]:
    """Resident memory of each child of ``master_pid`` (gunicorn's workers), from /proc."""
    sizes = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:  # the process ended meanwhile
            continue
        if fields.get("PPid", "").strip() == str(master_pid) and "VmRSS" in fields:
            sizes.append(int(fields["VmRSS"].split()[0]) / 1024)
    return sorted(sizes)


def workers_cpu_seconds(master_pid: int) -> float:
    """CPU time (user + system) used so far by the children of ``master_pid``, from /proc."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:  # the process ended meanwhile
            continue
        if fields[1] == str(master_pid):  # ppid; utime and stime follow at 11 and 12
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def wait_until_idle(master_pid: int, timeout: float = 180.0) -> float:
    """Seconds until the workers of ``master_pid`` use less than 5 % of a core over a second
    (with no requests: their background reads of map blocks are done); at most ``timeout``."""
    started = time.perf_counter()
    used = workers_cpu_seconds(master_pid)
    while time.perf_counter() - started < timeout:
        time.sleep(1.0)
        now = workers_cpu_seconds(master_pid)
        if now - used < 0.05:
            break
        used = now
    return time.perf_counter() - started


def random_view(rng: random.Random, bbox, width_deg: float, height_deg: float) -> str:
    minlon, minlat, maxlon, maxlat = bbox
    lon = rng.uniform(minlon, maxlon - width_deg)
    lat = rng.uniform(minlat, maxlat - height_deg)
    return f"{lon:.5f},{lat:.5f},{lon + width_deg:.5f},{lat + height_deg:.5f}"


def requests_per_second(base: str, make_path, seconds: float, host: str | None = None) -> tuple[float, int]:
    """Requests/s over ``seconds`` with THREADS clients (sending ``host`` as the Host header when
    given); also returns non-200 answers."""
    done = [0]
    errors = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(seed: int) -> None:
        rng = random.Random(seed)
        session = requests.Session()
        if host:
            session.headers["Host"] = host
        count = bad = 0
        while time.perf_counter() < deadline:
            response = session.get(base + make_path(rng), timeout=30)
            count += 1
            bad += response.status_code != 200
        with lock:
            done[0] += count
            errors[0] += bad

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(seed,)) for seed in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done[0] / (time.perf_counter() - started), errors[0]


class MapChanges:
    """Twice a second, one visible report in ``bbox`` is hidden, and shown again the next time
    (each its own committed transaction), so the town's map version moves as staff at work
    move it; ``stop()`` leaves every report as it was."""

    def __init__(self, url: str, bbox, every_seconds: float = 0.5) -> None:
        import psycopg
        from sqlalchemy.engine import make_url

        plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.conn = psycopg.connect(plain, autocommit=True)
        self.ids = [row[0] for row in self.conn.execute(
            "SELECT id FROM reports WHERE NOT hidden AND status <> 'unbestaetigt' "
            "AND location && ST_MakeEnvelope(%s, %s, %s, %s, 4326) ORDER BY random() LIMIT 200", tuple(bbox))]
        self.every, self.changes, self.hidden = every_seconds, 0, None
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> MapChanges:
        self.thread.start()
        return self

    def _run(self) -> None:
        rng = random.Random(7)
        while not self._stop.wait(self.every):
            if self.hidden is None:
                self.hidden = rng.choice(self.ids)
                self.conn.execute("UPDATE reports SET hidden = true WHERE id = %s", (self.hidden,))
            else:
                self.conn.execute("UPDATE reports SET hidden = false WHERE id = %s", (self.hidden,))
                self.hidden = None
            self.changes += 1

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(timeout=10)
        if self.hidden is not None:
            self.conn.execute("UPDATE reports SET hidden = false WHERE id = %s", (self.hidden,))
        self.conn.close()


def page_weight(base: str) -> tuple[int, int, list[tuple[str, int, int]]]:
    """(raw bytes, gzip bytes, per file) of the map page and the scripts/styles it names."""
    html = requests.get(base + "/karte").text
    urls = ["/karte"] + re.findall(r'<(?:script|link)[^>]+(?:src|href)="(/[^"]+\.(?:js|css))"', html)
    urls += [u for u in re.findall(r'<script src="(/karte/karte\.js)"', html) if u not in urls]
    rows = []
    for url in dict.fromkeys(urls):
        body = requests.get(base + url).content
        rows.append((url, len(body), len(gzip.compress(body, 6))))
    return sum(r[1] for r in rows), sum(r[2] for r in rows), rows


def first_markers_ms(base: str, bbox, loads: int, host: str | None = None) -> list[float]:
    """Navigation start to the page's ``mm-first-markers`` mark, per fresh page load; with ``host``
    the page is opened on that host name (resolved to the server of ``base`` by Chromium)."""
    from urllib.parse import urlsplit

    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    lon = (bbox[0] + bbox[2]) / 2
    lat = (bbox[1] + bbox[3]) / 2
    args = list(CHROMIUM_ARGS)
    if host:
        server = urlsplit(base)
        args.append(f"--host-resolver-rules=MAP {host} {server.hostname}")
        base = f"http://{host}:{server.port}"
    times = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        for _ in range(loads):
            context = browser.new_context(viewport={"width": 1200, "height": 900})  # fresh cache each time
            page = context.new_page()
            page.goto(f"{base}/karte?lat={lat:.5f}&lon={lon:.5f}&z=13")
            page.wait_for_function("() => performance.getEntriesByName('mm-first-markers').length > 0", timeout=30000)
            times.append(page.evaluate("() => performance.getEntriesByName('mm-first-markers')[0].startTime"))
            PHASES.append(page.evaluate(PHASES_JS))
            context.close()
            # The baseline right after, in a fresh context too: the same styles and Leaflet, one
            # marker drawn by a static script (bench.harness), at the same machine load.
            context = browser.new_context(viewport={"width": 1200, "height": 900})
            page = context.new_page()
            page.goto(f"{base}/_bench/map-baseline?lat={lat:.5f}&lon={lon:.5f}")
            page.wait_for_function("() => performance.getEntriesByName('mm-first-markers').length > 0", timeout=30000)
            BASELINE.append(page.evaluate("() => performance.getEntriesByName('mm-first-markers')[0].startTime"))
            context.close()
        browser.close()
    return times


# The baseline page's times (``/_bench/map-baseline``), one after each load of the map page.
BASELINE: list[float] = []


# Where a first-markers time goes (issue 17: the browser's work or the server's?), from the
# page's Navigation and Resource Timing entries, in ms since navigation start.
PHASES: list[dict] = []
PHASES_JS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const api = performance.getEntriesByType('resource').filter(e => e.name.includes('/api/v1/'));
  const first = api[0] || {};
  return {
    html_server: nav.responseStart - nav.requestStart,
    html: nav.responseEnd,
    dom: nav.domContentLoadedEventEnd,
    api_start: first.requestStart || 0,
    api_server: (first.responseStart || 0) - (first.requestStart || 0),
    api_end: api.length ? Math.max(...api.map(e => e.responseEnd)) : 0,
    api_calls: api.length,
  };
}"""


def baseline_text(first: list[float], baseline: list[float]) -> str:
    """The first-markers times against the baseline page's, loaded in turn with them."""
    if not baseline:
        return ""
    ratio = statistics.median(first) / statistics.median(baseline)
    return (f"Baseline in the same run, loaded after each of those: a page with the same styles and Leaflet "
            f"whose one marker a static script draws (no folium page, no map API): median "
            f"{statistics.median(baseline):.0f} ms ({ms_list(baseline)}); the map page takes {ratio:.2f}× that.")


def phases_text(phases: list[dict]) -> str:
    """Medians of the load phases of ``phases`` (PHASES entries) as one sentence."""
    if not phases:
        return ""
    med = {key: statistics.median(p[key] for p in phases) for key in phases[0]}
    return (f"Where the time goes (medians, ms after navigation start): the server took {med['html_server']:.0f} "
            f"to the HTML's first byte, the HTML was in at {med['html']:.0f}, "
            f"DOMContentLoaded (styles and scripts read) at {med['dom']:.0f}, the first map API request left at "
            f"{med['api_start']:.0f} and the server took {med['api_server']:.0f} to its first byte; the "
            f"{med['api_calls']:.0f} API answer(s) were in at {med['api_end']:.0f}; the rest is drawing.")


def emit(lines: list[str], markdown: Path | None, section: str, heading: str) -> None:
    """Print a result and, with ``--markdown``, put it into its section of the file."""
    table = "\n".join(lines)
    print(table)
    if markdown:
        write_section(markdown, section, table, heading=heading)


def ms_list(values: list[float]) -> str:
    return ", ".join(f"{v:.0f}" for v in values)


def mb_list(values: list[float]) -> str:
    return ", ".join(f"{v:.0f} MB" for v in values)


class Target:
    """One data set served by its own gunicorn: the one-town scale data (any host, through
    DEFAULT_JURISDICTION) or the 50-town data (the benchmarked town's host, no default town)."""

    def __init__(self, label: str, url: str, slug: str, bbox, host: str | None) -> None:
        self.label, self.url, self.slug, self.bbox, self.host = label, url, slug, bbox, host
        self.gunicorn = None
        self.base = ""
        self.probes: dict = {}
        self.street = (0.0, 0.0)

    def start(self, workdir: Path, port: int, tile_port: int) -> None:
        self.gunicorn = start_gunicorn(
            "bench.harness:bench_app()", database_url=self.url, workdir=workdir, port=port,
            # /healthz answers on any host; the hello route, like every page, only on a town's.
            ready_path="/_bench/hello" if self.host is None else "/healthz", name=f"public-{port}",
            DEFAULT_JURISDICTION="" if self.host else self.slug,
            TILE_URL=f"http://127.0.0.1:{tile_port}/{{z}}/{{x}}/{{y}}.png")
        self.base = f"http://127.0.0.1:{port}"
        self.street = street_view_size(self.url, self.bbox)
        bbox, (street_w, street_h) = self.bbox, self.street
        self.probes = {
            "h": lambda rng: "/_bench/hello",
            "b": lambda rng: "/api/v1/reports.geojson?bbox=" + random_view(rng, bbox, street_w, street_h),
            "c": lambda rng: "/api/v1/clusters.geojson?zoom=13&bbox=" + random_view(rng, bbox, 0.12, 0.06),
        }

    def rate(self, key: str, seconds: float) -> tuple[float, int]:
        return requests_per_second(self.base, self.probes[key], seconds, self.host)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds per measurement (default 8)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--port", type=int, default=5601, help="gunicorn port; the tile server uses PORT+1, "
                        "the 50-town gunicorn PORT+2")
    parser.add_argument("--markdown", type=Path, help="write the table into this Markdown file")
    parser.add_argument("--towns", choices=("1", "both"), default="1",
                        help="both: also the 50-town scale data (bench.scale_data, towns=50) under a second "
                             "gunicorn, interleaved round by round with the one-town data; its figures go to "
                             "the section bench_public_towns")
    args = parser.parse_args(argv)

    admin_url = os.environ.get("DATABASE_URL")
    if not admin_url:
        print("DATABASE_URL is not set: eval \"$(scripts/services.sh env)\" first", file=sys.stderr)
        return 2
    targets: list[Target] = []
    try:
        from bench.scale_data import CITY_BBOX, SLUG, ensure_scale_database

        targets.append(Target("one town", ensure_scale_database(admin_url), SLUG, CITY_BBOX, None))
        source = "the shared scale database (bench.scale_data, 1,000,000 reports)"
    except Exception as exc:  # the shared builder is not usable: our own data set
        if args.towns != "1":
            raise
        print(f"[bench_public] shared scale database unavailable ({type(exc).__name__}: {exc}); "
              f"using {OWN_DATABASE}", file=sys.stderr)
        targets.append(Target("one town", own_database(admin_url), "harsewinkel.de", OWN_BBOX, None))
        source = f"own database {OWN_DATABASE} (Harsewinkel, {OWN_REPORTS:,} reports over 0.14° × 0.07°)"
    if args.towns == "both":
        from bench.scale_data import scale_host

        url = ensure_scale_database(admin_url, towns=TOWNS)
        targets.append(Target(f"{TOWNS} towns", url, SLUG, CITY_BBOX, scale_host(url)))
    workdir = Path(tempfile.mkdtemp(prefix="bench-public-"))
    redis_process = start_redis(workdir)
    tiles = start_tiles(args.port + 1)
    started_at = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load_before = os.getloadavg()
    results: dict[str, dict[str, list[float]]] = {}
    failures: dict[str, dict[str, int]] = {}
    cold: dict[str, tuple[float, int]] = {}
    loading: dict[str, float] = {}  # seconds the workers were still busy after the cold phase
    changing: dict[str, tuple[float, int, int]] = {}
    first: dict[str, list[float]] = {}
    phases: dict[str, list[dict]] = {}
    baseline: dict[str, list[float]] = {}
    memory: dict[str, list[float]] = {}
    try:
        for number, target in enumerate(targets):
            target.start(workdir, args.port + 2 * number, args.port + 1)
        # Right after the start no worker holds a block of the city (geo/mapcache.py): street
        # views are answered by the database while the blocks are read in the background. Those
        # reads go on well after the cold phase; the next data set's cold phase starts once they
        # are done, or it would share the machine with them (and the one measured first never).
        for target in targets:
            cold[target.label] = target.rate("b", args.seconds)
            loading[target.label] = wait_until_idle(target.gunicorn.pid)
        for target in targets:
            for key in target.probes:  # warm-up: imports, pools, caches
                target.rate(key, 1.0)
        for target in targets:
            results[target.label] = {k: [] for k in target.probes}
            failures[target.label] = {k: 0 for k in target.probes}
        for round_number in range(args.rounds):
            # Each probe on one data set right after the other, the order turned every round,
            # so that the two data sets' figures of a probe meet the same machine load.
            order = targets if round_number % 2 == 0 else targets[::-1]
            for key in targets[0].probes:
                for target in order:
                    rps, bad = target.rate(key, args.seconds)
                    results[target.label][key].append(rps)
                    failures[target.label][key] += bad
        for target in targets:
            changes = MapChanges(target.url, target.bbox).start()
            try:
                # The first change may follow a version the block log does not hold (one made before
                # revision 1002, or by a category change): then the workers read the city afresh, as
                # after a start. What is measured is the steady state after that.
                target.rate("b", args.seconds)
                rps, bad = target.rate("b", args.seconds)
            finally:
                changes.stop()
            changing[target.label] = (rps, bad, changes.changes)
        raw, packed, files = page_weight(targets[0].base)
        for target in targets:
            PHASES.clear()
            BASELINE.clear()
            first[target.label] = first_markers_ms(target.base, target.bbox, 5, target.host)
            phases[target.label] = list(PHASES)
            baseline[target.label] = list(BASELINE)
            memory[target.label] = worker_memory_mb(target.gunicorn.pid)
    finally:
        for target in targets:
            if target.gunicorn is not None:
                stop(target.gunicorn)
        tiles.shutdown()
        redis_process.terminate()
        redis_process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
    load_after = os.getloadavg()

    def medians(label: str) -> tuple[float, float, float]:
        return tuple(statistics.median(results[label][k]) for k in ("h", "b", "c"))

    one = targets[0]
    h, b, c = medians(one.label)
    street_w, street_h = one.street
    cold_rps, cold_bad = cold[one.label]
    changing_rps, changing_bad, change_count = changing[one.label]
    first_median = statistics.median(first[one.label])
    ok_rps = b / h >= 0.5
    ok_weight = packed < WEIGHT_TARGET
    ok_first = first_median < FIRST_MARKERS_TARGET_MS
    load_text = (f"load average {load_before[0]:.1f} / {load_before[1]:.1f} / {load_before[2]:.1f} at the start, "
                 f"{load_after[0]:.1f} / {load_after[1]:.1f} / {load_after[2]:.1f} at the end")
    command = "python bench/bench_public.py" + (" --towns both" if args.towns == "both" else "") + " --markdown FILE"
    lines = [
        f"Public map on {source}; gunicorn 2 workers × 4 threads, {THREADS} client "
        f"threads, median of {args.rounds} interleaved rounds of {args.seconds:g} s; Python "
        f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores (shared). "
        f"Measured {started_at}, {load_text}; `{command}`.",
        "",
        "| probe | requests/s | ÷ hello | non-200 |",
        "|---|---:|---:|---:|",
        f"| (h) hello world (baseline) | {h:.0f} | 1.00 | {failures[one.label]['h']} |",
        f"| (b) reports.geojson, street view of ≈ 500 reports ({street_w * 68:.1f} km × {street_h * 111:.1f} km) "
        f"| {b:.0f} | {b / h:.2f} | {failures[one.label]['b']} |",
        f"| (c) clusters.geojson, zoom 13 | {c:.0f} | {c / h:.2f} | {failures[one.label]['c']} |",
        f"| (b) in the first {args.seconds:g} s after the start, before the rounds (blocks still being read) "
        f"| {cold_rps:.0f} | {cold_rps / h:.2f} | {cold_bad} |",
        f"| (b~) after the rounds, while the map changes twice a second ({change_count} changes in "
        f"{2 * args.seconds:g} s, measured in the last {args.seconds:g} s) "
        f"| {changing_rps:.0f} | {changing_rps / h:.2f} | {changing_bad} |",
        "",
        f"Target b/h ≥ 0.5 — {'met' if ok_rps else 'NOT MET'}. Street views are answered from each worker's "
        f"memory once it holds the blocks around them (geo/mapcache.py; a change of the town's map shows after "
        f"at most MAP_CACHE_RECHECK_SECONDS, and only the blocks a change touched are read again); resident "
        f"memory per gunicorn worker after the run: {mb_list(memory[one.label])}.",
        "",
        "| map page file | bytes | gzip bytes |",
        "|---|---:|---:|",
        *[f"| `{u}` | {r} | {p} |" for u, r, p in files],
        f"| **total** | {raw} | {packed} |",
        "",
        f"Target < 250 KB compressed — {'met' if ok_weight else 'NOT MET'} ({packed / 1024:.0f} KB). "
        "(gunicorn itself does not compress; a reverse proxy would.)",
        "",
        f"First markers in headless Chromium (fresh context, city view at zoom 13): median {first_median:.0f} ms "
        f"of {len(first[one.label])} loads ({ms_list(first[one.label])} ms). "
        f"Target < 1 s — {'met' if ok_first else 'NOT MET'}. {phases_text(phases[one.label])} "
        f"{baseline_text(first[one.label], baseline[one.label])}",
    ]
    emit(lines, args.markdown, "bench_public", "Public map (bench_public)")
    if len(targets) > 1:
        many = targets[1]
        rows = [("(h) hello world (baseline)", "h"), ("(b) reports.geojson, street view of ≈ 500 reports", "b"),
                ("(c) clusters.geojson, zoom 13", "c")]
        towns_lines = [
            f"The public map of the benchmarked town `{one.slug}` alone in its installation (`mm_bench_scale`, "
            f"served through DEFAULT_JURISDICTION) and as one of the {many.label} sharing the same 1,000,000 "
            f"reports (`mm_bench_scale50`, requests with `Host: {many.host}`, no DEFAULT_JURISDICTION); each under "
            f"its own gunicorn (2 workers × 4 threads), {THREADS} client threads, median of {args.rounds} rounds of "
            f"{args.seconds:g} s interleaved over both (each probe on one data set, then at once on the other, the "
            f"order turned every round). "
            f"Measured {started_at}, {load_text}; `{command}`.",
            "",
            f"| probe | one town: requests/s | ÷ its hello | {many.label}: requests/s | ÷ its hello "
            f"| ratio, {many.label} ÷ one town | non-200 (one / {TOWNS}) |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        h1, h50 = medians(one.label)[0], medians(many.label)[0]
        (n1, n50) = changing[one.label][2], changing[many.label][2]
        measured = [(text_, statistics.median(results[one.label][key]), statistics.median(results[many.label][key]),
                     failures[one.label][key], failures[many.label][key]) for text_, key in rows]
        measured += [(f"(b) first {args.seconds:g} s after the start (blocks still being read)",
                      cold[one.label][0], cold[many.label][0], cold[one.label][1], cold[many.label][1]),
                     (f"(b~) while the map changes twice a second ({n1} / {n50} changes)",
                      changing[one.label][0], changing[many.label][0], changing[one.label][1],
                      changing[many.label][1])]
        for text_, v1, v50, bad1, bad50 in measured:
            towns_lines.append(f"| {text_} | {v1:.0f} | {v1 / h1:.2f} | {v50:.0f} | {v50 / h50:.2f} "
                               f"| {(v50 / h50) / (v1 / h1):.2f} | {bad1} / {bad50} |")
        f1, f50 = statistics.median(first[one.label]), statistics.median(first[many.label])
        per_round = ", ".join(f"{(b50 / h50_) / (b1 / h1_):.2f}" for b1, h1_, b50, h50_ in zip(
            results[one.label]["b"], results[one.label]["h"], results[many.label]["b"], results[many.label]["h"]))
        towns_lines += [
            "",
            f"The street view's ratio, {many.label} ÷ one town, round by round (each data set ÷ its hello of "
            f"the same round): {per_round}. After the first {args.seconds:g} s the workers went on reading the "
            f"city's blocks for {loading[one.label]:.0f} s (one town) and {loading[many.label]:.0f} s "
            f"({many.label}) with no requests; each cold phase began with the other data set's workers idle.",
            "",
            f"First markers in headless Chromium (median of 5 fresh loads): one town {f1:.0f} ms "
            f"({ms_list(first[one.label])}), {many.label} {f50:.0f} ms ({ms_list(first[many.label])}; the page "
            f"opened on `http://{many.host}:PORT`); {f50 / f1:.2f}× one town's. {phases_text(phases[many.label])} "
            f"{baseline_text(first[many.label], baseline[many.label])} "
            f"Resident memory per gunicorn worker after the run: one town {mb_list(memory[one.label])}; "
            f"{many.label} {mb_list(memory[many.label])}.",
        ]
        emit(towns_lines, args.markdown, "bench_public_towns",
             "Public map, one town and 50 towns (bench_public --towns both)")
    return 0 if ok_rps and ok_weight and ok_first else 1


if __name__ == "__main__":
    sys.exit(main())
