"""What the HTTP benchmarks share: a private Redis, the app under gunicorn, stopping it, and
writing a benchmark's table into docs/BENCHMARKS.md between its markers.

gunicorn runs with the settings of ``make demo`` (2 workers × 4 threads), so a figure
says what a deployment started the documented way does.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def bench_app():
    """The app plus a hello-world route (the baseline of the request-rate benchmarks) and a map
    baseline page (of the first-markers measurement)."""
    from app import create_app
    from app.public.mapview import preload

    app = create_app()
    app.add_url_rule("/_bench/hello", "bench_hello", lambda: "ok")
    app.add_url_rule("/_bench/map-baseline", "bench_map_baseline", _map_baseline_page)
    app.add_url_rule("/_bench/map-baseline.js", "bench_map_baseline_js", _map_baseline_script)
    preload()  # as deploy/gunicorn.conf.py's post_worker_init does in each worker
    return app


def _map_baseline_page():
    """What a browser does for any Leaflet page with the map page's styles and scripts: load them,
    show the tiles and one marker (drawn by a static script, marked as ``mm-first-markers``), with
    none of the map page's own work (no folium page, no map API request)."""
    from flask import request, url_for
    from markupsafe import escape

    from app.public.mapview import asset_urls, tile_url

    scripts, styles = asset_urls()
    styles = [url_for("static", filename=name) for name in ("kern/fonts.css", "kern/kern.css", "css/app.css")] + styles
    links = "".join(f'<link rel="stylesheet" href="{escape(href)}">' for href in styles)
    tags = "".join(f'<script src="{escape(src)}"></script>' for src in scripts + [url_for("bench_map_baseline_js")])
    return (f'<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Karte</title>{links}</head><body>'
            f'<div id="m" style="height:600px" data-lat="{float(request.args["lat"])}" '
            f'data-lon="{float(request.args["lon"])}" data-tiles="{escape(tile_url())}"></div>{tags}</body></html>')


def _map_baseline_script():
    return ("(function () { var el = document.getElementById('m'), at = [+el.dataset.lat, +el.dataset.lon];"
            " var map = L.map(el).setView(at, 13); L.tileLayer(el.dataset.tiles).addTo(map);"
            " L.marker(at, {icon: L.divIcon({className: 'marker-report marker-open', iconSize: [44, 44]})}).addTo(map);"
            " performance.mark('mm-first-markers'); }());", 200, {"Content-Type": "text/javascript"})


def start_redis(workdir: Path) -> subprocess.Popen:
    """A throw-away redis-server on ``workdir/redis.sock`` (no TCP port, nothing saved)."""
    sock = workdir / "redis.sock"
    process = subprocess.Popen([shutil.which("redis-server") or "redis-server", "--port", "0", "--unixsocket",
                                str(sock), "--dir", str(workdir), "--save", "", "--appendonly", "no"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        if sock.exists():
            return process
        time.sleep(0.05)
    process.terminate()
    raise RuntimeError("redis-server did not come up")


def start_gunicorn(app_spec: str, *, database_url: str, workdir: Path, port: int, ready_path: str,
                   name: str, **settings: str) -> subprocess.Popen:
    """gunicorn serving ``app_spec`` on 127.0.0.1:``port`` with the Redis of ``start_redis(workdir)``;
    returns once ``ready_path`` answers 200. ``settings`` become environment variables."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise RuntimeError(f"port {port} is already in use")
    env = dict(os.environ, DATABASE_URL=database_url, REDIS_URL=f"unix://{workdir / 'redis.sock'}",
               MEDIA_STORAGE_URL=str(workdir / "media"), LOG_LEVEL="WARNING", SECRET_KEY=f"bench-{name}",
               BASE_URL=f"http://127.0.0.1:{port}", **settings)
    process = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "--bind", f"127.0.0.1:{port}",
                                "--workers", "2", "--threads", "4", "--log-level", "warning", app_spec],
                               cwd=ROOT, env=env, start_new_session=True)
    try:
        for _ in range(300):
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with status {process.returncode}")
            try:
                if requests.get(f"http://127.0.0.1:{port}{ready_path}", timeout=10).status_code == 200:
                    return process
            except requests.RequestException:  # not listening yet, or still importing
                pass
            time.sleep(0.1)
        raise RuntimeError("gunicorn did not answer")
    except BaseException:
        stop(process)
        raise


def stop(process: subprocess.Popen) -> None:
    """Stop a process started in its own session (gunicorn and its workers)."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(20)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def write_section(path: Path, name: str, table: str, heading: str | None = None) -> None:
    """Put ``table`` between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->`` in ``path``;
    without the markers, append them (under ``heading`` if given)."""
    start_marker, end_marker = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = f"{start_marker}\n{table}\n{end_marker}"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    start, end = text.find(start_marker), text.find(end_marker)
    if start != -1 and end > start:
        text = text[:start] + block + text[end + len(end_marker):]
    else:
        title = f"## {heading}\n\n" if heading else ""
        text = (text.rstrip("\n") + "\n\n" if text.strip() else "") + title + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def fresh_database(name: str) -> str:
    """Drop and re-create the database ``name`` in the cluster of ``$DATABASE_URL``; its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(os.environ["DATABASE_URL"])
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)
