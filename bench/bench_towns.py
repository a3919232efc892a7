"""Benchmark `flask town apply` of the Harsewinkel town file on an unchanged town (issue 18: < 3 s).

Usage::

    eval "$(scripts/services.sh env)"; python bench/bench_towns.py [--rounds 20] [--markdown FILE]

Builds the database ``mm_bench_towns`` in the running cluster (dropped and re-created on each
run; nothing else is touched), migrates it and loads the demo town from its town file. Then it
times, interleaved round by round,

(a) baseline: ``SELECT 1`` through the same SQLAlchemy session (one round trip);
(b) baseline: exporting the town into memory (``town_spec`` + ``render_town_file``: every read
    the apply needs, and the writing);
(c) applying the repository's Harsewinkel town file (read, check, compare; nothing to change),
    in the process;
(d) the whole command ``flask town apply FILE`` as a new process (Python and app start-up
    included), a few rounds, interleaved with
(e) baseline: ``flask town --help`` as a new process (the same start-up, no work), and, with
    ``--base-checkout DIR`` (a checkout of an earlier commit, e.g. ``git worktree add DIR REV``),
(f) ``flask town --help`` of that checkout (its start-up, same interpreter and packages), to show
    what a start-up change did, measured interleaved in the same run.

For the commands, CPU seconds (user + system of the child) are reported beside the wall time:
on a shared machine the wall time mostly measures the other processes.

It reports median and p95 in ms and the median as a multiple of (b), for (d) of (e). The
target is an apply under 3 s: (c) p95 and the command's own share, (d) - (e); the exit status
is 1 when it is missed. On a shared, loaded machine the start-up of (d) and (e) alone can take
several seconds of wall time; that is the interpreter and app start, not the apply. With ``--markdown FILE`` the table replaces the part of
FILE between ``<!-- bench_towns:start -->`` and ``<!-- bench_towns:end -->``.
"""
from __future__ import annotations

import argparse
import os
import resource
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import fresh_database, write_section  # noqa: E402

from sqlalchemy import text  # noqa: E402

DATABASE = "mm_bench_towns"
TARGET_S = 3.0


def database_url() -> str:
    return fresh_database(DATABASE)


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def summary(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[max(0, int(round(0.95 * len(ordered))) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--cli-rounds", type=int, default=5)
    parser.add_argument("--markdown", type=Path)
    parser.add_argument("--base-checkout", type=Path, help="an earlier checkout whose start-up to compare")
    args = parser.parse_args()

    url = database_url()
    from app import create_app
    from app.cli import run_migrations
    from app.db import db
    from app.demo.load import TOWN_FILE, load_town
    from app.jurisdictions.queries import jurisdiction_by_slug
    from app.towns.cli import apply_town_file
    from app.towns.queries import town_spec
    from app.towns.townfile import render_town_file

    run_migrations(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "DATABASE_URL": url, "LOG_LEVEL": "WARNING"})
    results: dict[str, list[float]] = {"a": [], "b": [], "c": [], "d": [], "e": [], "f": []}
    cpu: dict[str, list[float]] = {"d": [], "e": [], "f": []}
    with app.app_context():
        load_town(db.session)
        db.session.commit()

        def export():
            render_town_file(town_spec(db.session, jurisdiction_by_slug("harsewinkel.de")))
            db.session.rollback()

        def apply():
            changes = apply_town_file(TOWN_FILE)
            assert changes == [], changes
            db.session.commit()

        for _ in range(args.rounds):
            results["a"].append(timed(lambda: (db.session.execute(text("SELECT 1")), db.session.rollback())))
            results["b"].append(timed(export))
            results["c"].append(timed(apply))
        db.session.remove()
        db.engine.dispose()
    env = dict(os.environ, DATABASE_URL=url, FLASK_APP="app:create_app", LOG_LEVEL="WARNING")
    flask = str(Path(sys.executable).parent / "flask")
    def command(key: str, argv: list[str], cwd: Path, environ: dict) -> str:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        out = subprocess.run(argv, cwd=cwd, env=environ, capture_output=True, text=True, check=True)
        results[key].append((time.perf_counter() - start) * 1000)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu[key].append((after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000)
        return out.stdout

    base_env = dict(env, PYTHONPATH=str(args.base_checkout)) if args.base_checkout else None
    for _ in range(args.cli_rounds):
        out = command("d", [flask, "town", "apply", str(TOWN_FILE)], ROOT, env)
        assert out.strip().endswith("no changes"), out
        command("e", [flask, "town", "--help"], ROOT, env)
        if base_env:
            command("f", [flask, "town", "--help"], args.base_checkout, base_env)

    base = statistics.median(results["b"])
    names = {"a": "(a) baseline: SELECT 1", "b": "(b) baseline: export the town into memory",
             "c": "(c) apply the Harsewinkel file, unchanged town (in the process)",
             "d": "(d) `flask town apply` as a new process (incl. start-up)",
             "e": "(e) baseline: `flask town --help` as a new process (start-up only)",
             "f": f"(f) `flask town --help` of the earlier checkout {args.base_checkout.name if args.base_checkout else ''}"}
    lines = [f"Town file apply, {args.rounds} rounds in the process and {args.cli_rounds} as a command "
             f"({platform.python_version()}, {os.cpu_count()} cores shared). Target: an apply under {TARGET_S:.0f} s.", "",
             "| step | median ms | p95 ms | median / baseline | CPU ms (median) |", "|---|---:|---:|---:|---:|"]
    for key in "abcdef":
        if not results[key]:
            continue
        median, p95 = summary(results[key])
        ratio = f"{median / base:.2f} × (b)" if key in "abc" else \
            (f"{median / statistics.median(results['e']):.2f} × (e)" if key in "df" else "")
        cpu_ms = f"{statistics.median(cpu[key]):.0f}" if key in cpu else ""
        lines.append(f"| {names[key]} | {median:.1f} | {p95:.1f} | {ratio} | {cpu_ms} |")
    own = statistics.median(results["d"]) - statistics.median(results["e"])
    lines += ["", f"The command's own work, median (d) - (e): {own:.0f} ms; CPU of the whole command "
              f"{statistics.median(cpu['d']) / 1000:.2f} s."]
    table = "\n".join(lines)
    print(table)
    if args.markdown:
        write_section(args.markdown, "bench_towns", table, heading="Town file (issue 18)")
    return 0 if summary(results["c"])[1] < TARGET_S * 1000 and own < TARGET_S * 1000 else 1


if __name__ == "__main__":
    sys.exit(main())
