"""Importing areas from a GeoJSON FeatureCollection, all or nothing.

Accepted: WGS 84 (EPSG:4326, also as CRS84 or "urn:ogc:def:crs:EPSG::4326") and
projected or geographic German CRS (ETRS89/UTM 32N = EPSG:25832 as published by the
surveying offices, UTM 33N, ETRS89 geographic, Gauss-Krüger 3, Web Mercator). The
CRS comes from the file's legacy ``crs`` member or from the caller; without either,
coordinates beyond ±180/±90 are taken as EPSG:25832.

Repairs, each reported per feature: unclosed rings are closed, swapped axis order
(lat/lon, north/east) is turned round, invalid rings and self-intersections are
made valid with ST_MakeValid (in the source CRS, then again after reprojection).
Refusals name the feature ("Feature 3 (Marienfeld): ..."): not a polygon, too few
positions, non-numeric coordinates, missing or duplicate code, nothing left after
repair, a polygon far outside the town. Nothing is written while any feature is
refused. Geometry is reprojected by PostGIS (ST_Transform) and stored rounded to 7
decimals of a degree (about 1 cm), so the same shapes from WGS 84 and from UTM give
equal areas.
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.areas import AREA_KIND_RANK

SUPPORTED_SRIDS = {4326: "WGS 84", 4258: "ETRS89", 25832: "ETRS89 / UTM 32N", 25833: "ETRS89 / UTM 33N",
                   31467: "DHDN / Gauß-Krüger 3", 3857: "Web Mercator"}
GEOGRAPHIC = {4326, 4258}
GRID_DIGITS = 7  # decimals of a degree kept: about 1 cm
MAX_FEATURES = 20000


class AreaImportError(Exception):
    """The file was refused; ``errors`` names every problem (nothing was written)."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors[:5]) + (f" (und {len(errors) - 5} weitere)" if len(errors) > 5 else ""))
        self.errors = errors


@dataclass
class AreaFeature:
    index: int
    code: str
    name: str
    kind: str
    geometry: dict
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"Feature {self.index} ({self.name or self.code})"


@dataclass
class ImportResult:
    srid: int
    created: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.created) + len(self.replaced)


def srid_from_crs(crs: object) -> int | None:
    """The EPSG code of a GeoJSON 2008 ``crs`` member, or None if absent."""
    if not isinstance(crs, dict):
        return None
    name = str((crs.get("properties") or {}).get("name", ""))
    if "CRS84" in name.upper():
        return 4326
    match = re.search(r"EPSG:{1,2}(\d+)$", name.strip(), re.IGNORECASE)
    return int(match.group(1)) if match else -1


def _slug(value: str) -> str:
    table = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
    return re.sub(r"[^a-z0-9]+", "-", value.lower().translate(table)).strip("-")[:100]


def _positions_ok(ring: object) -> bool:
    return isinstance(ring, (list, tuple)) and all(
        isinstance(p, (list, tuple)) and len(p) >= 2 and all(isinstance(c, (int, float)) and not isinstance(c, bool)
                                                   and math.isfinite(c) for c in p[:2]) for p in ring)


def _check_polygon(rings: object, label: str, notes: list[str]) -> tuple[list, str | None]:
    if not isinstance(rings, (list, tuple)) or not rings:
        return rings, f"{label}: ein Polygon braucht mindestens einen Ring"
    fixed = []
    for number, ring in enumerate(rings, start=1):
        if not _positions_ok(ring):
            return rings, f"{label}: Ring {number} enthält Positionen, die keine Zahlenpaare sind"
        ring = [[float(p[0]), float(p[1])] for p in ring]
        if len(ring) >= 3 and ring[0] != ring[-1]:
            ring = ring + [ring[0]]
            notes.append(f"Ring {number} war nicht geschlossen und wurde geschlossen")
        if len(ring) < 4 or len({tuple(p) for p in ring}) < 3:
            return rings, f"{label}: Ring {number} hat zu wenige Punkte für eine Fläche ({len(ring)})"
        fixed.append(ring)
    return fixed, None


