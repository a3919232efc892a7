"""Fixtures for the public pages in a real browser: a fake tile server on this machine
and the app configured to use it (TILE_URL), so no request leaves the machine."""
from __future__ import annotations

import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image


def _tile_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), (226, 232, 220)).save(buffer, "PNG")
    return buffer.getvalue()


class TileServer:
    """Answers every GET with the same 256 px PNG and remembers the paths asked for."""

    def __init__(self):
        png = _tile_png()
        requests: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                requests.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(png)))
                self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()
                self.wfile.write(png)

            def log_message(self, *_args):
                pass

        self.requests = requests
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self.server.shutdown()


@pytest.fixture(scope="session")
def tile_server():
    server = TileServer()
    server.start()
    yield server
    server.stop()


_SHARED_SETTINGS = ("TESTING", "SQLALCHEMY_DATABASE_URI", "DATABASE_URL", "REDIS_URL", "RATELIMIT_STORAGE_URI",
                    "SMTP_HOST", "SMTP_PORT", "SMTP_TIMEOUT", "MEDIA_STORAGE_URL", "SECRET_KEY", "BASE_URL",
                    "MAIL_FROM", "LOG_LEVEL")


@pytest.fixture(scope="session")
def tile_app(app, tile_server):
    """The app on the session's database, with the local fake tile server as TILE_URL
    (the CSP then allows images from exactly that host)."""
    from app import create_app

    return create_app({**{name: app.config[name] for name in _SHARED_SETTINGS},
                       "TILE_URL": tile_server.url + "/{z}/{x}/{y}.png",
                       "TILE_ATTRIBUTION": "Testkacheln"})


@pytest.fixture
def public_live(committing, tile_app):
    """The tile-configured app over real HTTP; test data must be committed."""
    from tests.browser import LiveServer

    server = LiveServer(tile_app)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def desktop(chromium):
    context = chromium.new_context(viewport={"width": 1200, "height": 900}, locale="de-DE")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def scratch_url():
    """A database of its own for a migration test (the session database is already at the heads)."""
    from tests.services import scratch_database

    with scratch_database("mm_mig") as url:
        yield url
