"""Areas from GeoPackage and Shapefile (pyogrio), in the CRS the file declares: ETRS89/UTM 32N
as the surveying offices publish it, and a CRS outside the usual list (ETRS89-LAEA, EPSG:3035)
that PostGIS knows; through the admin page, with the errors in German."""
from __future__ import annotations

import io
import zipfile

import numpy as np
import pyogrio.raw
from sqlalchemy import func, select, text

from app.jurisdictions.models import Area
from tests.conftest import csrf_token
from tests.factories import GREFFEN, town
from tests.staff.helpers import login, make_staff


def square_in(db_session, srid: int, lon: float, lat: float, half: float = 0.01) -> bytes:
    """A square around (lon, lat), as WKB in ``srid`` (transformed by PostGIS)."""
    return bytes(db_session.execute(text(
        "SELECT ST_AsBinary(ST_Transform(ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326), :srid))"),
        {"x0": lon - half, "y0": lat - half, "x1": lon + half, "y1": lat + half, "srid": srid}).scalar_one())


def write_layer(path: str, wkb: bytes, srid: int, driver: str, code: str, name: str) -> None:
    pyogrio.raw.write(path, np.array([wkb], dtype=object),
                      [np.array([code], dtype=object), np.array([name], dtype=object)],
                      fields=["code", "name"], crs=f"EPSG:{srid}", driver=driver, geometry_type="Polygon")


def _upload(client, data: bytes, filename: str):
    token = csrf_token(client, "/intern/admin/gebiete/")
    return client.post("/intern/admin/gebiete/import", data={
        "csrf_token": token, "kind": "ortsteil", "datei": (io.BytesIO(data), filename)},
        content_type="multipart/form-data")


def _area(db_session, code: str) -> Area | None:
    return db_session.scalar(select(Area).where(Area.jurisdiction_id == town().id, Area.code == code))


def test_geopackage_in_utm_32n_and_zipped_shapefile_in_laea_are_imported(client, db_session, tmp_path):
    login(client, make_staff("admin").username)
    gpkg = tmp_path / "ortsteile.gpkg"
    write_layer(str(gpkg), square_in(db_session, 25832, *GREFFEN), 25832, "GPKG", "greffen-mitte", "Greffen Mitte")
    response = _upload(client, gpkg.read_bytes(), "ortsteile.gpkg")
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:2000]
    area = _area(db_session, "greffen-mitte")
    assert area is not None and area.name == "Greffen Mitte"
    contains = db_session.scalar(select(func.ST_Contains(Area.geom, func.ST_SetSRID(func.ST_MakePoint(*GREFFEN), 4326)))
                                 .where(Area.id == area.id))
    assert contains
    # About 2.2 km × 1.4 km: the reprojection kept the size.
    assert 2_500_000 < area.area_m2 < 3_500_000

    shp = tmp_path / "shape"
    shp.mkdir()
    write_layer(str(shp / "bezirk.shp"), square_in(db_session, 3035, GREFFEN[0] + 0.05, GREFFEN[1]), 3035,
                "ESRI Shapefile", "bezirk-ost", "Bezirk Ost")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        for part in shp.iterdir():
            z.write(part, part.name)
    response = _upload(client, archive.getvalue(), "bezirk.zip")
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:2000]
    assert _area(db_session, "bezirk-ost") is not None


def test_unreadable_and_unknown_files_are_refused_in_german(client, db_session):
    login(client, make_staff("admin").username)
    wrong = _upload(client, b"not a database", "ortsteile.gpkg")
    assert wrong.status_code == 400 and "Die Datei ist nicht lesbar" in wrong.get_data(as_text=True)
    kml = _upload(client, b"<kml/>", "ortsteile.kml")
    assert kml.status_code == 400 and "Dieses Dateiformat wird nicht gelesen (.kml)" in kml.get_data(as_text=True)
    empty_zip = io.BytesIO()
    with zipfile.ZipFile(empty_zip, "w") as z:
        z.writestr("liesmich.txt", "nichts")
    zipped = _upload(client, empty_zip.getvalue(), "leer.zip")
    assert zipped.status_code == 400 and "genau ein Shapefile" in zipped.get_data(as_text=True)