def parse_feature_collection(data: str | bytes | dict, default_kind: str = "ortsteil",
                             code_property: str = "code", name_property: str = "name",
                             srid: int | None = None, any_srid: bool = False) -> tuple[list[AreaFeature], int]:
    """Check the structure of a FeatureCollection; returns (features, srid). With ``any_srid``
    a declared CRS outside ``SUPPORTED_SRIDS`` is left for the caller to check against PostGIS.

    Raises ``AreaImportError`` listing every refused feature.
    """
    if isinstance(data, (str, bytes)):
        try:
            data = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise AreaImportError([f"Die Datei ist kein gültiges JSON: {exc}"]) from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(data.get("features"), list):
        raise AreaImportError(["Erwartet wird eine GeoJSON-FeatureCollection mit einer Liste „features“."])
    features = data["features"]
    if not features:
        raise AreaImportError(["Die FeatureCollection enthält keine Features."])
    if len(features) > MAX_FEATURES:
        raise AreaImportError([f"Zu viele Features ({len(features)}; höchstens {MAX_FEATURES} pro Datei)."])
    file_srid = srid_from_crs(data.get("crs"))
    if file_srid == -1:
        raise AreaImportError([f"Unbekanntes Koordinatensystem im „crs“-Eintrag: {data['crs']!r:.100}"])
    chosen = srid or file_srid
    errors: list[str] = []
    parsed: list[AreaFeature] = []
    seen_codes: dict[str, int] = {}
    for index, feature in enumerate(features, start=1):
        props = (feature or {}).get("properties") or {} if isinstance(feature, dict) else {}
        name = str(props.get(name_property) or props.get("name") or props.get("NAME") or "").strip()[:200]
        code = str(props.get(code_property) or props.get("id") or (feature.get("id") if isinstance(feature, dict)
                                                                    else "") or _slug(name)).strip()[:100]
        kind = str(props.get("kind") or default_kind).strip()
        label = f"Feature {index} ({name or code or 'ohne Namen'})"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            errors.append(f"{label}: kein GeoJSON-Feature")
            continue
        geometry = feature.get("geometry")
        if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
            kind_found = geometry.get("type") if isinstance(geometry, dict) else "keine Geometrie"
            errors.append(f"{label}: Geometrie muss Polygon oder MultiPolygon sein, nicht {kind_found}")
            continue
        if not code:
            errors.append(f"{label}: Code fehlt (Eigenschaft „{code_property}“ oder „name“)")
            continue
        if code in seen_codes:
            errors.append(f"{label}: Code „{code}“ kommt schon in Feature {seen_codes[code]} vor")
            continue
        seen_codes[code] = index
        if kind not in AREA_KIND_RANK:
            errors.append(f"{label}: unbekannte Art „{kind}“ (erlaubt: {', '.join(AREA_KIND_RANK)})")
            continue
        notes: list[str] = []
        polygons = [geometry.get("coordinates")] if geometry["type"] == "Polygon" else geometry.get("coordinates")
        if not isinstance(polygons, (list, tuple)) or not polygons:
            errors.append(f"{label}: Koordinaten fehlen")
            continue
        fixed_polygons = []
        for rings in polygons:
            fixed, error = _check_polygon(rings, label, notes)
            if error:
                errors.append(error)
                break
            fixed_polygons.append(fixed)
        else:
            parsed.append(AreaFeature(index=index, code=code, name=name or code, kind=kind,
                                      geometry={"type": "MultiPolygon", "coordinates": fixed_polygons}, notes=notes))
    if errors:
        raise AreaImportError(errors)
    if chosen is None:
        # No CRS given: degrees if every coordinate fits, else the surveying offices' UTM 32N.
        fits = all(abs(p[0]) <= 180 and abs(p[1]) <= 90 for f in parsed for poly in f.geometry["coordinates"]
                   for ring in poly for p in ring)
        chosen = 4326 if fits else 25832
    if chosen not in SUPPORTED_SRIDS and not any_srid:
        raise AreaImportError([f"Koordinatensystem EPSG:{chosen} wird nicht unterstützt "
                               f"(möglich: {', '.join(f'EPSG:{s}' for s in SUPPORTED_SRIDS)})."])
    return parsed, chosen


