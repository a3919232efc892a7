"""Routing rules at the edges, on real PostGIS: precedence, boundaries, holes, overlaps,
validity periods, fallback, outside the town; bulk routing agrees with route_point."""
from __future__ import annotations

from datetime import date

import pytest
from geoalchemy2.shape import to_shape
from shapely.geometry import MultiPolygon, Polygon, box
from sqlalchemy import select, text

from app.db import db
from app.jurisdictions.models import Area, Category, RoutingRule
from geo.areas import insert_area
from geo.rerouting import plan_rerouting
from geo.routing import NoRoutingRule, OutsideJurisdiction, route_point
from tests.factories import GREFFEN, HARSEWINKEL, MARIENFELD, TWENTY_KM_AWAY, category, department, routed, town


def route(point, code, on=None):
    return routed(route_point(db.session, town().id, category(code).id, point[0], point[1], on=on))


def add_area(code, geom, kind="custom", name=None):
    area_id = insert_area(db.session, town().id, code, name or code, kind, geom)
    return db.session.get(Area, area_id)


def add_rule(department_code, area=None, category_code=None, valid_from=None, valid_until=None):
    rule = RoutingRule(jurisdiction_id=town().id, area_id=area.id if area else None,
                       category_id=category(category_code).id if category_code else None,
                       department_id=department(department_code).id, valid_from=valid_from, valid_until=valid_until)
    db.session.add(rule)
    db.session.flush()
    return rule


def area(code):
    return db.session.scalar(select(Area).where(Area.jurisdiction_id == town().id, Area.code == code))


# A 400 m square around Harsewinkel's centre, with a 100 m hole in its middle.
CENTRE = HARSEWINKEL
SQUARE = box(CENTRE[0] - 0.003, CENTRE[1] - 0.002, CENTRE[0] + 0.003, CENTRE[1] + 0.002)
HOLE = box(CENTRE[0] - 0.0007, CENTRE[1] - 0.0005, CENTRE[0] + 0.0007, CENTRE[1] + 0.0005)
RING = Polygon(SQUARE.exterior.coords, [HOLE.exterior.coords])


def test_stored_area_keeps_its_shape_and_hole(db_session):
    stored = add_area("innenstadt", MultiPolygon([RING]))
    assert to_shape(stored.geom).equals(MultiPolygon([RING]))
    assert len(to_shape(stored.geom).geoms[0].interiors) == 1


def test_most_specific_area_wins_then_category_then_fallback(db_session):
    centre = add_area("innenstadt", MultiPolygon([SQUARE]))
    add_rule("ordnungsamt", centre, "schlagloch")           # custom area × category
    add_rule("abfall", area("ortsteil-harsewinkel"), "schlagloch")  # Ortsteil × category
    add_rule("gruen", area("ortsteil-harsewinkel"))                 # Ortsteil × all
    # In the custom area: the custom area's rule beats the Ortsteil's.
    assert route(CENTRE, "schlagloch").department_code == "ordnungsamt"
    assert route(CENTRE, "schlagloch").explanation == "Gebiet innenstadt · Schlagloch / Straßenschaden → Ordnungsamt"
    # Outside it, still in the Ortsteil: the Ortsteil's category rule beats its catch-all.
    elsewhere = (8.245, 51.965)
    assert route(elsewhere, "schlagloch").department_code == "abfall"
    # A category the Ortsteil has no specific rule for: the Ortsteil's catch-all beats the
    # town-wide category rule (area first, then category).
    decision = route(elsewhere, "strassenlaterne")
    assert decision.department_code == "gruen"
    assert decision.explanation == "Ortsteil Harsewinkel · alle Kategorien → Grünflächen"
    # In Greffen nothing area-specific: the town-wide category rule.
    assert route(GREFFEN, "strassenlaterne").department_code == "stadtwerke"


def test_category_without_any_rule_uses_the_fallback(db_session):
    new = Category(jurisdiction_id=town().id, code="brunnen", name="Brunnen")
    db.session.add(new)
    db.session.flush()
    decision = route(MARIENFELD, "brunnen")
    assert decision.department_code == "buergerbuero"
    assert decision.explanation == "ganze Stadt · alle Kategorien → Zentrale Anliegenstelle"


