"""The shapes the demo's area files were drawn from, and the village centres the sample reports
cluster around. The town itself (departments, categories, rules, areas) is the town file
``data/harsewinkel/town.toml``; its area files are these shapes rounded to 7 decimals.

The polygons are approximations drawn for this project (not surveyed data): the
town boundary around the real extent, split so that each Ortsteil contains its
village centre. Pure Shapely, no database.
"""
from __future__ import annotations

from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

CENTRES = {
    "harsewinkel": Point(8.229, 51.962),
    "greffen": Point(8.168, 51.983),
    "marienfeld": Point(8.284, 51.937),
}

_BOUNDARY = Polygon([
    (8.105, 51.985), (8.130, 52.015), (8.175, 52.025), (8.225, 52.010), (8.270, 51.995),
    (8.320, 51.975), (8.355, 51.945), (8.345, 51.910), (8.300, 51.895), (8.255, 51.905),
    (8.215, 51.925), (8.170, 51.940), (8.125, 51.955), (8.105, 51.985),
])
# Greffen: everything west of this meridian.
_GREFFEN_HALF = Polygon([(7.9, 51.8), (8.198, 51.8), (8.198, 52.1), (7.9, 52.1)])
# Marienfeld: south-east of the line (8.22, 51.90)–(8.30, 52.00), extended far enough.
_MARIENFELD_HALF = Polygon([(8.14, 51.80), (8.38, 52.10), (8.6, 52.10), (8.6, 51.80)])


def _multi(geom: BaseGeometry) -> MultiPolygon:
    return geom if isinstance(geom, MultiPolygon) else MultiPolygon([geom])


def areas() -> list[dict]:
    """Boundary and the three Ortsteile, which tile the boundary without overlap."""
    greffen = _BOUNDARY.intersection(_GREFFEN_HALF)
    marienfeld = _BOUNDARY.intersection(_MARIENFELD_HALF).difference(greffen)
    harsewinkel = _BOUNDARY.difference(greffen).difference(marienfeld)
    return [
        {"code": "stadtgebiet", "name": "Harsewinkel (Stadtgebiet)", "kind": "boundary", "geom": _multi(_BOUNDARY)},
        {"code": "ortsteil-harsewinkel", "name": "Harsewinkel", "kind": "ortsteil", "geom": _multi(harsewinkel)},
        {"code": "ortsteil-greffen", "name": "Greffen", "kind": "ortsteil", "geom": _multi(greffen)},
        {"code": "ortsteil-marienfeld", "name": "Marienfeld", "kind": "ortsteil", "geom": _multi(marienfeld)},
    ]
