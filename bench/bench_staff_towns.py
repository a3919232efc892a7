"""The staff queue of one town alone and as one of 50 towns sharing 1,000,000 reports (issue 21).

Usage::

    python bench/bench_staff_towns.py [--requests 60] [--rounds 3] [--port 5701] [--markdown FILE]

A small probe beside ``bench/bench_staff.py`` (which measures the whole staff workspace on
its own Harsewinkel data): the same queue pages on the two builds of
``bench/scale_data.py``:

* ``mm_bench_scale``: the benchmarked town ``scale.example`` alone (1,000,000 reports),
  served through DEFAULT_JURISDICTION;
* ``mm_bench_scale50``: the same town as one of 50 sharing the same reports (about 506,000
  of them its own), requests with its host name, no DEFAULT_JURISDICTION.

Each runs under its own gunicorn (2 workers × 4 threads, as ``make demo``; PORT and PORT+2)
with one Redis. Two accounts of the benchmarked town are added to each database for the
run and removed afterwards: a dispatcher (the whole town) and staff of ``dept-007``.
Sequential signed-in requests, p50/p95 in ms; each probe runs on one build and then on the
other, the order turned every round:

(h) hello world in the same app (each build's baseline);
(q) ``/intern/eingang``, the queue's first page (open reports, newest first, counts per
    status), as dispatcher and as department staff;
(u) ``/intern/eingang?zuweisung=niemand``, the unassigned ones, as dispatcher.

Reported: p95 ÷ that build's hello p95, and the 50-town ratio ÷ the one-town ratio (issue 21:
the queue keeps the ratio it has with one town). No target of its own; with ``--markdown FILE``
the table replaces the part of FILE between ``<!-- bench_staff_towns:start -->`` and
``<!-- bench_staff_towns:end -->``.
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
from bench.scale_data import (SLUG, TOWNS, _plain, ensure_scale_database, scale_host,  # noqa: E402
                              scale_jurisdiction_id)

ACCOUNTS = (("bench-towns-dispatcher", "dispatcher", None), ("bench-towns-staff", "staff", "dept-007"))
PASSWORD = "bench-towns-passwort"
PROBES = (("h", "(h) hello world (baseline)", 0, "/_bench/hello"),
          ("q_dispatcher", "(q) queue, first page, dispatcher (whole town)", 0, "/intern/eingang"),
          ("q_staff", "(q) queue, first page, department staff", 1, "/intern/eingang"),
          ("u_dispatcher", "(u) queue, first page, unassigned, dispatcher", 0, "/intern/eingang?zuweisung=niemand"))


def remove_accounts(conn) -> None:
    ids = [r[0] for r in conn.execute("SELECT id FROM staff_users WHERE username = ANY(%s)",
                                      ([name for name, _, _ in ACCOUNTS],))]
    conn.execute("DELETE FROM audit_log WHERE staff_user_id = ANY(%s)", (ids,))
    conn.execute("DELETE FROM staff_users WHERE id = ANY(%s)", (ids,))


def add_accounts(url: str) -> None:
    from argon2 import PasswordHasher

    hashed = PasswordHasher().hash(PASSWORD)
    jid = scale_jurisdiction_id(url)
    with psycopg.connect(_plain(url)) as conn:
        remove_accounts(conn)
        for name, role, department in ACCOUNTS:
            dept = None
            if department:
                dept = conn.execute("SELECT id FROM departments WHERE jurisdiction_id = %s AND code = %s",
                                    (jid, department)).fetchone()[0]
            conn.execute("INSERT INTO staff_users (jurisdiction_id, username, display_name, password_hash, role, "
                         "department_id, active, created_at) VALUES (%s, %s, '', %s, %s, %s, true, now())",
                         (jid, name, hashed, role, dept))
        conn.commit()


class Target:
    def __init__(self, label: str, url: str) -> None:
        self.label, self.url = label, url
        self.host = scale_host(url)
        self.gunicorn = None
        self.base = ""
        self.sessions: list[requests.Session] = []

    def start(self, workdir: Path, port: int) -> None:
        self.gunicorn = start_gunicorn(
            "bench.harness:bench_app()", database_url=self.url, workdir=workdir, port=port,
            ready_path="/healthz", name=f"staff-towns-{port}", DEFAULT_JURISDICTION="" if self.host else SLUG)
        self.base = f"http://127.0.0.1:{port}"
        self.sessions = [self.signed_in(name) for name, _, _ in ACCOUNTS]

    def signed_in(self, username: str) -> requests.Session:
        session = requests.Session()
        if self.host:
            session.headers["Host"] = self.host
        page = session.get(self.base + "/intern/anmelden").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        response = session.post(self.base + "/intern/anmelden", data={"csrf_token": token, "username": username,
                                                                       "password": PASSWORD}, allow_redirects=False)
        assert response.status_code == 303, response.status_code
        return session

    def latencies(self, account: int, path: str, count: int) -> tuple[list[float], int]:
        session = self.sessions[account]
        times, failures = [], 0
        for _ in range(count):
            started = time.perf_counter()
            response = session.get(self.base + path)
            times.append((time.perf_counter() - started) * 1000)
            failures += response.status_code != 200
        return times, failures


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=60, help="requests per probe and round (default: %(default)s)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--port", type=int, default=5701)
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args(argv)
    admin_url = os.environ.get("DATABASE_URL")
    if not admin_url:
        parser.error('DATABASE_URL is required (eval "$(scripts/services.sh env)")')
    targets = [Target("one town", ensure_scale_database(admin_url)),
               Target(f"{TOWNS} towns", ensure_scale_database(admin_url, towns=TOWNS))]
    for target in targets:
        add_accounts(target.url)
    workdir = Path(tempfile.mkdtemp(prefix="bench-staff-towns-"))
    redis = start_redis(workdir)
    started_at = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load_before = os.getloadavg()
    results = {t.label: {key: [] for key, *_ in PROBES} for t in targets}
    failures = {t.label: {key: 0 for key, *_ in PROBES} for t in targets}
    try:
        for number, target in enumerate(targets):
            target.start(workdir, args.port + 2 * number)
        for target in targets:  # warm-up: imports, pools, the status counts
            for key, _text, account, path in PROBES:
                target.latencies(account, path, 3)
        for round_number in range(args.rounds):
            # Each probe on one build right after the other, the order turned every round, so
            # that both builds' figures of a probe meet the same machine load.
            order = targets if round_number % 2 == 0 else targets[::-1]
            for key, _text, account, path in PROBES:
                for target in order:
                    times, bad = target.latencies(account, path, args.requests)
                    results[target.label][key] += times
                    failures[target.label][key] += bad
    finally:
        for target in targets:
            if target.gunicorn is not None:
                stop(target.gunicorn)
        redis.terminate()
        redis.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
        for target in targets:
            with psycopg.connect(_plain(target.url)) as conn:
                remove_accounts(conn)
                conn.commit()
    load_after = os.getloadavg()
    one, many = targets
    lines = [
        f"Staff queue of the benchmarked town `{SLUG}` alone (`mm_bench_scale`, 1,000,000 reports, served "
        f"through DEFAULT_JURISDICTION) and as one of {TOWNS} towns sharing them (`mm_bench_scale50`, "
        f"requests with `Host: {many.host}`); each under its own gunicorn (2 workers × 4 threads); "
        f"{args.requests} sequential signed-in requests per probe and round, {args.rounds} rounds (each probe on "
        f"one build, then at once on the other, the order turned every round); Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores "
        f"(shared). Measured {started_at}, load average {load_before[0]:.1f} / {load_before[1]:.1f} / "
        f"{load_before[2]:.1f} at the start, {load_after[0]:.1f} / {load_after[1]:.1f} / {load_after[2]:.1f} at "
        f"the end; `python bench/bench_staff_towns.py --markdown FILE`.",
        "",
        f"| probe | one town: p50 / p95 ms | ÷ its hello p95 | {many.label}: p50 / p95 ms | ÷ its hello p95 "
        f"| ratio, {many.label} ÷ one town | non-200 (one / {TOWNS}) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    hello = {t.label: p95(results[t.label]["h"]) for t in targets}
    for key, text, _account, _path in PROBES:
        cells = []
        ratios = []
        for target in targets:
            values = results[target.label][key]
            ratio = p95(values) / hello[target.label]
            ratios.append(ratio)
            cells += [f"{statistics.median(values):.1f} / {p95(values):.1f}", f"{ratio:.1f}"]
        lines.append(f"| {text} | {' | '.join(cells)} | {ratios[1] / ratios[0]:.2f} "
                     f"| {failures[one.label][key]} / {failures[many.label][key]} |")
    table = "\n".join(lines)
    print(table)
    if args.markdown:
        write_section(args.markdown, "bench_staff_towns", table,
                      heading="Staff queue, one town and 50 towns (bench_staff_towns)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
