"""Helpers for tests in a real headless Chromium (Debian's package, driven by Playwright)."""
from __future__ import annotations

import json
import threading
from pathlib import Path

from werkzeug.serving import make_server

from app.config import PROJECT_ROOT

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps trying Google's hosts,
# which this machine's closed network refuses (and which would also pollute the
# "no third-party request" checks).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True, "locale": "de-DE"}
AXE_JS = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"


class LiveServer:
    """The app served over real HTTP by werkzeug in a thread of the test process."""

    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()


def run_axe(page, tags=("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")) -> list[dict]:
    """Run axe-core in the page; returns the violations (empty list when none)."""
    if not Path(AXE_JS).exists():
        raise RuntimeError(f"{AXE_JS} missing: run `npm ci` (make test does)")
    # Evaluated over the DevTools protocol, which the page's CSP does not govern
    # (a <script> tag would be refused by script-src 'self', as it should be).
    page.evaluate(AXE_JS.read_text())
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", list(tags))
    return result["violations"]


def describe_violations(violations: list[dict]) -> str:
    return json.dumps([{"id": v["id"], "impact": v["impact"], "help": v["help"],
                        "nodes": [n["target"] for n in v["nodes"]][:5]} for v in violations], indent=1)


# --- colour arithmetic (WCAG 2.x relative luminance and contrast ratio) -------------------------

def luminance(rgb: tuple[float, float, float]) -> float:
    def channel(value: float) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)
