"""Reading and checking query parameters of the map API; errors name the parameter."""
from __future__ import annotations

import math

from flask import request
from flask_babel import gettext as _

from app.errors import DomainError

# Germany with a margin: a map of a German town never needs more.
MAX_BBOX_DEGREES = 12.0


def float_arg(name: str, low: float, high: float, required: bool = True, default: float | None = None) -> float | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        if required:
            raise DomainError(_("Der Parameter „%(name)s“ fehlt.", name=name), name, code="missing")
        return default
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        raise DomainError(_("„%(name)s“ muss eine Zahl sein.", name=name), name) from None
    if not math.isfinite(value) or not low <= value <= high:
        raise DomainError(_("„%(name)s“ muss zwischen %(low)s und %(high)s liegen.", name=name, low=low, high=high),
                          name, code="out_of_range")
    return value


def int_arg(name: str, low: int, high: int, default: int | None = None, required: bool = False) -> int | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        if required:
            raise DomainError(_("Der Parameter „%(name)s“ fehlt.", name=name), name, code="missing")
        return default
    try:
        value = int(raw)
    except ValueError:
        raise DomainError(_("„%(name)s“ muss eine ganze Zahl sein.", name=name), name) from None
    if not low <= value <= high:
        raise DomainError(_("„%(name)s“ muss zwischen %(low)s und %(high)s liegen.", name=name, low=low, high=high),
                          name, code="out_of_range")
    return value


def lat_lon() -> tuple[float, float]:
    lat = float_arg("lat", -90.0, 90.0)
    lon = float_arg("lon", -180.0, 180.0)
    assert lat is not None and lon is not None
    return lat, lon


def bbox_arg(required: bool = True) -> tuple[float, float, float, float] | None:
    """``bbox=minlon,minlat,maxlon,maxlat`` in WGS 84 degrees."""
    raw = request.args.get("bbox", "").strip()
    if not raw:
        if required:
            raise DomainError(_("Der Parameter „bbox“ fehlt (minlon,minlat,maxlon,maxlat)."), "bbox", code="missing")
        return None
    parts = raw.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise DomainError(_("„bbox“ muss aus vier Zahlen bestehen: minlon,minlat,maxlon,maxlat."), "bbox")
    minlon, minlat, maxlon, maxlat = values
    if not (-180 <= minlon < maxlon <= 180 and -90 <= minlat < maxlat <= 90):
        raise DomainError(_("„bbox“ ist ungültig: es muss minlon < maxlon und minlat < maxlat gelten, "
                            "innerhalb von ±180° und ±90°."), "bbox", code="out_of_range")
    if maxlon - minlon > MAX_BBOX_DEGREES or maxlat - minlat > MAX_BBOX_DEGREES:
        raise DomainError(_("„bbox“ ist zu groß (höchstens %(n)s Grad je Richtung).", n=MAX_BBOX_DEGREES), "bbox",
                          code="out_of_range")
    return minlon, minlat, maxlon, maxlat
