"""The admin page /intern/admin/gebiete: access, import with errors named, re-routing."""
from __future__ import annotations

import io
import json
import re
from pathlib import Path

from sqlalchemy import delete, func, select

from app.areas.models import ReroutingRun
from app.db import db
from app.jurisdictions.models import Area, RoutingRule
from app.reports.models import Report
from tests.factories import MARIENFELD, category, make_report, town
from tests.staff.helpers import login, make_staff

DATA = Path(__file__).parent / "data"


def _admin(client):
    user = make_staff("admin")
    login(client, user.username)
    return user


def _token(client, path):
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert match
    return match.group(1)


def test_only_admins_see_the_page(client, db_session):
    anonymous = client.get("/intern/admin/gebiete/")
    assert anonymous.status_code in (302, 303)
    dispatcher = make_staff("dispatcher")
    login(client, dispatcher.username)
    assert client.get("/intern/admin/gebiete/").status_code == 403


def test_page_lists_areas_and_validation(client, db_session):
    _admin(client)
    page = client.get("/intern/admin/gebiete/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "ortsteil-marienfeld" in html and "0 Fehler" in html
    assert page.headers["Cache-Control"] == "private, no-store"


def test_upload_of_a_broken_file_names_the_feature_and_imports_nothing(client, db_session):
    _admin(client)
    before = db.session.scalar(select(func.count()).select_from(Area))
    broken = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "ok", "name": "Gut"},
         "geometry": {"type": "Polygon", "coordinates": [[[8.22, 51.95], [8.23, 51.95], [8.23, 51.96], [8.22, 51.95]]]}},
        {"type": "Feature", "properties": {"code": "linie", "name": "Linie"},
         "geometry": {"type": "LineString", "coordinates": [[8.2, 51.9], [8.3, 51.9]]}}]}
    response = client.post("/intern/admin/gebiete/import", data={
        "csrf_token": _token(client, "/intern/admin/gebiete/"), "kind": "custom",
        "datei": (io.BytesIO(json.dumps(broken).encode()), "gebiete.geojson")}, content_type="multipart/form-data")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Feature 2 (Linie)" in html and "nichts importiert" in html
    assert db.session.scalar(select(func.count()).select_from(Area)) == before


def test_upload_with_an_unknown_kind_or_crs_is_refused_naming_it(client, db_session):
    """Unknown choices are a 400 in German (an unsupported EPSG code used to be ignored silently)."""
    _admin(client)
    before = db.session.scalar(select(func.count()).select_from(Area))
    for fields, words in (({"kind": "bezirk"}, "Diese Gebietsart gibt es nicht."),
                          ({"kind": "ortsteil", "srid": "2154"}, "Dieses Koordinatensystem wird nicht unterstützt.")):
        response = client.post("/intern/admin/gebiete/import", data={
            "csrf_token": _token(client, "/intern/admin/gebiete/"), **fields,
            "datei": (io.BytesIO((DATA / "ortsteile_etrs89_utm32n.geojson").read_bytes()), "ortsteile.geojson")},
            content_type="multipart/form-data")
        assert response.status_code == 400 and words in response.get_data(as_text=True), fields
    assert db.session.scalar(select(func.count()).select_from(Area)) == before


def test_upload_of_the_utm_ortsteile_replaces_them(client, db_session):
    _admin(client)
    response = client.post("/intern/admin/gebiete/import", data={
        "csrf_token": _token(client, "/intern/admin/gebiete/"), "kind": "ortsteil", "replace": "1",
        "datei": (io.BytesIO((DATA / "ortsteile_etrs89_utm32n.geojson").read_bytes()), "ortsteile.geojson")},
        content_type="multipart/form-data", follow_redirects=True)
    assert response.status_code == 200
    assert "3 Gebiete importiert (EPSG:25832)" in response.get_data(as_text=True)


def test_reroute_preview_and_apply(client, db_session):
    user = _admin(client)
    report = make_report(point=MARIENFELD, category_code="spielplatz")
    db.session.execute(delete(RoutingRule).where(RoutingRule.area_id.is_not(None),
                                                 RoutingRule.category_id == category("spielplatz").id))
    db.session.flush()
    preview = client.get("/intern/admin/gebiete/umleitung")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and report.reference in html and "Bauhof Marienfeld" in html
    fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]+)"', html).group(1)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    stale = client.post("/intern/admin/gebiete/umleitung", data={"csrf_token": token, "fingerprint": "0" * 32})
    assert stale.status_code == 409
    done = client.post("/intern/admin/gebiete/umleitung", data={"csrf_token": token, "fingerprint": fingerprint,
                                                                 "reason": "Spielplätze zentral"})
    assert done.status_code in (302, 303)
    db.session.expire_all()
    assert db.session.get(Report, report.id).department.code == "gruen"
    run = db.session.scalars(select(ReroutingRun)).one()
    assert run.actor == f"admin:{user.username}" and run.reason == "Spielplätze zentral"
