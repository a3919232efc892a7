"""No dangerous defaults (issue 18): a new account starts with the least role, the reassignment
target and the bulk action start empty, and sending them empty changes nothing."""
from __future__ import annotations

import re

from app.db import db
from tests.conftest import csrf_token
from tests.factories import department, make_report
from tests.staff.helpers import PASSWORD, login, make_staff


def _selected(html: str, select_id: str) -> list[str]:
    """The option texts preselected in the select ``select_id`` (the browser takes the first without any)."""
    block = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', html, re.S).group(1)
    options = re.findall(r"<option([^>]*)>([^<]*)</option>", block)
    chosen = [text for attrs, text in options if "selected" in attrs]
    return chosen or [options[0][1]]


def test_a_new_account_starts_as_staff_and_department_by_name(client, db_session):
    login(client, make_staff("admin").username, PASSWORD)
    make_staff("dispatcher")
    html = client.get("/intern/admin/").get_data(as_text=True)
    # Roles read in German words on the German page; the codes are only the options' values.
    assert ">Leitstelle</td>" in html and ">Administration</td>" in html
    assert [code for code in ("admin", "dispatcher", "staff") if f">{code}<" in html] == []
    assert _selected(html, "new-role") == ["Sachbearbeitung"]  # the role "staff", named in words
    assert '<option value="staff" selected>Sachbearbeitung</option>' in html
    assert _selected(html, "new-dept") == ["–"]
    assert ">Tiefbau und Straßen</option>" in html


def test_reassignment_and_bulk_action_start_empty_and_refuse_empty(client, db_session):
    login(client, make_staff("dispatcher").username, PASSWORD)
    report = make_report(category_code="schlagloch")
    page = client.get(f"/intern/meldungen/{report.id}").get_data(as_text=True)
    assert _selected(page, "department") == ["– bitte wählen –"]
    queue = client.get("/intern/eingang").get_data(as_text=True)
    assert _selected(queue, "bulk-action") == ["– bitte wählen –"]
    assert _selected(queue, "bulk-value") == ["– bitte wählen –"]

    token = csrf_token(client, f"/intern/meldungen/{report.id}")
    refused = client.post(f"/intern/meldungen/{report.id}/abteilung",
                          data={"csrf_token": token, "department": "", "reason": "Test"})
    assert refused.status_code == 400 and "Bitte wählen Sie eine Abteilung." in refused.get_data(as_text=True)
    bulk = client.post("/intern/sammelaktion", data={"csrf_token": token, "ids": [str(report.id)], "action": "",
                                                     "value": ""})
    assert bulk.status_code == 400
    db.session.refresh(report)
    assert report.department_id == department("tiefbau").id and report.status == "eingegangen"


def test_a_new_api_key_may_only_create_reports_unless_more_is_granted(client, db_session):
    """Setting the status of any report of the town (servicerequestupdates) is not preselected; the
    keys' rights are listed in words."""
    from app.open311.models import ApiClient

    login(client, make_staff("admin").username, PASSWORD)
    html = client.get("/intern/admin/api-schluessel").get_data(as_text=True)
    checked = re.findall(r'<input type="checkbox" id="action-([a-z_]+)"[^>]*?(checked)?>', html)
    assert checked == [("create_request", "checked"), ("post_update", "")]
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    client.post("/intern/admin/api-schluessel", data={"csrf_token": token, "name": "Bürger-App",
                                                       "actions": ["create_request"]})
    assert db_session.query(ApiClient).filter_by(name="Bürger-App").one().allowed_actions == ["create_request"]
    listed = client.get("/intern/admin/api-schluessel").get_data(as_text=True)
    assert "<td>Meldungen anlegen</td>" in listed and "create_request<" not in listed
