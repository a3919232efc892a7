"""Benchmark `flask reports import` (issue 18: at least 1,000 reports/s for 2,500 and 100,000 rows).

Usage::

    eval "$(scripts/services.sh env)"; python bench/bench_import.py [--sizes 2500,100000] [--markdown FILE]

Builds the database ``mm_bench_import`` in the running cluster (dropped and re-created on each
run; nothing else is touched), migrates it and loads the demo town. For each size it writes a
CSV of that many reports spread over the town, then times, alternating, each twice:

(a) baseline: a plain ``INSERT INTO reports ... SELECT`` of the same rows from a table already
    in the database (fixed department, no checks, no routing, no history), plus the COPY that
    filled that table from the same values;
(b) ``import_reports`` on the CSV text: parse and check every row in Python, COPY, route
    set-based by the town's rules, insert reports and their history.

Each run is rolled back, so every round imports the same rows. It reports the best time of
each, reports per second and (b) as a multiple of (a). The target is (b) >= 1,000 reports/s;
the exit status is 1 when it is missed. With ``--markdown FILE`` the table replaces the part
of FILE between ``<!-- bench_import:start -->`` and ``<!-- bench_import:end -->``.
"""
from __future__ import annotations

import argparse
import csv
import io
import os
import platform
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import fresh_database, write_section  # noqa: E402

from sqlalchemy import text  # noqa: E402

TARGET = 1000.0
HEADER = ["reference", "service_code", "lat", "long", "status", "requested_datetime", "updated_datetime",
          "description", "address"]


def rows(count: int) -> list[list[str]]:
    rng = random.Random(count)
    codes = ["schlagloch", "strassenlaterne", "wilder-muell", "gruenflaeche", "spielplatz", "gully"]
    statuses = ["eingegangen", "in_bearbeitung", "erledigt", "closed", "open"]
    # Inside the demo town's bounds (most fall in it; routing decides).
    return [[f"ALT-{n:07d}", rng.choice(codes), f"{rng.uniform(51.93, 51.99):.6f}", f"{rng.uniform(8.17, 8.29):.6f}",
             rng.choice(statuses), "2024-03-01T08:00:00+01:00", "2024-04-02T10:30:00+02:00",
             f"Altmeldung {n}: Schaden am Gehweg", "Hauptstraße 1"] for n in range(count)]


def as_csv(data: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(data)
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="2500,100000")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args()
    url = fresh_database("mm_bench_import")
    from app import create_app
    from app.cli import run_migrations
    from app.db import db
    from app.demo.load import load_town
    from app.reports.importing import import_reports

    run_migrations(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "DATABASE_URL": url, "LOG_LEVEL": "WARNING"})
    lines = [f"`flask reports import` of a CSV without photos, best of {args.rounds} ({platform.python_version()}, "
             f"{os.cpu_count()} cores shared). Target: >= {TARGET:.0f} reports/s.", "",
             "| rows | (a) baseline: COPY + plain INSERT ... SELECT | (b) import | (b) reports/s | (b) / (a) time |",
             "|---:|---:|---:|---:|---:|"]
    ok = True
    with app.app_context():
        jurisdiction = load_town(db.session)
        db.session.commit()
        department = db.session.execute(text("SELECT id FROM departments WHERE jurisdiction_id = :j LIMIT 1"),
                                        {"j": jurisdiction.id}).scalar_one()
        category = db.session.execute(text("SELECT id FROM categories WHERE jurisdiction_id = :j LIMIT 1"),
                                      {"j": jurisdiction.id}).scalar_one()

        def baseline(data: list[list[str]]) -> float:
            start = time.perf_counter()
            db.session.execute(text("CREATE TEMP TABLE plain (reference text, lat float8, lon float8, "
                                    "description text, address text) ON COMMIT DROP"))
            raw = db.session.connection().connection.driver_connection
            with raw.cursor() as cursor, cursor.copy("COPY plain FROM STDIN") as copy:
                for r in data:
                    copy.write_row((r[0], float(r[2]), float(r[3]), r[7], r[8]))
            db.session.execute(text(
                "INSERT INTO reports (jurisdiction_id, reference, category_id, department_id, routing_explanation, "
                "location, address, description, description_published, hidden, priority, status, status_changed_at, "
                "reporter_email_confirmed, locale, created_at, updated_at) "
                "SELECT :j, reference, :c, :d, '', ST_SetSRID(ST_MakePoint(lon, lat), 4326), address, description, "
                "false, false, 0, 'erledigt', now(), false, 'de', now(), now() FROM plain"),
                {"j": jurisdiction.id, "c": category, "d": department})
            elapsed = time.perf_counter() - start
            db.session.rollback()
            return elapsed

        def full(text_: str) -> tuple[float, int]:
            start = time.perf_counter()
            result = import_reports(db.session, jurisdiction, text_, "csv")
            elapsed = time.perf_counter() - start
            db.session.rollback()
            return elapsed, result.imported

        for size in (int(s) for s in args.sizes.split(",")):
            data = rows(size)
            text_ = as_csv(data)
            a, b, imported = [], [], 0
            for _ in range(args.rounds):
                a.append(baseline(data))
                seconds, imported = full(text_)
                b.append(seconds)
            rate = imported / min(b)
            ok = ok and rate >= TARGET
            lines.append(f"| {size:,} ({imported:,} inside the town) | {min(a):.2f} s | {min(b):.2f} s | "
                         f"{rate:,.0f} | {min(b) / min(a):.1f} |")
        db.session.remove()
        db.engine.dispose()
    table = "\n".join(lines)
    print(table)
    if args.markdown:
        write_section(args.markdown, "bench_import", table, heading="Report import (issue 18)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