def _bbox(features: list[AreaFeature]) -> tuple[float, float, float, float]:
    xs = [p[0] for f in features for poly in f.geometry["coordinates"] for ring in poly for p in ring]
    ys = [p[1] for f in features for poly in f.geometry["coordinates"] for ring in poly for p in ring]
    return min(xs), min(ys), max(xs), max(ys)


def _swap(features: list[AreaFeature]) -> None:
    for f in features:
        f.geometry["coordinates"] = [[[[p[1], p[0]] for p in ring] for ring in poly]
                                     for poly in f.geometry["coordinates"]]
        f.notes.append("Achsenreihenfolge war vertauscht und wurde korrigiert")


def _fix_axis_order(session: Session, jurisdiction_id: int, features: list[AreaFeature], srid: int) -> None:
    """Turn round files written as lat/lon (or north/east), judged on the whole file."""
    minx, miny, maxx, maxy = _bbox(features)
    if srid in GEOGRAPHIC:
        if all(abs(v) <= 90 for v in (minx, maxx)) and any(abs(v) > 90 for v in (miny, maxy)):
            _swap(features)
            return
        extent = session.execute(text(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
            "(SELECT ST_Extent(geom)::geometry AS e FROM areas WHERE jurisdiction_id = :jid) AS x"),
            {"jid": jurisdiction_id}).first()
        if extent and extent[0] is not None:
            ex0, ey0, ex1, ey1 = extent[0] - 0.5, extent[1] - 0.5, extent[2] + 0.5, extent[3] + 0.5
            near = lambda x0, y0, x1, y1: x0 <= ex1 and x1 >= ex0 and y0 <= ey1 and y1 >= ey0  # noqa: E731
            if not near(minx, miny, maxx, maxy) and near(miny, minx, maxy, maxx):
                _swap(features)
    elif srid in (25832, 25833, 31467) and minx > 1_000_000 and maxy < 1_000_000:
        _swap(features)  # northing (millions) given first


_PREPARE_SQL = text("""
    WITH src AS (SELECT ST_SetSRID(ST_GeomFromGeoJSON(:gj), :srid) AS g),
    repaired AS (
        SELECT ST_IsValid(g) AS was_valid, ST_IsValidReason(g) AS reason,
               ST_CollectionExtract(ST_MakeValid(g), 3) AS g FROM src
    ),
    projected AS (
        -- Rounded to 7 decimals through text: the nearest double of each decimal, exactly what
        -- a WGS 84 file with 7 decimals holds (ST_ReducePrecision's grid arithmetic is off by an ulp).
        SELECT was_valid, reason,
               ST_Multi(ST_CollectionExtract(ST_MakeValid(
                   ST_GeomFromText(ST_AsText(ST_Transform(g, 4326), :digits), 4326)), 3)) AS g
        FROM repaired WHERE NOT ST_IsEmpty(g)
    )
    SELECT was_valid, reason, ST_AsEWKB(g) AS ewkb, ST_IsEmpty(g) AS empty,
           ST_XMin(g) AS x0, ST_YMin(g) AS y0, ST_XMax(g) AS x1, ST_YMax(g) AS y1,
           ST_Area(g::geography) AS m2,
           (SELECT bool_or(ST_Intersects(a.geom, g)) FROM areas a
             WHERE a.jurisdiction_id = :jid AND a.kind = 'boundary') AS touches_town,
           (SELECT count(*) FROM areas a WHERE a.jurisdiction_id = :jid AND a.kind = 'boundary') AS towns
    FROM projected
""")