def test_without_fallback_a_category_without_rule_is_a_configuration_error(db_session):
    db.session.execute(text("DELETE FROM routing_rules WHERE jurisdiction_id = :j AND area_id IS NULL "
                            "AND category_id IS NULL"), {"j": town().id})
    db.session.add(Category(jurisdiction_id=town().id, code="brunnen", name="Brunnen"))
    db.session.flush()
    with pytest.raises(NoRoutingRule):
        route(HARSEWINKEL, "brunnen")


@pytest.mark.parametrize("point", [TWENTY_KM_AWAY, (8.0, 51.96), (8.229, 52.2), (13.4, 52.5)])
def test_outside_the_town_is_refused(db_session, point):
    with pytest.raises(OutsideJurisdiction):
        route(point, "schlagloch")


def test_outer_boundary_itself_is_inside(db_session):
    # (8.105, 51.985) and (8.355, 51.945) are vertices of the town boundary (a point
    # on an edge between vertices is rarely representable exactly in floating point).
    for vertex in ((8.105, 51.985), (8.355, 51.945)):
        assert route(vertex, "sonstiges").department_code == "buergerbuero"
    with pytest.raises(OutsideJurisdiction):
        route((8.105 - 1e-7, 51.985), "sonstiges")


def test_point_on_a_shared_boundary_routes_deterministically_to_the_smaller_area(db_session):
    add_rule("ordnungsamt", area("ortsteil-greffen"), "graffiti")
    add_rule("abfall", area("ortsteil-harsewinkel"), "graffiti")
    on_border = (8.198, 51.97)  # the Greffen/Harsewinkel border is the meridian 8.198
    covering = db.session.execute(text(
        "SELECT code FROM areas WHERE kind = 'ortsteil' AND ST_Covers(geom, ST_SetSRID(ST_MakePoint(:x, :y), 4326)) "
        "ORDER BY code"), {"x": on_border[0], "y": on_border[1]}).scalars().all()
    assert covering == ["ortsteil-greffen", "ortsteil-harsewinkel"]
    smaller = min((area("ortsteil-greffen"), area("ortsteil-harsewinkel")), key=lambda a: a.area_m2)
    expected = "ordnungsamt" if smaller.code == "ortsteil-greffen" else "abfall"
    decisions = {route(on_border, "graffiti").department_code for _ in range(5)}
    assert decisions == {expected}
    assert db.session.get(Area, route(on_border, "graffiti").area_id).code == smaller.code
    # Equal areas: the older (lower id) wins, on either side of the tie.
    left = add_area("links", MultiPolygon([box(8.21, 51.95, 8.22, 51.96)]))
    right = add_area("rechts", MultiPolygon([box(8.22, 51.95, 8.23, 51.96)]))
    db.session.execute(text("UPDATE areas SET area_m2 = 1000 WHERE id IN (:a, :b)"), {"a": left.id, "b": right.id})
    add_rule("gruen", right, "graffiti")
    add_rule("stadtwerke", left, "graffiti")
    assert route((8.22, 51.955), "graffiti").department_code == "stadtwerke"


def test_point_in_a_hole_is_not_in_the_area(db_session):
    ring = add_area("ring", MultiPolygon([RING]))
    add_rule("abfall", ring, "graffiti")
    in_hole = CENTRE
    in_ring = (CENTRE[0] + 0.002, CENTRE[1])
    on_hole_edge = (CENTRE[0] + 0.0007, CENTRE[1])
    assert route(in_ring, "graffiti").department_code == "abfall"
    assert db.session.get(Area, route(in_ring, "graffiti").area_id).code == "ring"
    # The hole belongs to the Ortsteil only: the town-wide graffiti rule applies.
    decision = route(in_hole, "graffiti")
    assert decision.department_code == "ordnungsamt"
    assert db.session.get(Area, decision.area_id).code == "ortsteil-harsewinkel"
    # The hole's edge is the area's boundary, which the area covers.
    assert route(on_hole_edge, "graffiti").department_code == "abfall"


