"""Re-routing after rules change: preview, apply in one transaction, audit, department mail."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select, text

from app.areas.models import ReroutingMove, ReroutingRun
from app.areas.rerouting import apply_rerouting, preview_rerouting
from app.db import db
from app.errors import DomainError
from app.jurisdictions.models import Area, RoutingRule
from app.outbox.models import OutboxMessage
from app.reports.models import Report
from app.reports.operations import change_status
from tests.conftest import run_worker
from tests.factories import GREFFEN, HARSEWINKEL, MARIENFELD, category, department, make_report, town


def _marienfeld_green_rules():
    return select(RoutingRule).where(RoutingRule.area_id == select(Area.id).where(
        Area.code == "ortsteil-marienfeld").scalar_subquery(), RoutingRule.category_id == category("gruenflaeche").id)


def _hand_marienfeld_green_to_gruen():
    """The town dissolves the Bauhof Marienfeld's green-space duty: its rule goes."""
    db.session.execute(delete(RoutingRule).where(RoutingRule.id.in_(
        [r.id for r in db.session.scalars(_marienfeld_green_rules())])))
    db.session.flush()


def test_preview_lists_moves_and_writes_nothing(db_session):
    moving = make_report(point=MARIENFELD, category_code="gruenflaeche")
    staying = make_report(point=HARSEWINKEL, category_code="gruenflaeche")
    closed = make_report(point=MARIENFELD, category_code="gruenflaeche")
    change_status(closed, "erledigt", public_note="ok", actor="test")
    assert moving.department.code == "bauhof-marienfeld"
    _hand_marienfeld_green_to_gruen()
    preview = preview_rerouting(town())
    assert preview.plan.moved == 1
    assert [(a.code, b.code, n) for a, b, n in preview.flows_named()] == [("bauhof-marienfeld", "gruen", 1)]
    assert [row["reference"] for row in preview.sample] == [moving.reference]
    assert preview.sample[0]["new_explanation"] == "ganze Stadt · Grünfläche / Baum → Grünflächen"
    db.session.expire_all()
    assert db.session.get(Report, moving.id).department.code == "bauhof-marienfeld"
    assert db.session.get(Report, staying.id).department.code == "gruen"
    assert db.session.scalar(select(func.count()).select_from(ReroutingRun)) == 0


def test_apply_moves_open_reports_with_audit_and_outbox(db_session):
    moving = [make_report(point=MARIENFELD, category_code="gruenflaeche") for _ in range(3)]
    closed = make_report(point=MARIENFELD, category_code="gruenflaeche")
    change_status(closed, "erledigt", public_note="ok", actor="test")
    _hand_marienfeld_green_to_gruen()
    fingerprint = preview_rerouting(town()).plan.fingerprint
    run = apply_rerouting(town(), actor="admin:test", expected_fingerprint=fingerprint, reason="Neuordnung Bauhof")
    db.session.expire_all()
    for report in moving:
        report = db.session.get(Report, report.id)
        assert report.department.code == "gruen"
        assert report.routing_explanation == "ganze Stadt · Grünfläche / Baum → Grünflächen"
    assert db.session.get(Report, closed.id).department.code == "bauhof-marienfeld"
    run = db.session.get(ReroutingRun, run.id)
    assert (run.moved, run.actor, run.reason) == (3, "admin:test", "Neuordnung Bauhof")
    assert run.flows == [[department("bauhof-marienfeld").id, department("gruen").id, 3]]
    moves = db.session.scalars(select(ReroutingMove).where(ReroutingMove.run_id == run.id)).all()
    assert sorted(m.report_id for m in moves) == sorted(r.id for r in moving)
    assert {(m.from_department_id, m.to_department_id) for m in moves} == \
        {(department("bauhof-marienfeld").id, department("gruen").id)}
    messages = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reports_rerouted")).all()
    assert [(m.payload["run_id"], m.payload["department_id"]) for m in messages] == [(run.id, department("gruen").id)]
    # Nothing left to do: a second plan is empty.
    assert preview_rerouting(town()).plan.moved == 0


