"""Departments and routing rules in the admin pages (issue 18): create and change a department,
add a rule after a preview of the open reports it would move, apply rule and moves in one
transaction with audit entries, delete a rule."""
from __future__ import annotations

from sqlalchemy import select

from app.jurisdictions.models import Area, Department, RoutingRule
from app.staff.models import AuditEntry
from geo.routing import route_point
from tests.conftest import csrf_token
from tests.factories import GREFFEN, category, department, make_report, town
from tests.staff.helpers import PASSWORD, login, make_staff


def _admin(client):
    login(client, make_staff("admin").username, PASSWORD)
    return csrf_token(client, "/intern/admin/")


def test_a_department_is_created_and_changed_with_audit(client, db_session):
    token = _admin(client)
    made = client.post("/intern/admin/abteilungen/neu", data={"csrf_token": token, "code": "bauhof-greffen",
                                                              "name": "Bauhof Greffen", "emails": "bauhof@greffen.example",
                                                              "notification": "immediate"})
    assert made.status_code == 303
    greffen = department("bauhof-greffen")
    assert greffen.email == "bauhof@greffen.example" and greffen.notification_mode == "immediate"
    bad = client.post("/intern/admin/abteilungen/neu", data={"csrf_token": token, "code": "bauhof-greffen",
                                                             "name": "", "emails": "kein-mail", "notification": ""})
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert "Bitte geben Sie einen Namen an." in text and "Bitte wählen Sie, wie die Abteilung" in text
    changed = client.post(f"/intern/admin/abteilungen/{greffen.id}", data={
        "csrf_token": token, "name": "Bauhof Greffen", "emails": "", "notification": "digest", "digest_hour": "6"})
    assert changed.status_code == 303
    assert greffen.notification_mode == "digest" and greffen.digest_hour == 6 and greffen.email is None
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "department_update"))
    assert entry.changes == {"emails": [["bauhof@greffen.example"], []], "notification_mode": ["immediate", "digest"],
                             "digest_hour": [7, 6]}


def test_a_rule_is_previewed_then_saved_with_its_moves_in_one_step(client, db_session):
    token = _admin(client)
    open_report = make_report(point=GREFFEN, category_code="schlagloch")
    assert open_report.department_id == department("tiefbau").id
    greffen = db_session.scalar(select(Area).where(Area.jurisdiction_id == town().id, Area.code == "ortsteil-greffen"))
    fields = {"csrf_token": token, "area": str(greffen.id), "category": str(category("schlagloch").id),
              "department": str(department("ordnungsamt").id)}
    rules_before = db_session.scalar(select(RoutingRule.id).order_by(RoutingRule.id.desc()).limit(1))
    preview = client.post("/intern/admin/regeln/vorschau", data=fields)
    assert preview.status_code == 200
    html = preview.get_data(as_text=True)
    assert "Greffen × Schlagloch / Straßenschaden → <strong>Ordnungsamt</strong>" in html
    assert open_report.reference in html and "Tiefbau und Straßen → Ordnungsamt: 1" in html
    assert 'id="reroute" name="reroute" value="1">' in html  # offered, not preselected
    # The preview kept nothing.
    assert db_session.scalar(select(RoutingRule.id).order_by(RoutingRule.id.desc()).limit(1)) == rules_before
    fingerprint = html.split('name="fingerprint" value="')[1].split('"')[0]
    saved = client.post("/intern/admin/regeln", data=dict(fields, reroute="1", fingerprint=fingerprint))
    assert saved.status_code == 303
    db_session.refresh(open_report)
    assert open_report.department_id == department("ordnungsamt").id
    decision = route_point(db_session, town().id, category("schlagloch").id, *GREFFEN)
    assert decision.department_id == department("ordnungsamt").id
    actions = list(db_session.scalars(select(AuditEntry.action).where(AuditEntry.action.in_(
        ["rule_create", "rerouting_applied"])).order_by(AuditEntry.id)))
    assert actions == ["rule_create", "rerouting_applied"]

    rule = db_session.scalar(select(RoutingRule).order_by(RoutingRule.id.desc()).limit(1))
    gone = client.post(f"/intern/admin/regeln/{rule.id}/loeschen", data={"csrf_token": token})
    assert gone.status_code == 303 and db_session.get(RoutingRule, rule.id) is None
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "rule_delete"))
    assert entry.changes["rule"][0]["department"] == "ordnungsamt"


def test_a_rule_without_department_is_refused(client, db_session):
    token = _admin(client)
    response = client.post("/intern/admin/regeln/vorschau", data={"csrf_token": token, "department": ""})
    assert response.status_code == 400 and "Bitte wählen Sie eine Abteilung." in response.get_data(as_text=True)
