"""The installable web app: service worker at the site root, manifest, icons, and
everything the worker keeps for offline use actually exists."""
from __future__ import annotations

import io
import json
import re

from PIL import Image


def test_service_worker_is_served_from_the_root_and_never_cached_long(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert response.headers["Cache-Control"] == "no-cache"
    assert b'importScripts("/static/js/intake-queue.js")' in response.data


def test_everything_the_service_worker_keeps_exists(client):
    source = client.get("/sw.js").get_data(as_text=True)
    shell = json.loads(re.search(r"var SHELL = (\[.*?\]);", source, re.S).group(1))
    assert "/melden" in shell
    for path in shell:
        assert client.get(path).status_code == 200, path


def test_manifest_names_the_app_and_its_icons(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200 and response.mimetype == "application/manifest+json"
    manifest = response.get_json(force=True)
    assert manifest["start_url"] == "/melden" and manifest["display"] == "standalone"
    assert "Harsewinkel" in manifest["name"]
    for icon in manifest["icons"]:
        image = client.get(icon["src"])
        assert image.status_code == 200
        width, height = (int(n) for n in icon["sizes"].split("x"))
        assert Image.open(io.BytesIO(image.data)).size == (width, height)


def test_intake_page_links_the_manifest_and_its_scripts(client):
    page = client.get("/melden").get_data(as_text=True)
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    for script in ("intake.js", "intake-queue.js", "intake-exif.js", "vendor/leaflet/leaflet.js"):
        assert f"/static/{'js/' if not script.startswith('vendor') else ''}{script}" in page
    config = json.loads(re.search(r'<script type="application/json" id="intake-config">(.*?)</script>', page,
                                  re.S).group(1))
    assert config["submitUrl"] == "/api/v1/intake/reports"
    assert config["maxPhotos"] == 5 and config["photoLongSide"] == 2000
    south, west = config["bounds"][0]
    north, east = config["bounds"][1]
    assert south < 51.962 < north and west < 8.229 < east
