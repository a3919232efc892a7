"""A map excerpt drawn from the town's own data, as SVG: area outlines, known addresses with
their house numbers, street names and numbered pins.

Printed work orders use it instead of map tiles: a PDF must not ask a tile server (or any
other host) for anything, and a crew on site needs house numbers more than a picture.
Nothing here imports Flask or ``app``: ``sketch_data`` reads PostGIS, ``draw_svg`` is pure.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.geocoding import degrees_for_metres

METRES_PER_DEGREE_LAT = 111_320.0


@dataclass(frozen=True)
class Pin:
    lon: float
    lat: float
    label: str = ""  # shown inside the pin ("1", "2", … on a route sheet); empty: a plain pin


@dataclass(frozen=True)
class HouseAddress:
    lon: float
    lat: float
    street: str
    house_number: str


@dataclass
class SketchData:
    """What one excerpt shows; the box is (west, south, east, north) in degrees (WGS 84)."""

    box: tuple[float, float, float, float]
    pins: list[Pin]
    outlines: list[list[list[tuple[float, float]]]] = field(default_factory=list)  # per area: its lines
    addresses: list[HouseAddress] = field(default_factory=list)


_OUTLINES_SQL = text(
    """
    WITH box AS (SELECT ST_MakeEnvelope(:w, :s, :e, :n, 4326) AS g)
    SELECT ST_AsGeoJSON(ST_Intersection(ST_Boundary(a.geom), box.g), 7) AS lines
    FROM areas a, box
    WHERE a.jurisdiction_id = :jid AND a.geom && box.g AND ST_Intersects(ST_Boundary(a.geom), box.g)
    ORDER BY a.rank, a.id
    """
)

_ADDRESSES_SQL = text(
    """
    SELECT street, house_number, ST_X(location) AS lon, ST_Y(location) AS lat
    FROM addresses
    WHERE jurisdiction_id = :jid AND location && ST_MakeEnvelope(:w, :s, :e, :n, 4326)
    ORDER BY location <-> ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)
    LIMIT :limit
    """
)


def sketch_box(pins: list[Pin], margin_m: float) -> tuple[float, float, float, float]:
    """The pins' bounding box grown by ``margin_m`` metres on every side."""
    lons = [p.lon for p in pins]
    lats = [p.lat for p in pins]
    middle = (min(lats) + max(lats)) / 2
    dlon = degrees_for_metres(margin_m, middle)
    dlat = margin_m / METRES_PER_DEGREE_LAT
    return min(lons) - dlon, min(lats) - dlat, max(lons) + dlon, max(lats) + dlat


def sketch_data(session: Session, jurisdiction_id: int, pins: list[Pin], margin_m: float = 120,
                max_addresses: int = 150) -> SketchData:
    """The outlines and addresses of the town inside the pins' box (two index-served queries)."""
    w, s, e, n = sketch_box(pins, margin_m)
    box = {"w": w, "s": s, "e": e, "n": n, "jid": jurisdiction_id}
    outlines = []
    for (lines,) in session.execute(_OUTLINES_SQL, box):
        geometry = json.loads(lines) if lines else {}
        outlines.append(_lines_of(geometry))
    centre = pins[0]
    addresses = [HouseAddress(r.lon, r.lat, r.street, r.house_number) for r in session.execute(
        _ADDRESSES_SQL, {**box, "lon": centre.lon, "lat": centre.lat, "limit": max_addresses})]
    return SketchData(box=(w, s, e, n), pins=pins, outlines=[o for o in outlines if o], addresses=addresses)


def _lines_of(geometry: dict) -> list[list[tuple[float, float]]]:
    kind = geometry.get("type")
    if kind == "LineString":
        return [[tuple(c) for c in geometry["coordinates"]]]
    if kind == "MultiLineString":
        return [[tuple(c) for c in line] for line in geometry["coordinates"]]
    if kind == "GeometryCollection":
        return [line for part in geometry.get("geometries", []) for line in _lines_of(part)]
    return []  # points (an outline touching the box's edge) draw nothing


def _nice_length(metres: float) -> int:
    """The largest of 1, 2, 5 × 10^k metres not above ``metres``."""
    power = 10 ** math.floor(math.log10(max(metres, 1)))
    return int(max(m * power for m in (1, 2, 5) if m * power <= metres))


# House numbers drawn per excerpt: the nearest ones to the (first) pin that do not overlap a
# number already drawn; every address still gets its dot. Each SVG text costs WeasyPrint about
# a millisecond, and 150 numbers made a map excerpt 0.14 s of a work order's rendering (a route
# sheet of 30: over 4 s), while numbers drawn over each other could not be read anyway.
MAX_HOUSE_NUMBERS = 40
_DIGIT_WIDTH = 6.5  # px of a character at font-size 10 (DejaVu Sans), for the overlap check


