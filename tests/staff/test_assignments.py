"""Assignment inside a department (issue 19 point 3): people and teams, "Meine Aufgaben", the
unassigned filter, bulk assignment, the assignee's mail through the outbox."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.db import db
from app.outbox.models import OutboxMessage
from app.staff.models import AuditEntry, ReportAssignment, StaffTeam
from tests.conftest import csrf_token
from tests.factories import department, make_report
from tests.staff.helpers import PASSWORD, login, make_staff


def _refs(client, query: str) -> set[str]:
    page = client.get(f"/intern/eingang?{query}").get_data(as_text=True)
    return set(re.findall(r'class="report-link">([^<]+)<', page))


def _assign(client, report, value):
    from flask import g

    g.pop("csrf_token", None)  # another client's request in this test may have left its token on g
    token = csrf_token(client, f"/intern/meldungen/{report.id}")
    return client.post(f"/intern/meldungen/{report.id}/zuweisung", data={"csrf_token": token, "assignee": value})


def _mails_for(user_id: int) -> int:
    return len([m for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "staff_assigned"))
                if m.payload["staff_user_id"] == user_id])


def test_assign_to_a_colleague_shows_in_their_tasks_and_queues_their_mail(app, client):
    me = make_staff("staff", "tiefbau")
    colleague = make_staff("staff", "tiefbau", email="kollege@harsewinkel.example")
    mine, other = make_report(category_code="schlagloch"), make_report(category_code="schlagloch")
    login(client, me.username, PASSWORD)
    page = client.get(f"/intern/meldungen/{mine.id}").get_data(as_text=True)
    select_html = page[page.index('<select id="assignee"'):page.index("</select>", page.index('<select id="assignee"'))]
    assert '<option value="" selected>' in select_html and select_html.count("selected") == 1
    assert _assign(client, mine, f"person:{colleague.id}").status_code == 303
    row = db.session.get(ReportAssignment, mine.id)
    assert row.staff_user_id == colleague.id and row.team_id is None
    assert _mails_for(colleague.id) == 1
    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.report_id == mine.id)) == "assign"
    assert _refs(client, "zuweisung=niemand") == {other.reference}
    assert _refs(client, "zuweisung=meine") == set()
    with app.test_client() as theirs:
        login(theirs, colleague.username, PASSWORD)
        assert _refs(theirs, "zuweisung=meine") == {mine.reference}
        page = theirs.get("/intern/eingang?zuweisung=meine").get_data(as_text=True)
        assert "<h1>Meine Aufgaben</h1>" in page
    # Taking it back: nobody's again; no second mail.
    assert _assign(client, mine, "niemand").status_code == 303
    assert db.session.get(ReportAssignment, mine.id) is None and _mails_for(colleague.id) == 1
    assert _refs(client, "zuweisung=niemand") == {mine.reference, other.reference}


def test_teams_bulk_assignment_and_forwarding_ends_it(app, client):
    admin = make_staff("admin")
    crew = [make_staff("staff", "tiefbau", email=f"kolonne{i}@harsewinkel.example") for i in range(2)]
    reports = [make_report(category_code="schlagloch") for _ in range(2)]
    login(client, admin.username, PASSWORD)
    token = csrf_token(client, "/intern/teams")
    assert client.post("/intern/teams", data={"csrf_token": token, "name": "Kolonne Nord",
                                              "department": str(department("tiefbau").id)}).status_code == 303
    team = db.session.scalar(select(StaffTeam).where(StaffTeam.name == "Kolonne Nord"))
    for person in crew:
        assert client.post(f"/intern/teams/{team.id}/mitglieder",
                           data={"csrf_token": token, "username": person.username}).status_code == 303
    stranger = make_staff("staff", "abfall")
    refused = client.post(f"/intern/teams/{team.id}/mitglieder", data={"csrf_token": token,
                                                                       "username": stranger.username})
    assert refused.status_code == 400 and "Tiefbau" in refused.get_data(as_text=True)
    token = csrf_token(client, "/intern/eingang")
    done = client.post("/intern/sammelaktion", data={"csrf_token": token, "ids": [str(r.id) for r in reports],
                                                     "action": "zuweisen", "value": f"team:{team.id}"})
    assert done.status_code == 303
    assert {db.session.get(ReportAssignment, r.id).team_id for r in reports} == {team.id}
    assert all(_mails_for(p.id) == 2 for p in crew)  # each member, for each report
    with app.test_client() as member:
        login(member, crew[0].username, PASSWORD)
        assert _refs(member, "zuweisung=meine") == {r.reference for r in reports}
    # Someone of another department cannot be given a Tiefbau report.
    response = _assign(client, reports[0], f"person:{stranger.id}")
    assert response.status_code == 400 and "zuständigen Abteilung" in response.get_data(as_text=True)
    assert _assign(client, reports[0], "person:abc").status_code == 400
    # Forwarded to another department: nobody at Tiefbau works on it any more.
    token = csrf_token(client, f"/intern/meldungen/{reports[0].id}")
    client.post(f"/intern/meldungen/{reports[0].id}/abteilung", data={
        "csrf_token": token, "department": str(department("abfall").id), "reason": "Müll", "confirmed": "1"})
    assert db.session.get(ReportAssignment, reports[0].id) is None


def test_dashboard_shows_open_work_per_person_and_team(app, client):
    from datetime import timedelta

    from sqlalchemy import text

    from app.db import utcnow
    from app.reports.operations import change_status

    dispatcher = make_staff("dispatcher")
    anna = make_staff("staff", "tiefbau", username="anna-tiefbau")
    anna.display_name = "Anna Albers"
    idle = make_staff("staff", "gruen", username="ben-gruen")
    idle.display_name = "Ben Brandt"
    team = StaffTeam(jurisdiction_id=anna.jurisdiction_id, department_id=department("tiefbau").id, name="Kolonne Nord")
    db.session.add(team)
    db.session.flush()
    reports = [make_report(category_code="schlagloch") for _ in range(5)]
    for report in reports[:3]:
        db.session.add(ReportAssignment(report_id=report.id, staff_user_id=anna.id))
    db.session.add(ReportAssignment(report_id=reports[3].id, team_id=team.id))
    reports[0].created_at = utcnow() - timedelta(days=60)  # overdue
    change_status(reports[2], "erledigt", public_note="Behoben.", actor="test")  # done: no longer open work
    db.session.flush()
    db.session.execute(text("DELETE FROM staff_dashboard_snapshots"))
    login(client, dispatcher.username, PASSWORD)
    body = client.get("/intern/uebersicht").get_data(as_text=True)
    table = body[body.index('id="by-assignee"'):body.index("</table>", body.index('id="by-assignee"'))]
    rows = re.findall(r"<tr><td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td></tr>", table)
    assert rows[:2] == [("Anna Albers", "Tiefbau und Straßen", "2", "1"),
                        ("Kolonne Nord (Team)", "Tiefbau und Straßen", "1", "0")]
    assert ("Ben Brandt", "Grünflächen", "0", "0") in rows  # listed with nothing to do
    # The reports given to nobody, linked to the queue's filter.
    unassigned = re.search(r'zuweisung=niemand">Niemandem zugewiesen</a></th><td>([^<]+)</td>', table)
    assert unassigned and unassigned.group(1) == "1"  # reports[4]
