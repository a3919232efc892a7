"""Benchmark a citizen's submission with one 12-megapixel photo, end to end over HTTP.

Usage::

    python bench/bench_intake.py [--repeat N] [--port 5301] [--markdown FILE]

Sets up its own database ``mm_bench_intake`` (in the cluster of ``DATABASE_URL``;
created if missing, migrated, the demo town loaded once), its own Redis on a Unix
socket in a temp dir (rate limits, outbox queue) and a temp media directory, then
starts the web app under gunicorn on 127.0.0.1:PORT (default 5301; 2 workers × 4
threads, as ``make demo`` runs it) and posts to the JSON intake API, one request at
a time over a kept-alive connection:

(p) a report with one photo: the bench_media 4000×3000 JPEG (~4.6 MB, EXIF
    orientation 6, GPS) as an API client sends a camera original;
(t) the same report without a photo (the fixed cost: HTTP, routing in PostGIS,
    reference number, outbox, commit);
(m) media.process_photo on the same bytes in this process (what the photo must cost
    at least).

The three are interleaved run by run. The target is the issue's: (p) answers in
under 300 ms at the median. Ratios (p)/(m) and (p)/(t) show where the time goes.
The exit status is 1 when the target is missed. With ``--markdown FILE`` the table
replaces the part of FILE between ``<!-- bench_intake:start -->`` and
``<!-- bench_intake:end -->``.
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from bench.harness import start_gunicorn, start_redis, stop, write_section  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bench.bench_media import make_photo  # noqa: E402
from media import process_photo  # noqa: E402

DATABASE = "mm_bench_intake"
TARGET_MS = 300.0


def ensure_database(admin_url: str) -> str:
    """``mm_bench_intake`` migrated and with the demo town (no sample reports)."""
    from app import create_app
    from app.cli import run_migrations
    from app.db import db

    base = make_url(admin_url)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": DATABASE}).scalar():
            conn.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    admin.dispose()
    url = base.set(database=DATABASE).render_as_string(hide_password=False)
    run_migrations(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "DATABASE_URL": url, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        from app.jurisdictions.models import Jurisdiction

        if db.session.query(Jurisdiction).count() == 0:
            from app.demo.load import load_town

            load_town(db.session)
            db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return url


def submit(session: requests.Session, base: str, photo: bytes | None) -> float:
    files = {"photos": ("DSC_0001.JPG", photo, "image/jpeg")} if photo else None
    data = {"category": "schlagloch", "description": "Schlagloch vor der Kirche", "lat": "51.962", "lon": "8.229"}
    started = time.perf_counter()
    response = session.post(base + "/api/v1/intake/reports", data=data, files=files,
                            headers={"Idempotency-Key": uuid.uuid4().hex})
    elapsed = time.perf_counter() - started
    if response.status_code != 201:
        raise RuntimeError(f"submission failed: {response.status_code} {response.text[:300]}")
    return elapsed * 1000


def run(repeat: int, port: int) -> tuple[str, float]:
    admin_url = os.environ.get("DATABASE_URL")
    if not admin_url:
        raise SystemExit("DATABASE_URL is not set: eval \"$(scripts/services.sh env)\" first")
    url = ensure_database(admin_url)
    photo = make_photo()
    workdir = Path(tempfile.mkdtemp(prefix="bench_intake_"))
    redis_process = start_redis(workdir)
    server = None
    try:
        server = start_gunicorn("app:create_app({'INTAKE_RATE_LIMIT': '100000/minute'})", database_url=url,
                                workdir=workdir, port=port, ready_path="/melden", name="intake")
        base = f"http://127.0.0.1:{port}"
        with requests.Session() as session:
            for _ in range(3):  # warm-up: both workers, imports, connection pools
                submit(session, base, photo)
                submit(session, base, None)
            process_photo(photo)
            rounds = []
            for _ in range(repeat):
                with_photo = submit(session, base, photo)
                text_only = submit(session, base, None)
                started = time.perf_counter()
                process_photo(photo)
                rounds.append((with_photo, text_only, (time.perf_counter() - started) * 1000))
    finally:
        if server is not None:
            stop(server)
        redis_process.terminate()
        redis_process.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)
        _clean_reports(url)
    p, t, m = (statistics.median(column) for column in zip(*rounds))
    p90 = sorted(r[0] for r in rounds)[max(0, int(len(rounds) * 0.9) - 1)]
    table = "\n".join([
        f"Submission over HTTP to gunicorn (2 workers × 4 threads) on this machine, JSON intake API, "
        f"{len(photo) / 1e6:.1f} MB 4000×3000 JPEG with EXIF orientation 6; median of {repeat} runs, "
        f"interleaved; Python {platform.python_version()}.",
        "",
        "| measurement | median ms | (p) ÷ this row |",
        "|---|---:|---:|",
        f"| (p) submission with one 12 MP photo | {p:.0f} (p90 {p90:.0f}) | 1.00 |",
        f"| (t) the same submission without a photo | {t:.0f} | {p / t:.2f} |",
        f"| (m) media.process_photo alone, in process | {m:.0f} | {p / m:.2f} |",
        "",
        f"Target: (p) < {TARGET_MS:.0f} ms at the median — {'met' if p < TARGET_MS else 'NOT MET'}.",
    ])
    return table, p


def _clean_reports(url: str) -> None:
    """Keep the benchmark database small between runs (it is this benchmark's own)."""
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE outbox_messages, status_changes, photos, reports, reference_counters "
                          "RESTART IDENTITY CASCADE"))
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=25, help="submissions per kind (default 25)")
    parser.add_argument("--port", type=int, default=5301, help="gunicorn port (default 5301)")
    parser.add_argument("--markdown", type=Path, help="write the table into this Markdown file")
    args = parser.parse_args(argv)
    table, median = run(max(1, args.repeat), args.port)
    print(table)
    if args.markdown:
        write_section(args.markdown, "bench_intake", table)
    return 0 if median < TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
