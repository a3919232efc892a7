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


# --- colour arithmetic: WCAG 2.x relative luminance and contrast ratio, as the app checks a
# town's colours with it (app/branding).
from app.branding import contrast, luminance  # noqa: E402,F401


def _oklch_to_srgb(lightness: float, chroma: float, hue: float) -> tuple[float, float, float]:
    """OKLCH (KERN's colour notation, as Chromium reports it) to sRGB 0-255 (Björn Ottosson's matrices)."""
    import math

    a, b = chroma * math.cos(math.radians(hue)), chroma * math.sin(math.radians(hue))
    l_ = (lightness + 0.3963377774 * a + 0.2158037573 * b) ** 3
    m_ = (lightness - 0.1055613458 * a - 0.0638541728 * b) ** 3
    s_ = (lightness - 0.0894841775 * a - 1.2914855480 * b) ** 3
    linear = (4.0767416621 * l_ - 3.3077115913 * m_ + 0.2309699292 * s_,
              -1.2684380046 * l_ + 2.6097574011 * m_ - 0.3413193965 * s_,
              -0.0041960863 * l_ - 0.7034186147 * m_ + 1.7076147010 * s_)

    def encode(c: float) -> float:
        c = min(max(c, 0.0), 1.0)
        return 255 * (12.92 * c if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055)
    return tuple(encode(c) for c in linear)


def parse_css_colour(text: str) -> tuple[float, float, float, float]:
    """A computed CSS colour as (r, g, b, alpha): rgb()/rgba() and oklch() as Chromium writes them."""
    import re

    text = text.strip()
    match = re.fullmatch(r"rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)", text)
    if match:
        r, g, b, a = match.groups()
        return float(r), float(g), float(b), float(a) if a is not None else 1.0
    match = re.fullmatch(r"oklch\(([\d.]+)(%?)\s+([\d.]+)\s+([\d.]+|none)(?:\s*/\s*([\d.]+)(%?))?\)", text)
    assert match, f"unexpected colour {text!r}"
    lightness, percent, chroma, hue, alpha, alpha_percent = match.groups()
    lightness_value = float(lightness) / (100 if percent else 1)
    hue_value = 0.0 if hue == "none" else float(hue)
    alpha_value = 1.0 if alpha is None else float(alpha) / (100 if alpha_percent else 1)
    return (*_oklch_to_srgb(lightness_value, float(chroma), hue_value), alpha_value)
