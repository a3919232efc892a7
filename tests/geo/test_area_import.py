"""Area import (GeoJSON in WGS 84 or ETRS89/UTM 32N) and routing validation, on real PostGIS."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import shapely
from geoalchemy2.shape import to_shape
from shapely.geometry import MultiPolygon, Polygon, box, shape
from sqlalchemy import func, select, text

from app.db import db
from app.jurisdictions.models import Area, RoutingRule
from geo.areaimport import AreaImportError, import_areas, parse_feature_collection
from geo.routing import OutsideJurisdiction, route_point
from geo.validation import validate_routing
from tests.factories import category, department, routed, town

DATA = Path(__file__).parent / "data"


def on_grid(geom):
    """``geom`` rounded to 7 decimals, as imported areas are stored."""
    return shapely.from_wkt(shapely.to_wkt(geom, rounding_precision=7))
WGS84 = DATA / "ortsteile_wgs84.geojson"
UTM32 = DATA / "ortsteile_etrs89_utm32n.geojson"


def _areas(kind="ortsteil"):
    return {a.code: to_shape(a.geom) for a in db.session.scalars(
        select(Area).where(Area.jurisdiction_id == town().id, Area.kind == kind))}


def _route_table():
    """Department and area of every category on a grid over the town and along the Ortsteil borders."""
    points = [(8.10 + i * 0.0125, 51.89 + j * 0.0075) for i in range(22) for j in range(20)]
    points += [(8.198, 51.95 + k * 0.004) for k in range(15)]
    table = {}
    for point in points:
        for code in ("spielplatz", "schlagloch", "gruenflaeche"):
            try:
                decision = routed(route_point(db.session, town().id, category(code).id, *point))
                table[point, code] = (decision.department_code, decision.area_id, decision.rule_id)
            except OutsideJurisdiction:
                table[point, code] = None
    return table


def _feature(code, geometry, **props):
    return {"type": "Feature", "properties": {"code": code, "name": code.title(), **props}, "geometry": geometry}


def _collection(*features, crs=None):
    data = {"type": "FeatureCollection", "features": list(features)}
    if crs:
        data["crs"] = {"type": "name", "properties": {"name": crs}}
    return data


def _area_count():
    return db.session.scalar(select(func.count()).select_from(Area).where(Area.jurisdiction_id == town().id))


def test_utm32n_file_imports_and_routes_identically_to_the_wgs84_one(db_session):
    before = _route_table()
    from_wgs = import_areas(db.session, town().id, WGS84.read_bytes(), replace=True)
    assert (from_wgs.srid, sorted(from_wgs.replaced)) == (4326, ["ortsteil-greffen", "ortsteil-harsewinkel",
                                                                 "ortsteil-marienfeld"])
    shapes_wgs = _areas()
    routes_wgs = _route_table()
    from_utm = import_areas(db.session, town().id, UTM32.read_bytes(), replace=True)
    assert from_utm.srid == 25832
    shapes_utm = _areas()
    routes_utm = _route_table()
    assert set(shapes_wgs) == set(shapes_utm) == {"ortsteil-greffen", "ortsteil-harsewinkel", "ortsteil-marienfeld"}
    for code in shapes_wgs:
        assert shapes_utm[code].equals(shapes_wgs[code]), code
    assert routes_utm == routes_wgs
    # And they are the file's polygons.
    original = {f["properties"]["code"]: shape(f["geometry"]) for f in json.loads(WGS84.read_text())["features"]}
    for code, geom in shapes_wgs.items():
        assert geom.equals(on_grid(original[code])), code
    # The demo's own Ortsteile (unrounded) route the same departments, up to points within 1 cm of a border.
    inside = [k for k, v in before.items() if v]
    same = sum(1 for k in inside if routes_wgs[k] and routes_wgs[k][0] == before[k][0])
    assert same / len(inside) > 0.99


def test_rules_keep_working_after_replacing_an_area(db_session):
    rule_ids = set(db.session.scalars(select(RoutingRule.id).where(RoutingRule.area_id.is_not(None))))
    import_areas(db.session, town().id, UTM32.read_bytes(), replace=True)
    assert set(db.session.scalars(select(RoutingRule.id).where(RoutingRule.area_id.is_not(None)))) == rule_ids
    decision = routed(route_point(db.session, town().id, category("spielplatz").id, 8.284, 51.937))
    assert decision.department_code == "bauhof-marienfeld"


def test_existing_codes_are_refused_without_replace(db_session):
    before = _area_count()
    with pytest.raises(AreaImportError) as info:
        import_areas(db.session, town().id, WGS84.read_bytes())
    assert any("Feature 1 (Harsewinkel)" in e and "--replace" in e for e in info.value.errors)
    assert _area_count() == before


def test_broken_file_is_refused_naming_each_feature_and_nothing_is_written(db_session):
    good = _feature("spielplatzbezirk", box(8.22, 51.95, 8.23, 51.96).__geo_interface__, kind="custom")
    point = _feature("punkt", {"type": "Point", "coordinates": [8.2, 51.9]})
    short = _feature("kurz", {"type": "Polygon", "coordinates": [[[8.2, 51.9], [8.21, 51.9], [8.2, 51.9]]]})
    text_coord = _feature("text", {"type": "Polygon", "coordinates": [[[8.2, "51.9"], [8.21, 51.9], [8.21, 51.91],
                                                                        [8.2, 51.9]]]})
    bad_kind = _feature("art", box(8.22, 51.95, 8.23, 51.96).__geo_interface__, kind="bezirksamt")
    before = _area_count()
    with pytest.raises(AreaImportError) as info:
        import_areas(db.session, town().id, _collection(good, point, short, text_coord, bad_kind))
    errors = info.value.errors
    assert [e.split(":")[0] for e in errors] == ["Feature 2 (Punkt)", "Feature 3 (Kurz)", "Feature 4 (Text)",
                                                 "Feature 5 (Art)"]
    assert "Polygon oder MultiPolygon" in errors[0] and "zu wenige Punkte" in errors[1]
    assert "keine Zahlenpaare" in errors[2] and "unbekannte Art" in errors[3]
    assert _area_count() == before


@pytest.mark.parametrize("raw,message", [
    (b"{nicht json", "kein gültiges JSON"),
    (json.dumps({"type": "Feature"}).encode(), "FeatureCollection"),
    (json.dumps(_collection()).encode(), "keine Features"),
    (json.dumps(_collection(_feature("x", box(0, 0, 1, 1).__geo_interface__), crs="EPSG:99999")).encode(),
     "nicht unterstützt"),
])
def test_unreadable_files_are_refused(db_session, raw, message):
    with pytest.raises(AreaImportError) as info:
        import_areas(db.session, town().id, raw)
    assert message in info.value.errors[0]


def test_a_polygon_far_outside_the_town_is_refused(db_session):
    far = _feature("berlin-mitte", box(13.38, 52.51, 13.42, 52.53).__geo_interface__, kind="custom")
    with pytest.raises(AreaImportError) as info:
        import_areas(db.session, town().id, _collection(far))
    assert "Feature 1 (Berlin-Mitte)" in info.value.errors[0] and "außerhalb" in info.value.errors[0]


def test_self_intersection_is_repaired_and_reported(db_session):
    # A bow tie: the ring crosses itself at (8.225, 51.955).
    bowtie = {"type": "Polygon", "coordinates": [[[8.22, 51.95], [8.23, 51.96], [8.23, 51.95], [8.22, 51.96],
                                                  [8.22, 51.95]]]}
    result = import_areas(db.session, town().id, _collection(_feature("schleife", bowtie, kind="custom")))
    assert result.created == ["schleife"]
    assert any("Feature 1 (Schleife)" in r and "Self-intersection" in r for r in result.repairs)
    stored = to_shape(db.session.scalar(select(Area.geom).where(Area.code == "schleife")))
    expected = MultiPolygon([Polygon([(8.22, 51.95), (8.225, 51.955), (8.22, 51.96)]),
                             Polygon([(8.23, 51.95), (8.225, 51.955), (8.23, 51.96)])])
    assert stored.equals(on_grid(expected))


def test_unclosed_ring_and_swapped_axes_are_repaired(db_session):
    # Written as [lat, lon] and without repeating the first position.
    swapped_open = {"type": "Polygon", "coordinates": [[[51.95, 8.22], [51.95, 8.23], [51.96, 8.23], [51.96, 8.22]]]}
    result = import_areas(db.session, town().id, _collection(_feature("vertauscht", swapped_open, kind="custom"),
                                                              crs="urn:ogc:def:crs:EPSG::4326"))
    assert any("nicht geschlossen" in r for r in result.repairs)
    assert any("Achsenreihenfolge" in r for r in result.repairs)
    stored = to_shape(db.session.scalar(select(Area.geom).where(Area.code == "vertauscht")))
    assert stored.equals(on_grid(MultiPolygon([box(8.22, 51.95, 8.23, 51.96)])))


def test_hole_survives_import(db_session):
    ring = Polygon(box(8.22, 51.95, 8.24, 51.97).exterior.coords, [box(8.225, 51.955, 8.235, 51.965).exterior.coords])
    import_areas(db.session, town().id, _collection(_feature("ring", ring.__geo_interface__, kind="custom")))
    stored = to_shape(db.session.scalar(select(Area.geom).where(Area.code == "ring")))
    assert stored.equals(on_grid(MultiPolygon([ring])))
    assert len(stored.geoms[0].interiors) == 1


def test_parse_detects_utm_without_crs():
    data = json.loads(UTM32.read_text())
    del data["crs"]
    _features, srid = parse_feature_collection(data)
    assert srid == 25832


def test_cli_import_reports_progress_and_refuses_broken_files(app, tmp_path):
    broken = tmp_path / "broken.geojson"
    broken.write_text(json.dumps(_collection(_feature("a", box(8.22, 51.95, 8.23, 51.96).__geo_interface__),
                                             _feature("b", {"type": "LineString", "coordinates": [[8.2, 51.9],
                                                                                                  [8.3, 51.9]]}))))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["areas", "import", str(broken), "--kind", "custom"])
    assert result.exit_code == 1
    assert "Feature 2 (B)" in result.output and "nothing was imported" in result.output
    good = tmp_path / "good.geojson"
    good.write_text(json.dumps(_collection(_feature("cli-gebiet", box(8.22, 51.95, 8.23, 51.96).__geo_interface__))))
    try:
        result = runner.invoke(args=["areas", "import", str(good), "--kind", "custom"])
        assert result.exit_code == 0, result.output
        assert "checked 1/1 features" in result.output and "imported 1 areas" in result.output
    finally:
        with app.app_context():
            db.session.execute(text("DELETE FROM areas WHERE code = 'cli-gebiet'"))
            db.session.commit()
            db.session.remove()


# --- validation ------------------------------------------------------------------------------------

def test_the_demo_town_validates_without_errors(db_session):
    findings = validate_routing(db.session, town().id)
    assert [f for f in findings if f.severity == "error"] == []


def test_validation_reports_gaps_overlaps_and_missing_rules(db_session):
    # Shrink Greffen: a gap opens between it and Harsewinkel.
    db.session.execute(text(
        "UPDATE areas SET geom = ST_Multi(ST_Difference(geom, ST_MakeEnvelope(8.19, 51.90, 8.198, 52.1, 4326))) "
        "WHERE code = 'ortsteil-greffen'"))
    # Two custom areas overlapping on 0.005° × 0.01°.
    from geo.areas import insert_area

    insert_area(db.session, town().id, "a", "A", "custom", box(8.22, 51.95, 8.23, 51.96))
    insert_area(db.session, town().id, "b", "B", "custom", box(8.225, 51.95, 8.235, 51.96))
    # No fallback and no rule for a new category.
    db.session.execute(text("DELETE FROM routing_rules WHERE area_id IS NULL AND category_id IS NULL"))
    from app.jurisdictions.models import Category

    db.session.add(Category(jurisdiction_id=town().id, code="brunnen", name="Brunnen"))
    # Two winter rules for the same thing.
    for _ in range(2):
        db.session.add(RoutingRule(jurisdiction_id=town().id, category_id=category("schlagloch").id,
                                   department_id=department("gruen").id, valid_from=date(2026, 11, 1),
                                   valid_until=date(2027, 3, 1)))
    db.session.flush()
    findings = validate_routing(db.session, town().id)
    codes = {f.code for f in findings}
    assert {"coverage_gap", "overlap", "missing_rule", "conflicting_rules", "periodic_rule"} <= codes
    gap = next(f for f in findings if f.code == "coverage_gap")
    assert gap.severity == "error" and 8.19 < gap.lon < 8.198
    overlap = next(f for f in findings if f.code == "overlap")
    assert "a und b" in overlap.message and 8.225 <= overlap.lon <= 8.23
    missing = [f.message for f in findings if f.code == "missing_rule"]
    assert any("brunnen" in m for m in missing)


def test_cli_validate_exit_codes(app, db_session):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["routing", "validate"])
    assert result.exit_code == 0, result.output
    assert "0 errors" in result.output
