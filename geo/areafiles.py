"""Reading areas from GeoPackage and Shapefile (what surveying offices publish) with pyogrio,
which ships GDAL in its wheel: the first layer becomes a GeoJSON FeatureCollection carrying the
CRS the file declares, for ``geo.areaimport`` to check, repair and reproject. GeoJSON passes
through unchanged. No Flask, no database."""
from __future__ import annotations

import json
import re
import tempfile
import zipfile
from pathlib import Path

from geo.areaimport import AreaImportError

FORMATS = "GeoJSON (.geojson, .json), GeoPackage (.gpkg) oder Shapefile (.zip mit .shp, .shx, .dbf, .prj)"


def _layer_path(folder: Path, data: bytes, suffix: str) -> str:
    if suffix == ".gpkg":
        path = folder / "upload.gpkg"
        path.write_bytes(data)
        return str(path)
    path = folder / "upload.zip"
    path.write_bytes(data)
    try:
        with zipfile.ZipFile(path) as archive:
            shapes = [n for n in archive.namelist() if n.lower().endswith(".shp") and not n.startswith("__MACOSX")]
    except zipfile.BadZipFile:
        raise AreaImportError(["Die ZIP-Datei ist beschädigt oder keine ZIP-Datei."]) from None
    if len(shapes) != 1:
        raise AreaImportError([f"Die ZIP-Datei muss genau ein Shapefile (.shp) enthalten, gefunden: {len(shapes)}."])
    return f"/vsizip/{path}/{shapes[0]}"


def srid_of(crs: str | None) -> int | None:
    """The EPSG code of a CRS as pyogrio names it ("EPSG:25832"); None without a CRS."""
    if not crs:
        return None
    match = re.fullmatch(r"EPSG:(\d+)", crs.strip(), re.IGNORECASE)
    if match is None:
        raise AreaImportError([f"Das Koordinatensystem der Datei hat keinen EPSG-Code ({crs[:80]}). Bitte als "
                               "EPSG-Koordinatensystem speichern, z. B. EPSG:25832."])
    return int(match.group(1))


def area_collection(data: bytes, filename: str) -> bytes:
    """The file as a GeoJSON FeatureCollection (bytes); raises ``AreaImportError`` in German."""
    suffix = Path(filename or "").suffix.lower()
    if suffix in (".geojson", ".json", ""):
        return data
    if suffix not in (".gpkg", ".zip"):
        raise AreaImportError([f"Dieses Dateiformat wird nicht gelesen ({suffix}). Möglich: {FORMATS}."])
    import pyogrio.raw  # GDAL is a large library: loaded only for these formats
    from shapely import from_wkb
    from shapely.geometry import mapping

    with tempfile.TemporaryDirectory(prefix="areas-") as folder:
        path = _layer_path(Path(folder), data, suffix)
        try:
            meta, _fids, geometries, columns = pyogrio.raw.read(path)
        except Exception as exc:  # GDAL's own message says what it could not read
            raise AreaImportError([f"Die Datei ist nicht lesbar: {str(exc)[:200]}"]) from None
    srid = srid_of(meta.get("crs"))
    names = [str(name) for name in meta.get("fields", [])]
    features = []
    for index, wkb in enumerate(geometries):
        properties = {}
        for name, column in zip(names, columns):
            value = column[index]
            properties[str(name)] = None if value is None else str(value)
        features.append({"type": "Feature", "properties": properties,
                         "geometry": mapping(from_wkb(wkb)) if wkb is not None else None})
    collection: dict = {"type": "FeatureCollection", "features": features}
    if srid is not None:
        collection["crs"] = {"type": "name", "properties": {"name": f"EPSG:{srid}"}}
    return json.dumps(collection).encode()
