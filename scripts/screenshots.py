"""Screenshots for the README: the intake steps at 390 px (a phone) and the home page at 390 and
1366 px, taken in headless Chromium from a running app (e.g. `make demo`).

usage: .venv/bin/python scripts/screenshots.py [BASE_URL] [OUT_DIR]
       (defaults: http://127.0.0.1:5000 and docs/screenshots)

The intake is filled in as a person would, one step screen after the other ("Weiter"): a photo,
an address picked from the suggestions, a category tile, a description and an e-mail address,
the summary; each screen is shot as the phone shows it (390 x 844). Map tiles are a plain pattern.
The demo address list must be loaded (`make demo` does).
"""
from __future__ import annotations

import io
import sys
from pathlib import Path

from PIL import Image, ImageDraw
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
TILES = "https://*.openstreetmap.org/**"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 1, "is_mobile": True, "has_touch": True,
         "locale": "de-DE"}


def sample_photo() -> bytes:
    """A stand-in photo: asphalt with a dark hole."""
    image = Image.new("RGB", (1200, 900), (110, 110, 105))
    draw = ImageDraw.Draw(image)
    draw.ellipse((380, 330, 820, 600), fill=(40, 38, 35))
    draw.rectangle((0, 820, 1200, 900), fill=(200, 200, 190))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def tile_pattern() -> bytes:
    """A plain map tile (the machine taking the screenshots may not reach the tile server)."""
    image = Image.new("RGB", (256, 256), (236, 234, 226))
    draw = ImageDraw.Draw(image)
    draw.line((0, 128, 256, 128), fill=(255, 255, 255), width=10)
    draw.line((128, 0, 128, 256), fill=(255, 255, 255), width=6)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def weiter(page) -> None:
    """On to the next step screen (the step's own "Weiter"), then let it settle."""
    page.locator(".intake-step:not([hidden]) .step-next").click()
    page.wait_for_timeout(300)


def main() -> None:
    base = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000"
    out = Path(sys.argv[2] if len(sys.argv) > 2 else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_context(**PHONE).new_page()
        page.route(TILES, lambda route: route.fulfill(body=tile_pattern(), content_type="image/png"))
        page.goto(base + "/melden")
        page.wait_for_selector("#map .leaflet-tile-container", state="attached")
        page.screenshot(path=out / "intake-0-start-390.png")
        page.set_input_files("#photos", files=[{"name": "schlagloch.jpg", "mimeType": "image/jpeg",
                                                "buffer": sample_photo()}])
        page.wait_for_selector("#photo-previews img")
        page.screenshot(path=out / "intake-1-photo-390.png")
        weiter(page)
        page.locator("#address").press_sequentially("Kirchplatz 3", delay=30)
        page.locator("#address-results button").first.wait_for()
        page.screenshot(path=out / "intake-2-place-suggestions-390.png")
        page.locator("#address-results button").first.click()
        page.wait_for_function("() => document.getElementById('location-feedback').textContent.length > 0")
        page.wait_for_timeout(800)  # tiles and the pin settle
        page.screenshot(path=out / "intake-2-place-390.png")
        weiter(page)
        page.locator("label[for=category-schlagloch]").click()
        page.screenshot(path=out / "intake-3-category-390.png")
        weiter(page)
        page.fill("#description", "Tiefes Loch am Fahrbahnrand vor der Kirche, etwa 30 cm breit.")
        page.screenshot(path=out / "intake-4-description-390.png")
        weiter(page)
        page.fill("#email", "melderin@example.org")
        page.screenshot(path=out / "intake-5-contact-390.png")
        weiter(page)
        page.screenshot(path=out / "intake-6-summary-390.png")
        for width, height in ((390, 844), (1366, 900)):
            context = browser.new_context(viewport={"width": width, "height": height}, locale="de-DE",
                                          is_mobile=width < 800, has_touch=width < 800)
            home = context.new_page()
            home.route(TILES, lambda route: route.fulfill(body=tile_pattern(), content_type="image/png"))
            home.goto(base + "/")
            home.wait_for_selector("#map_reports[data-state=loaded]")
            home.wait_for_timeout(500)
            home.screenshot(path=out / f"home-{width}.png")
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
