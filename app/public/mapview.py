"""The public map, built with folium but served entirely from this app.

folium renders a stand-alone HTML page: CDN links to Leaflet, jQuery, Bootstrap,
Font Awesome, inline ``<style>`` and an inline ``<script>``. The site's CSP
(``script-src 'self'; style-src 'self'``) refuses all of that, and the CDNs are
third-party hosts (DSGVO). So we keep folium for what it is good at - the Leaflet
set-up code for the map and its tile layer - and:

* point folium's asset lists at the vendored copies (``LocalAssetsMap``),
* take its generated script out of the page and serve it as a JavaScript file of
  its own (``/karte/karte.js``), cacheable, from 'self' - no nonce, no hash, no
  change to the CSP,
* replace folium's inline styles with ``static/css/map.css``.

The tile URL and attribution come from TILE_URL / TILE_ATTRIBUTION; the default
attribution (OpenStreetMap's) is given in the visitor's language, see ``tile_attribution``.
"""
from __future__ import annotations

import functools
import hashlib

from flask import current_app, url_for
from flask_babel import gettext
from markupsafe import Markup, escape

from app.branding import current_town
from app.config import SETTINGS

# Where a map opens when the town profile says nothing (Harsewinkel's centre).
DEFAULT_CENTER = (51.962, 8.229)
DEFAULT_ZOOM = 14
MAP_ID = "reports"  # folium names the element "map_<id>" and the JS variable alike


def tile_attribution() -> str:
    """The map credit, HTML for Leaflet's attribution control, in the visitor's language.

    A town that sets its own TILE_ATTRIBUTION gets exactly that. The default setting is
    OpenStreetMap's credit, and that one is written in German ("OpenStreetMap-Mitwirkende"), so
    it is built here from a translated message instead. Returned as plain text: templates put
    it into a data attribute, where it must be escaped.
    """
    town = current_town()
    if town.tile_attribution:  # the profile's credit is plain text
        return str(escape(town.tile_attribution))
    configured = current_app.config["TILE_ATTRIBUTION"]
    if configured != SETTINGS["TILE_ATTRIBUTION"][0]:
        return configured
    link = Markup('<a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>')
    return str(Markup("&copy; ") + escape(gettext("%(osm)s-Mitwirkende")) % {"osm": link})


@functools.cache
def _local_assets_map_class():
    """folium is imported when a map is built, not at app start (it costs a second of every
    `flask` command's start-up, see docs/BENCHMARKS.md "Town file")."""
    import folium

    class LocalAssetsMap(folium.Map):
        """A folium map whose JavaScript and CSS come from this app, not from CDNs.

        Only Leaflet is needed: markers and clusters are drawn by ``static/js/map.js``
        from the map API, so jQuery, Bootstrap, awesome-markers and Font Awesome (folium's
        other defaults) are left out altogether.
        """

        default_js: list[tuple[str, str]] = []
        default_css: list[tuple[str, str]] = []

    return LocalAssetsMap


def asset_urls() -> tuple[list[str], list[str]]:
    """(scripts, stylesheets) the map page loads, all from this app."""
    scripts = [url_for("static", filename="vendor/leaflet/leaflet.js")]
    styles = [url_for("static", filename="vendor/leaflet/leaflet.css"), url_for("static", filename="css/map.css")]
    return scripts, styles


def tile_url() -> str:
    """The town's tile source (its profile, else TILE_URL)."""
    return current_town().tile_url or current_app.config["TILE_URL"]


def town_centre() -> tuple[float, float]:
    """Where the public map opens: (lat, lon): the town profile's map view; a town of the
    installation without one (issue 21) opens on the middle of its areas (kept per process: a
    town's areas move rarely, and a restart picks a change up) instead of the default town's."""
    from app.db import db
    from app.jurisdictions.queries import current_jurisdiction
    from geo.areas import town_bounds

    town = current_jurisdiction()
    if town.slug == current_app.config["DEFAULT_JURISDICTION"] or "map_lat" in (town.profile or {}):
        return current_town().map_center
    centres = current_app.extensions.setdefault("town_map_centres", {})
    if town.id not in centres:
        bounds = town_bounds(db.session, town.id)
        centres[town.id] = ((bounds[0][0] + bounds[1][0]) / 2, (bounds[0][1] + bounds[1][1]) / 2) if bounds \
            else current_town().map_center
    return centres[town.id]


def preload() -> None:
    """Import folium (with branca and NumPy) now. A web worker calls this before it takes
    requests (``post_worker_init`` in deploy/gunicorn.conf.py): otherwise the first visitor of a
    map after every worker start or recycle waits for the import, about a second on a loaded
    2-core machine (docs/BENCHMARKS.md, "Public map"). `flask` commands still never import it."""
    _local_assets_map_class()


def build_map(center: tuple[float, float] | None = None, zoom: int | None = None, map_id: str = MAP_ID,
              min_zoom: int = 11):
    town = current_town()
    center = center or town_centre()
    zoom = zoom or town.map_zoom
    scripts, styles = asset_urls()
    import folium

    fmap = _local_assets_map_class()(location=list(center), zoom_start=zoom, tiles=None, control_scale=True,
                          min_zoom=min_zoom, max_zoom=19)
    # Read by folium when it renders the page header: the vendored files only.
    fmap.default_js = [(f"js{i}", url) for i, url in enumerate(scripts)]
    fmap.default_css = [(f"css{i}", url) for i, url in enumerate(styles)]
    fmap._id = map_id
    tiles = folium.TileLayer(tiles=tile_url(), attr=tile_attribution(),
                             name="Karte", max_zoom=19, min_zoom=min_zoom)
    tiles._id = "base"
    tiles.add_to(fmap)
    return fmap


def map_element_id(map_id: str = MAP_ID) -> str:
    return f"map_{map_id}"


def map_script(fmap) -> str:
    """folium's generated Leaflet set-up code, to be served as a file of its own."""
    figure = fmap.get_root()
    figure.render()
    return figure.script.render().strip() + "\n"


def script_etag(script: str) -> str:
    return hashlib.sha256(script.encode()).hexdigest()[:32]