_UPSERT_SQL = text("""
    INSERT INTO areas (jurisdiction_id, code, name, kind, rank, geom, area_m2)
    VALUES (:jid, :code, :name, :kind, :rank, ST_GeomFromEWKB(:ewkb), :m2)
    ON CONFLICT ON CONSTRAINT uq_areas_jurisdiction_id_code DO UPDATE
       SET name = excluded.name, kind = excluded.kind, rank = excluded.rank, geom = excluded.geom,
           area_m2 = excluded.area_m2
    RETURNING (xmax = 0) AS inserted
""")


def import_areas(session: Session, jurisdiction_id: int, data: str | bytes | dict, *, srid: int | None = None,
                 default_kind: str = "ortsteil", replace: bool = False, code_property: str = "code",
                 name_property: str = "name", progress: Callable[[int, int], None] | None = None) -> ImportResult:
    """Validate, repair, reproject and store the areas of a FeatureCollection (never commits).

    Existing areas with the same code are replaced only with ``replace`` (their id
    stays, so rules bound to them keep working). Raises ``AreaImportError`` naming
    every refused feature; then nothing was written (the writes happen in a
    savepoint after every feature passed).
    """
    features, srid = parse_feature_collection(data, default_kind, code_property, name_property, srid, any_srid=True)
    if srid not in SUPPORTED_SRIDS and session.execute(text("SELECT 1 FROM spatial_ref_sys WHERE srid = :s"),
                                                       {"s": srid}).first() is None:
        raise AreaImportError([f"Koordinatensystem EPSG:{srid} wird nicht unterstützt (PostGIS kennt es nicht)."])
    _fix_axis_order(session, jurisdiction_id, features, srid)
    existing = {row[0] for row in session.execute(text("SELECT code FROM areas WHERE jurisdiction_id = :jid"),
                                                  {"jid": jurisdiction_id})}
    errors: list[str] = []
    prepared = []
    total = len(features)
    for number, feature in enumerate(features, start=1):
        if feature.code in existing and not replace:
            errors.append(f"{feature.label}: ein Gebiet mit dem Code „{feature.code}“ gibt es schon "
                          f"(zum Ersetzen: --replace)")
            continue
        try:
            with session.begin_nested():
                row = session.execute(_PREPARE_SQL, {"gj": json.dumps(feature.geometry), "srid": srid,
                                                     "digits": GRID_DIGITS, "jid": jurisdiction_id}).mappings().first()
        except Exception as exc:  # PostGIS refused the geometry outright (e.g. out of the CRS's range)
            message = str(getattr(exc, "orig", exc)).splitlines()[0]
            errors.append(f"{feature.label}: Geometrie nicht lesbar ({message})")
            continue
        if row is None or row["empty"]:
            errors.append(f"{feature.label}: nach der Reparatur bleibt keine Fläche übrig")
            continue
        if not (-180 <= row["x0"] <= row["x1"] <= 180 and -90 <= row["y0"] <= row["y1"] <= 90):
            errors.append(f"{feature.label}: Koordinaten außerhalb von ±180°/±90° – falsches Koordinatensystem?")
            continue
        if row["towns"] and feature.kind != "boundary" and not row["touches_town"]:
            errors.append(f"{feature.label}: liegt vollständig außerhalb des Stadtgebiets "
                          f"(falsches Koordinatensystem, EPSG:{srid}?)")
            continue
        if not row["was_valid"]:
            feature.notes.append(f"ungültige Geometrie repariert ({row['reason']})")
        prepared.append((feature, row))
        if progress and (number % 25 == 0 or number == total):
            progress(number, total)
    if errors:
        raise AreaImportError(errors)
    result = ImportResult(srid=srid)
    with session.begin_nested():
        for feature, row in prepared:
            inserted = session.execute(_UPSERT_SQL, {
                "jid": jurisdiction_id, "code": feature.code, "name": feature.name, "kind": feature.kind,
                "rank": AREA_KIND_RANK[feature.kind], "ewkb": row["ewkb"], "m2": row["m2"]}).scalar_one()
            (result.created if inserted else result.replaced).append(feature.code)
            result.repairs.extend(f"{feature.label}: {note}" for note in feature.notes)
    return result
