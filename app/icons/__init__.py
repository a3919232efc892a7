"""The icons of the pages: a subset of Tabler Icons (MIT licence, ``svg/LICENSE``; from the npm package
``@tabler/icons`` 3.35.0, outline style), vendored as SVG files in ``svg/``.

A category's ``icon`` holds one of the names in :data:`CATEGORY_ICONS` (the town file's key ``icon``
too). Pages draw an icon with ``{{ icon("bulb") }}``: an ``<svg><use href="#i-bulb">`` that points
into one inline sprite, written once at the end of the page by ``{{ icon_sprite() }}`` with exactly
the icons the page used. So a page with twenty tiles makes no extra request and carries each
drawing once; icons inherit the text colour (``currentColor``) and scale with the font.

Emoji were used before; phones draw them differently and some browsers (headless Chromium here)
not at all, so migration 1701 maps them to these names.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from flask import Flask, g
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

SVG_DIR = Path(__file__).resolve().parent / "svg"

# The choice an administrator has for a category: name -> what it shows, for the radio grid's labels.
# Ordered as the grid shows them: roads and traffic, light and water, cleanliness, green and play,
# buildings and furniture, weather and the rest.
CATEGORY_ICONS: dict[str, object] = {
    "road": _l("Straße"),
    "road-sign": _l("Verkehrszeichen"),
    "traffic-lights": _l("Ampel"),
    "traffic-cone": _l("Baustelle"),
    "barrier-block": _l("Absperrung"),
    "alert-triangle": _l("Gefahrenstelle"),
    "parking": _l("Parken"),
    "bus-stop": _l("Haltestelle"),
    "car": _l("Fahrzeug"),
    "car-crash": _l("Unfallschaden"),
    "bike": _l("Radweg"),
    "walk": _l("Gehweg"),
    "wheelchair": _l("Barriere"),
    "stairs": _l("Treppe"),
    "bulb": _l("Beleuchtung"),
    "droplet": _l("Wasser und Abfluss"),
    "ripple": _l("Gewässer"),
    "fountain": _l("Brunnen"),
    "trash": _l("Müll"),
    "recycle": _l("Wertstoffe"),
    "bottle": _l("Glascontainer"),
    "spray": _l("Graffiti"),
    "brush": _l("Verschmutzung"),
    "dog": _l("Hunde"),
    "poo": _l("Hundekot"),
    "tree": _l("Baum"),
    "trees": _l("Grünfläche"),
    "leaf": _l("Laub"),
    "plant": _l("Beet und Pflanzen"),
    "horse-toy": _l("Spielplatz"),
    "ball-football": _l("Sportplatz"),
    "skateboarding": _l("Skateanlage"),
    "armchair": _l("Sitzbank"),
    "building": _l("Gebäude"),
    "wall": _l("Mauer"),
    "fence": _l("Zaun"),
    "toilet-paper": _l("Toilette"),
    "snowflake": _l("Winterdienst"),
    "wind": _l("Sturmschaden"),
    "flame": _l("Brand"),
    "volume": _l("Lärm"),
    "tool": _l("Reparatur"),
    "help-circle": _l("Sonstiges"),
}
# What a category without an icon shows, and icons of the pages themselves.
FALLBACK = "map-pin"
PAGE_ICONS = ("map-pin", "camera", "search")

_NAME = re.compile(r"^[a-z0-9-]+$")
# Tabler's files: the outer <svg> carries the drawing attributes, an invisible 24x24 path the bounds.
_INNER = re.compile(r"<svg[^>]*>(.*)</svg>", re.S)
_BOUNDS = '<path stroke="none" d="M0 0h24v24H0z" fill="none"/>'


def is_icon(name: str) -> bool:
    """Whether ``name`` is a category icon of the set (an empty name is "none", not an icon)."""
    return name in CATEGORY_ICONS


@lru_cache(maxsize=None)
def _drawing(name: str) -> str:
    """The SVG elements of one icon, without the outer element and the invisible bounds."""
    if not _NAME.match(name):
        raise ValueError(f"not an icon name: {name!r}")
    text = (SVG_DIR / f"{name}.svg").read_text(encoding="utf-8")
    inner = _INNER.search(text).group(1).replace(_BOUNDS, "")
    return " ".join(line.strip() for line in inner.splitlines() if line.strip())


def icon(name: str | None, css_class: str = "icon") -> Markup:
    """An icon as a reference into the page's sprite; decorative (the text next to it names it).
    An unknown or empty name draws the fallback pin."""
    name = name if name in CATEGORY_ICONS or name in PAGE_ICONS else FALLBACK
    used = g.setdefault("icons_used", [])
    if name not in used:
        used.append(name)
    return Markup('<svg class="{cls}" aria-hidden="true" focusable="false" viewBox="0 0 24 24">'
                  '<use href="#i-{name}"></use></svg>').format(cls=css_class, name=name)


def icon_sprite() -> Markup:
    """The drawings of every icon this page used, once each, as ``<symbol>`` elements."""
    used = g.get("icons_used") or []
    if not used:
        return Markup("")
    # The drawing attributes sit on each symbol: a <use> copy inherits from where it is used, not
    # from the sprite around the symbol.
    symbols = "".join(f'<symbol id="i-{name}" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" '
                      f'stroke-linecap="round" stroke-linejoin="round">{_drawing(name)}</symbol>' for name in used)
    return Markup('<svg xmlns="http://www.w3.org/2000/svg" class="icon-sprite" aria-hidden="true" focusable="false">'
                  + symbols + "</svg>")


def init_app(app: Flask) -> None:
    app.add_template_global(icon, "icon")
    app.add_template_global(icon_sprite, "icon_sprite")
    app.add_template_global(CATEGORY_ICONS, "category_icons")
