"""Retiring departments and categories (issue 18): the admin names where open reports go on a
confirmation page (nothing preselected), the reports, rules and the Open311 list follow, audited.
Departments with several addresses; areas renamed, re-kinded and re-ranked, counts right."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.jurisdictions.models import Area, RoutingRule
from app.staff.models import AuditEntry
from geo.routing import route_point
from tests.conftest import csrf_token
from tests.factories import GREFFEN, HARSEWINKEL, category, department, make_report, town
from tests.staff.helpers import PASSWORD, login, make_staff


def _admin(client) -> str:
    login(client, make_staff("admin").username, PASSWORD)
    return csrf_token(client, "/intern/admin/")


def test_retiring_a_department_asks_where_its_reports_go_then_moves_reports_and_rules(client, db_session):
    token = _admin(client)
    gruen, ordnung = department("gruen"), department("ordnungsamt")
    report = make_report(category_code="gruenflaeche", point=HARSEWINKEL)
    assert report.department_id == gruen.id
    page = client.get(f"/intern/admin/abteilungen/{gruen.id}/aufloesen").get_data(as_text=True)
    select_block = re.search(r'<select id="successor"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert '<option value="" selected>– bitte wählen –</option>' in select_block
    assert select_block.count("selected") == 1 and ">Grünflächen</option>" not in select_block
    empty = client.post(f"/intern/admin/abteilungen/{gruen.id}/aufloesen", data={"csrf_token": token, "successor": ""})
    assert empty.status_code == 400 and "Bitte wählen Sie, welche Abteilung" in empty.get_data(as_text=True)
    confirm = client.post(f"/intern/admin/abteilungen/{gruen.id}/aufloesen",
                          data={"csrf_token": token, "successor": str(ordnung.id)})
    text = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "1 offene Meldungen und" in text and "gehen an „Ordnungsamt“" in text
    db_session.refresh(gruen)
    assert gruen.retired_at is None and report.department_id == gruen.id  # asking changed nothing
    done = client.post(f"/intern/admin/abteilungen/{gruen.id}/aufloesen",
                       data={"csrf_token": token, "successor": str(ordnung.id), "confirmed": "1"})
    assert done.status_code == 303
    db_session.refresh(gruen)
    db_session.refresh(report)
    assert gruen.retired_at is not None and gruen.successor_id == ordnung.id and report.department_id == ordnung.id
    assert db_session.scalar(select(RoutingRule.id).where(RoutingRule.department_id == gruen.id)) is None
    assert route_point(db_session, town().id, category("gruenflaeche").id, *HARSEWINKEL).department_id == ordnung.id
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "department_retire"))
    assert entry.changes["successor"] == "ordnungsamt" and entry.changes["moved"] == 1
    moved = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "reassign", AuditEntry.report_id == report.id))
    assert moved.changes["department"] == ["gruen", "ordnungsamt"]
    index = client.get("/intern/admin/").get_data(as_text=True)
    assert "aufgelöst" in index
    rule_select = re.search(r'<select id="rule-department"[^>]*>(.*?)</select>', index, re.S).group(1)
    assert ">Grünflächen</option>" not in rule_select
    again = client.post(f"/intern/admin/abteilungen/{gruen.id}/aufloesen",
                        data={"csrf_token": token, "successor": str(ordnung.id), "confirmed": "1"})
    assert again.status_code == 400
    report_page = client.get(f"/intern/meldungen/{report.id}").get_data(as_text=True)
    forward_select = re.search(r'<select id="department"[^>]*>(.*?)</select>', report_page, re.S).group(1)
    assert ">Tiefbau und Straßen</option>" in forward_select and ">Grünflächen</option>" not in forward_select
    forwarded = client.post(f"/intern/meldungen/{report.id}/abteilung",
                            data={"csrf_token": token, "department": str(gruen.id), "reason": "Test"})
    assert forwarded.status_code == 400 and "Diese Abteilung ist aufgelöst." in forwarded.get_data(as_text=True)


def test_retiring_a_category_moves_its_open_reports_and_drops_it_from_open311(client, db_session):
    token = _admin(client)
    graffiti, sonstiges = category("graffiti"), category("sonstiges")
    report = make_report(category_code="graffiti")
    services = client.get("/open311/v2/services.json").get_json()
    assert "graffiti" in [s["service_code"] for s in services]
    page = client.get(f"/intern/admin/kategorien/{graffiti.id}/aufloesen").get_data(as_text=True)
    assert '<option value="" selected>– bitte wählen –</option>' in page
    confirm = client.post(f"/intern/admin/kategorien/{graffiti.id}/aufloesen",
                          data={"csrf_token": token, "successor": str(sonstiges.id)})
    assert "wechseln in die Kategorie „Sonstiges“" in confirm.get_data(as_text=True)
    done = client.post(f"/intern/admin/kategorien/{graffiti.id}/aufloesen",
                       data={"csrf_token": token, "successor": str(sonstiges.id), "confirmed": "1"})
    assert done.status_code == 303
    db_session.refresh(report)
    db_session.refresh(graffiti)
    assert report.category_id == sonstiges.id and not graffiti.active and graffiti.successor_id == sonstiges.id
    services = client.get("/open311/v2/services.json").get_json()
    assert "graffiti" not in [s["service_code"] for s in services]
    form = client.get("/melden").get_data(as_text=True)
    assert 'value="sonstiges"' in form and 'value="graffiti"' not in form
    switched_on = client.post(f"/intern/admin/kategorien/{graffiti.id}",
                              data={"csrf_token": token, "target_days": "14", "active": "1"})
    assert switched_on.status_code == 400
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "category_retire"))
    assert entry.changes == {"successor": "sonstiges", "moved": 1, "active": [True, False]}


def test_a_department_gets_several_addresses(client, db_session):
    token = _admin(client)
    tiefbau = department("tiefbau")
    saved = client.post(f"/intern/admin/abteilungen/{tiefbau.id}", data={
        "csrf_token": token, "name": tiefbau.name, "emails": "tiefbau@harsewinkel.example, Leitung@Harsewinkel.example",
        "notification": "immediate"})
    assert saved.status_code == 303
    assert tiefbau.emails == ["tiefbau@harsewinkel.example", "Leitung@harsewinkel.example"]
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "department_update"))
    assert entry.changes["emails"] == [["tiefbau@harsewinkel.example"],
                                       ["tiefbau@harsewinkel.example", "Leitung@harsewinkel.example"]]
    bad = client.post(f"/intern/admin/abteilungen/{tiefbau.id}", data={
        "csrf_token": token, "name": tiefbau.name, "emails": "a@b.example, kaputt", "notification": "immediate"})
    assert bad.status_code == 400 and "E-Mail-Adresse ist ungültig" in bad.get_data(as_text=True)
    log = client.get("/intern/admin/protokoll").get_data(as_text=True)
    assert "Abteilung geändert" in log and "tiefbau@harsewinkel.example, Leitung@harsewinkel.example" in log


def test_areas_are_renamed_rekinded_reranked_and_the_town_area_counts_town_wide_rules(client, db_session):
    token = _admin(client)
    jid = town().id
    greffen = db_session.scalar(select(Area).where(Area.jurisdiction_id == jid, Area.code == "ortsteil-greffen"))
    boundary = db_session.scalar(select(Area).where(Area.jurisdiction_id == jid, Area.kind == "boundary"))
    town_wide = db_session.scalar(select(RoutingRule.id).where(RoutingRule.jurisdiction_id == jid,
                                                               RoutingRule.area_id.is_(None)).limit(1))
    assert town_wide is not None
    page = client.get("/intern/admin/gebiete/").get_data(as_text=True)
    expected = len(list(db_session.scalars(select(RoutingRule.id).where(
        RoutingRule.jurisdiction_id == jid, (RoutingRule.area_id.is_(None)) | (RoutingRule.area_id == boundary.id)))))
    row = page.split(f">{boundary.code}</td>")[1].split("</tr>")[0]
    assert re.search(rf'<td data-label="Regeln">{expected}</td>', row), row[:200]
    saved = client.post(f"/intern/admin/gebiete/{greffen.id}", data={"csrf_token": token, "name": "Ortsteil Greffen",
                                                                      "kind": "custom", "rank": "40"})
    assert saved.status_code == 303
    db_session.refresh(greffen)
    assert (greffen.name, greffen.kind, greffen.rank) == ("Ortsteil Greffen", "custom", 40)
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "area_update"))
    assert entry.changes == {"name": ["Greffen", "Ortsteil Greffen"], "kind": ["ortsteil", "custom"], "rank": [20, 40]}
    refused = client.post(f"/intern/admin/gebiete/{greffen.id}", data={"csrf_token": token, "name": "", "kind": "x"})
    assert refused.status_code == 400
    assert route_point(db_session, jid, category("schlagloch").id, *GREFFEN) is not None


def test_an_area_at_its_kinds_rank_follows_a_new_kind_unless_a_rank_is_typed(client, db_session):
    """The rank field is empty (the kind's rank as its placeholder) while an area has its kind's
    rank, so changing the kind on the page brings the new kind's rank, as a town file does; an own
    rank is shown and kept."""
    token = _admin(client)
    greffen = db_session.scalar(select(Area).where(Area.jurisdiction_id == town().id, Area.code == "ortsteil-greffen"))
    page = client.get("/intern/admin/gebiete/").get_data(as_text=True)
    field = re.search(rf'<input id="area-rank-{greffen.id}"[^>]*>', page).group(0)
    assert 'value=""' in field and 'placeholder="20"' in field
    # The browser sends the empty field as it is.
    client.post(f"/intern/admin/gebiete/{greffen.id}", data={"csrf_token": token, "name": greffen.name,
                                                              "kind": "custom", "rank": ""})
    db_session.refresh(greffen)
    assert (greffen.kind, greffen.rank) == ("custom", 30)
    client.post(f"/intern/admin/gebiete/{greffen.id}", data={"csrf_token": token, "name": greffen.name,
                                                              "kind": "custom", "rank": "45"})
    page = client.get("/intern/admin/gebiete/").get_data(as_text=True)
    assert 'value="45"' in re.search(rf'<input id="area-rank-{greffen.id}"[^>]*>', page).group(0)