def test_apply_refuses_a_stale_preview_and_writes_nothing(db_session):
    make_report(point=MARIENFELD, category_code="gruenflaeche")
    _hand_marienfeld_green_to_gruen()
    fingerprint = preview_rerouting(town()).plan.fingerprint
    make_report(point=MARIENFELD, category_code="spielplatz")
    db.session.execute(delete(RoutingRule).where(RoutingRule.area_id.is_not(None)))
    with pytest.raises(DomainError) as info:
        apply_rerouting(town(), actor="admin:test", expected_fingerprint=fingerprint)
    assert info.value.code == "stale_preview" and info.value.status == 409
    assert db.session.scalar(select(func.count()).select_from(ReroutingRun)) == 0
    assert db.session.scalar(select(func.count()).select_from(Report).where(
        Report.department_id == department("gruen").id)) == 0


def test_reports_outside_every_area_keep_their_department(db_session):
    report = make_report(point=GREFFEN, category_code="schlagloch")
    # Greffen leaves the town's area list (a border change): nothing covers the report now.
    db.session.execute(text("UPDATE reports SET area_id = NULL WHERE id = :id"), {"id": report.id})
    db.session.execute(text("DELETE FROM areas WHERE jurisdiction_id = :j AND code IN "
                            "('ortsteil-greffen', 'stadtgebiet')"), {"j": town().id})
    plan = preview_rerouting(town()).plan
    assert plan.outside == 1 and plan.moved == 0
    apply_rerouting(town(), actor="test")
    assert db.session.get(Report, report.id).department.code == "tiefbau"


def test_department_gaining_reports_gets_a_mail_with_the_routing_in_words(committing, smtp_server):
    with committing.app_context():
        reports = [make_report(point=MARIENFELD, category_code="spielplatz") for _ in range(2)]
        references = sorted(r.reference for r in reports)
        db.session.commit()
        rules = list(db.session.scalars(select(RoutingRule).where(
            RoutingRule.category_id == category("spielplatz").id, RoutingRule.area_id.is_not(None))))
        saved = [(r.jurisdiction_id, r.area_id, r.category_id, r.department_id) for r in rules]
        try:
            for rule in rules:
                db.session.delete(rule)
            db.session.flush()
            apply_rerouting(town(), actor="admin:test")
            db.session.commit()
            run_worker(committing)
            mails = smtp_server.to("gruen@harsewinkel.example")
            rerouted = [m for m in mails if "neu an" in str(m["Subject"])]
            assert len(rerouted) == 1
            body = rerouted[0].get_body(("plain",)).get_content()
            assert all(ref in body for ref in references)
            assert "Bauhof Marienfeld" in body
            # The routing in the words of the staff page (issue 19 point 9), no "Regel N: … × code".
            assert body.count("ganze Stadt · Spielplatz → Grünflächen") == 2
            assert "Regel" not in body and "×" not in body and "spielplatz" not in body
            html = rerouted[0].get_body(("html",)).get_content()
            assert "ganze Stadt · Spielplatz → Grünflächen" in html and "Regel" not in html
        finally:
            db.session.rollback()
            db.session.execute(text("DELETE FROM rerouting_runs"))
            for jid, area_id, category_id, department_id in saved:
                db.session.add(RoutingRule(jurisdiction_id=jid, area_id=area_id, category_id=category_id,
                                           department_id=department_id))
            db.session.commit()


def test_cli_reroute_preview_and_apply(app, db_session):
    make_report(point=MARIENFELD, category_code="gruenflaeche")
    _hand_marienfeld_green_to_gruen()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["routing", "reroute"])
    assert result.exit_code == 0, result.output
    assert "1 would move" in result.output and "bauhof-marienfeld -> gruen" in result.output
    assert "preview only" in result.output
