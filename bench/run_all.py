"""Run every benchmark (bench/bench_*.py) and write its section of docs/BENCHMARKS.md.

usage: python -m bench.run_all [NAME ...]     (e.g. `media geo`; default: all)

Each benchmark measures its own baseline in the same run and reports ratios, because
this machine is shared and absolute times vary.
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "docs" / "BENCHMARKS.md"


def main(names: list[str]) -> int:
    scripts = sorted((ROOT / "bench").glob("bench_*.py"))
    if names:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in names]
    failures = 0
    for script in scripts:
        print(f"== {script.stem}", flush=True)
        started = time.monotonic()
        result = subprocess.run([sys.executable, str(script), "--markdown", str(REPORT)], cwd=ROOT)
        print(f"== {script.stem}: exit {result.returncode} after {time.monotonic() - started:.0f} s", flush=True)
        failures += result.returncode != 0
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
