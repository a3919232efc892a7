"""Benchmark resolving a request's town from its host (issue 21: at most 0.05 ms per request).

Usage::

    eval "$(scripts/services.sh env)"; python bench/bench_hosts.py [--rounds 20] [--markdown FILE]

Builds the database ``mm_bench_hosts`` in the running cluster (dropped and re-created on each
run), migrates it and adds 50 towns with two host names each (100 hosts). In the process, over
the app's WSGI stack (no network: the figure is the app's own work), it times interleaved round
by round, each round 2,000 requests:

(a) baseline: a hello-world route on a town's host with the town lookup switched off (the
    before-request hook answers at once);
(b) the same route on the same host with the lookup as deployed (the per-process host table,
    read from the database once per ``TOWN_HOSTS_CACHE_SECONDS``);
(c) the lookup alone: ``town_id_for_host`` in one request context, 20,000 calls.

It reports medians in µs per request, (b) - (a) as the cost per request and its ratio to (a).
With ``--markdown FILE`` the table replaces the part of FILE between ``<!-- bench_hosts:start -->``
and ``<!-- bench_hosts:end -->``.
"""
from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import fresh_database, write_section  # noqa: E402

DATABASE = "mm_bench_hosts"
TOWNS = 50
TARGET_US = 50.0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--markdown")
    args = parser.parse_args()

    from sqlalchemy import text

    from app import create_app
    from app.cli import run_migrations
    from app.db import db
    from app.jurisdictions import hosts

    url = fresh_database(DATABASE)
    run_migrations(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "DATABASE_URL": url, "LOG_LEVEL": "WARNING",
                      "DEFAULT_JURISDICTION": "", "SECRET_KEY": "bench-hosts-" + "k" * 30})
    app.add_url_rule("/_bench/hello", "bench_hello", lambda: "ok")
    with app.app_context():
        for n in range(TOWNS):
            town_id = db.session.execute(text(
                "INSERT INTO jurisdictions (slug, name, reference_prefix, created_at, legal) "
                "VALUES (:s, :n, :p, now(), '{}') RETURNING id"),
                {"s": f"stadt{n}.example", "n": f"Stadt {n}", "p": f"S{n}"}).scalar_one()
            for position, host in enumerate((f"maengelmelder.stadt{n}.example", f"mm.stadt{n}.example")):
                db.session.execute(text("INSERT INTO jurisdiction_hosts (host, jurisdiction_id, position) "
                                        "VALUES (:h, :j, :p)"), {"h": host, "j": town_id, "p": position})
        db.session.commit()
        db.session.remove()

    host = f"maengelmelder.stadt{TOWNS // 2}.example"
    client = app.test_client()
    assert client.get("/_bench/hello", base_url=f"http://{host}").status_code == 200
    assert client.get("/_bench/hello", base_url="http://unbekannt.example").status_code == 404
    hook = app.before_request_funcs[None][[f.__name__ for f in app.before_request_funcs[None]].index(
        "_town_of_request")]
    index = app.before_request_funcs[None].index(hook)

    def per_request(with_lookup: bool) -> float:
        app.before_request_funcs[None][index] = hook if with_lookup else (lambda: None)
        start = time.perf_counter()
        for _ in range(args.requests):
            client.get("/_bench/hello", base_url=f"http://{host}")
        app.before_request_funcs[None][index] = hook
        return (time.perf_counter() - start) / args.requests * 1e6

    def lookup_alone() -> float:
        calls = 20_000
        with app.test_request_context("/", base_url=f"http://{host}"):
            hosts.town_id_for_host(host)
            start = time.perf_counter()
            for _ in range(calls):
                hosts.town_id_for_host(host)
            return (time.perf_counter() - start) / calls * 1e6

    results: dict[str, list[float]] = {"a": [], "b": [], "c": []}
    for _ in range(args.rounds):
        results["a"].append(per_request(False))
        results["b"].append(per_request(True))
        results["c"].append(lookup_alone())
    a, b, c = (statistics.median(results[k]) for k in "abc")
    cost = b - a
    table = "\n".join([
        f"{TOWNS} towns, {2 * TOWNS} host names; {args.rounds} interleaved rounds of {args.requests} requests "
        f"(in process, WSGI, no network); Python {platform.python_version()}.",
        "",
        "| what | median µs per request | vs. (a) |",
        "|---|---:|---:|",
        f"| (a) baseline: hello world, town lookup off | {a:.1f} | 1.00x |",
        f"| (b) hello world with the town from the host | {b:.1f} | {b / a:.2f}x |",
        f"| (b) - (a): the lookup's cost per request | {cost:.1f} | {cost / a:.2f}x |",
        f"| (c) `town_id_for_host` alone | {c:.2f} | {c / a:.3f}x |",
        "",
        f"Target ≤ {TARGET_US:.0f} µs (0.05 ms) per request: "
        + ("met." if max(cost, c) <= TARGET_US else "MISSED."),
    ])
    print(table)
    if args.markdown:
        write_section(Path(args.markdown), "bench_hosts", table, heading="Town from the host (issue 21)")
    return 0 if max(cost, c) <= TARGET_US else 1


if __name__ == "__main__":
    sys.exit(main())