def _free(box: tuple[float, float, float, float], taken: list[tuple[float, float, float, float]]) -> bool:
    x0, y0, x1, y1 = box
    return all(x1 <= a0 or x0 >= a1 or y1 <= b0 or y0 >= b1 for a0, b0, a1, b1 in taken)


def draw_svg(data: SketchData, width: int = 640, height: int = 400, north_label: str = "N",
             scale_unit: str = "m", max_house_numbers: int = MAX_HOUSE_NUMBERS) -> str:
    """The excerpt as an SVG document (user units = CSS pixels; it scales when printed).

    Every address is a dot; the nearest ``max_house_numbers`` that do not overlap are numbered
    (``data.addresses`` comes nearest first). Labels are escaped: street names come from an
    imported file, not from us."""
    w, s, e, n = data.box
    middle = (s + n) / 2
    x_per_deg = METRES_PER_DEGREE_LAT * math.cos(math.radians(middle))
    span_x = (e - w) * x_per_deg
    span_y = (n - s) * METRES_PER_DEGREE_LAT
    top = 30  # room for the pins, which stand 26 px above their point
    scale = min(width / span_x, (height - top) / span_y)  # px per metre, same both ways (no distortion)
    off_x = (width - span_x * scale) / 2
    off_y = top + (height - top - span_y * scale) / 2

    def xy(lon: float, lat: float) -> tuple[float, float]:
        return (off_x + (lon - w) * x_per_deg * scale, off_y + (n - lat) * METRES_PER_DEGREE_LAT * scale)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
           f'height="{height}" font-family="DejaVu Sans, sans-serif">',
           f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff" stroke="#555555"/>']
    for lines in data.outlines:
        for line in lines:
            points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(*c) for c in line))
            out.append(f'<polyline points="{points}" fill="none" stroke="#7a4d9c" stroke-width="3" '
                       f'stroke-dasharray="10 5"/>')
    streets: dict[str, list[tuple[float, float]]] = {}
    labels: list[tuple[float, float, float, float]] = []
    dots: list[str] = []
    dots_at = len(out)  # the dots go under the numbers
    for address in data.addresses:
        x, y = xy(address.lon, address.lat)
        streets.setdefault(address.street, []).append((x, y))
        dots.append(f"M{x:.1f},{y:.1f}h0")
        box = (x + 4, y - 12, x + 4 + _DIGIT_WIDTH * len(address.house_number), y - 2)
        if len(labels) < max_house_numbers and _free(box, labels):
            labels.append(box)
            out.append(f'<text x="{x + 4:.1f}" y="{y - 3:.1f}" font-size="10" fill="#333333">'
                       f'{escape(address.house_number)}</text>')
    if dots:
        # The houses as one path of round dots: one element instead of one circle per house
        # (each element costs the PDF renderer its own style computation and drawing state).
        out.insert(dots_at, f'<path class="houses" d="{"".join(dots)}" stroke="#444444" stroke-width="5" '
                            f'stroke-linecap="round" fill="none"/>')
    for street, points in streets.items():
        x = sum(p[0] for p in points) / len(points)
        y = sum(p[1] for p in points) / len(points)
        out.append(f'<text x="{x:.1f}" y="{y + 14:.1f}" font-size="12" font-style="italic" fill="#1f4e79" '
                   f'text-anchor="middle">'
                   f'{escape(street)}</text>')
    for pin in data.pins:
        x, y = xy(pin.lon, pin.lat)
        out.append(f'<path d="M{x:.1f},{y:.1f} l-9,-16 a10.5,10.5 0 1 1 18,0 z" fill="#c0392b" stroke="#ffffff" '
                   f'stroke-width="1.5"/>')
        if pin.label:
            out.append(f'<text x="{x:.1f}" y="{y - 18:.1f}" font-size="11" font-weight="bold" fill="#ffffff" '
                       f'text-anchor="middle">{escape(pin.label)}</text>')
        else:
            out.append(f'<circle cx="{x:.1f}" cy="{y - 22:.1f}" r="3.5" fill="#ffffff"/>')
    # A scale bar of a round length (about a fifth of the width) and a north arrow.
    bar_m = _nice_length(width / scale / 5)
    bar_px = bar_m * scale
    out.append(f'<rect x="12" y="{height - 26}" width="{bar_px + 16:.1f}" height="20" fill="#ffffff" '
               f'fill-opacity="0.85"/>')
    out.append(f'<path d="M20,{height - 14} v6 h{bar_px:.1f} v-6" fill="none" stroke="#000000" stroke-width="2"/>')
    out.append(f'<text x="{20 + bar_px / 2:.1f}" y="{height - 15}" font-size="10" text-anchor="middle">'
               f'{bar_m} {escape(scale_unit)}</text>')
    out.append(f'<path d="M{width - 24},12 l8,22 l-8,-6 l-8,6 z" fill="#000000"/>')
    out.append(f'<text x="{width - 24}" y="48" font-size="11" text-anchor="middle">{escape(north_label)}</text>')
    out.append("</svg>")
    return "".join(out)

