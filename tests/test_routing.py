"""Routing in PostGIS, on the Harsewinkel demo town."""
from __future__ import annotations

import pytest

from app.errors import ValidationFailed
from geo.routing import OutsideJurisdiction, route_point
from tests.factories import GREFFEN, HARSEWINKEL, MARIENFELD, TWENTY_KM_AWAY, category, make_report, routed, town


def route(point, code):
    from app.db import db

    return routed(route_point(db.session, town().id, category(code).id, point[0], point[1]))


def test_spielplatz_in_marienfeld_goes_to_bauhof_marienfeld(db_session):
    decision = route(MARIENFELD, "spielplatz")
    assert decision.department_code == "bauhof-marienfeld"
    assert decision.explanation == "Ortsteil Marienfeld · Spielplatz → Bauhof Marienfeld"


def test_spielplatz_in_greffen_goes_to_gruen(db_session):
    decision = route(GREFFEN, "spielplatz")
    assert decision.department_code == "gruen"
    assert decision.explanation == "ganze Stadt · Spielplatz → Grünflächen"


@pytest.mark.parametrize("point", [HARSEWINKEL, GREFFEN, MARIENFELD])
def test_sonstiges_goes_to_buergerbuero_everywhere(db_session, point):
    assert route(point, "sonstiges").department_code == "buergerbuero"


def test_point_20_km_away_is_refused(db_session):
    with pytest.raises(OutsideJurisdiction):
        route(TWENTY_KM_AWAY, "schlagloch")


def test_submission_20_km_away_is_refused_naming_the_location(db_session):
    with pytest.raises(ValidationFailed) as info:
        make_report(point=TWENTY_KM_AWAY)
    assert info.value.errors[0].field == "location"
    assert "außerhalb" in str(info.value.errors[0].message)


def test_report_keeps_the_rule_that_routed_it(db_session):
    report = make_report(point=MARIENFELD, category_code="spielplatz")
    assert report.department.code == "bauhof-marienfeld"
    assert report.routing_rule.area.code == "ortsteil-marienfeld"
    # Stored in the words of the staff page, no rule number (issue 19 point 9).
    assert report.routing_explanation == "Ortsteil Marienfeld · Spielplatz → Bauhof Marienfeld"
    assert report.area.code == "ortsteil-marienfeld"


def test_ortsteile_contain_their_village_centres(db_session):
    from app.db import db
    from sqlalchemy import text

    rows = db.session.execute(text(
        "SELECT a.code FROM areas a WHERE a.kind = 'ortsteil' "
        "AND ST_Covers(a.geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))"), {"lon": MARIENFELD[0], "lat": MARIENFELD[1]})
    assert [r[0] for r in rows] == ["ortsteil-marienfeld"]
    for point, code in [(HARSEWINKEL, "ortsteil-harsewinkel"), (GREFFEN, "ortsteil-greffen")]:
        decision = route(point, "schlagloch")
        assert decision.department_code == "tiefbau"
        from app.jurisdictions.models import Area

        assert db.session.get(Area, decision.area_id).code == code


def test_the_department_mail_gives_the_routing_in_words(db_session):
    """Issue 19 point 9: no "Regel 12: Ortsteil Marienfeld × spielplatz" in a mail any more."""
    from sqlalchemy import select

    from app.db import db
    from app.outbox.models import OutboxMessage
    from app.reports.notifications import new_report

    report = make_report(point=MARIENFELD, category_code="spielplatz")
    message = next(m for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "new_report"))
                   if m.payload["report_id"] == report.id)
    mail = new_report(message)
    for part in ("plain", "html"):
        body = mail.get_body((part,)).get_content()
        assert "Zuordnung: Ortsteil Marienfeld · Spielplatz → Bauhof Marienfeld" in body
        assert "Regel" not in body and "×" not in body