def test_overlapping_areas_of_the_same_level_prefer_the_smaller(db_session):
    big = add_area("grosses-gebiet", MultiPolygon([box(8.22, 51.955, 8.24, 51.97)]))
    small = add_area("kleines-gebiet", MultiPolygon([box(8.225, 51.958, 8.235, 51.966)]))
    add_rule("ordnungsamt", big, "wilder-muell")
    add_rule("gruen", small, "wilder-muell")
    assert route(CENTRE, "wilder-muell").department_code == "gruen"
    assert route((8.238, 51.968), "wilder-muell").department_code == "ordnungsamt"


def test_validity_periods_winter_service(db_session):
    add_rule("bauhof-marienfeld", None, "schlagloch", valid_from=date(2026, 11, 1), valid_until=date(2027, 3, 31))
    assert route(HARSEWINKEL, "schlagloch", on=date(2026, 12, 15)).department_code == "bauhof-marienfeld"
    assert route(HARSEWINKEL, "schlagloch", on=date(2026, 11, 1)).department_code == "bauhof-marienfeld"
    assert route(HARSEWINKEL, "schlagloch", on=date(2027, 3, 31)).department_code == "bauhof-marienfeld"
    assert route(HARSEWINKEL, "schlagloch", on=date(2027, 4, 1)).department_code == "tiefbau"
    assert route(HARSEWINKEL, "schlagloch", on=date(2026, 10, 31)).department_code == "tiefbau"
    # An area rule that expired no longer counts, whatever its precedence.
    add_rule("abfall", area("ortsteil-greffen"), "schlagloch", valid_until=date(2020, 1, 1))
    assert route(GREFFEN, "schlagloch", on=date(2026, 6, 1)).department_code == "tiefbau"


def _grid(step=0.01):
    x = 8.10
    while x <= 8.36:
        y = 51.89
        while y <= 52.03:
            yield (round(x, 5), round(y, 5))
            y += step
        x += step


def test_bulk_routing_agrees_with_route_point_everywhere(db_session):
    """Reports on a grid over the town (and the Ortsteil border), routed one by one
    and in bulk after rules changed: same department, rule, area and explanation."""
    from tests.factories import make_report

    codes = ["graffiti", "spielplatz", "schlagloch", "gruenflaeche"]
    points = list(_grid()) + [(8.198, 51.96 + i * 0.005) for i in range(4)]
    made = 0
    for i, point in enumerate(points):
        try:
            route(point, "sonstiges")
        except OutsideJurisdiction:
            continue
        make_report(point=point, category_code=codes[i % len(codes)])
        made += 1
    assert made > 100
    # Change the rules: a custom area with a hole, overlapping areas, border rules, a winter rule.
    ring = add_area("ring", MultiPolygon([RING]))
    add_rule("ordnungsamt", ring, "graffiti")
    add_rule("abfall", area("ortsteil-greffen"), "graffiti")
    add_rule("gruen", area("ortsteil-harsewinkel"))
    add_rule("stadtwerke", add_area("west", MultiPolygon([box(8.10, 51.95, 8.20, 52.0)])))
    add_rule("bauhof-marienfeld", None, "schlagloch", valid_from=date(2026, 1, 1), valid_until=date(2026, 2, 1))
    day = date(2026, 1, 15)
    plan = plan_rerouting(db.session, town().id, ("eingegangen",), on=day)
    assert plan.moved > 10 and plan.outside == 0 and plan.no_rule == 0
    planned = {row.report_id: row for row in db.session.execute(text("SELECT * FROM reroute_plan"))}
    reports = db.session.execute(text(
        "SELECT r.id, r.category_id, r.department_id, r.routing_rule_id, r.area_id, ST_X(r.location) AS x, "
        "ST_Y(r.location) AS y FROM reports r WHERE r.jurisdiction_id = :j"), {"j": town().id}).all()
    for report in reports:
        decision = route_point(db.session, town().id, report.category_id, report.x, report.y, on=day)
        row = planned.get(report.id)
        if row is None:  # unchanged
            assert (decision.department_id, decision.rule_id, decision.area_id) == \
                (report.department_id, report.routing_rule_id, report.area_id)
        else:
            assert (row.new_department_id, row.new_rule_id, row.new_area_id, row.new_explanation) == \
                (decision.department_id, decision.rule_id, decision.area_id, decision.explanation)
