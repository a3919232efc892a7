"""The queue's counts per status under "Meine Aufgaben" and "Niemandem zugewiesen" are exact:
the first counted from my (and my teams') reports, the second as the kept counts less the
assigned reports (bench_staff: these were a second at 1M reports when counted up to the cap)."""
from __future__ import annotations

from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from app.db import db
from app.reports.models import Report
from app.reports.status import STATUSES
from app.staff import assignments
from app.staff.models import ReportAssignment, StaffTeam, StaffTeamMember
from app.staff.queries import parse_filters, status_counts
from tests.factories import GREFFEN, make_report
from tests.staff.helpers import make_staff


def _brute_force(user, condition) -> dict[str, int]:
    rows = db.session.execute(select(Report.status, func.count()).where(
        Report.jurisdiction_id == user.jurisdiction_id, Report.department_id == user.department_id, condition)
        .group_by(Report.status)).all()
    found = dict(rows)
    return {code: found.get(code, 0) for code in STATUSES}


def test_counts_under_the_assignment_filters_are_exact(db_session):
    me = make_staff("staff", "tiefbau")
    colleague = make_staff("staff", "tiefbau")
    dispatcher = make_staff("dispatcher")
    team = StaffTeam(jurisdiction_id=me.jurisdiction_id, department_id=me.department_id, name="Kolonne Süd")
    db.session.add(team)
    db.session.flush()
    db.session.add(StaffTeamMember(team_id=team.id, staff_user_id=me.id))
    statuses = ["eingegangen", "in_pruefung", "in_bearbeitung", "erledigt", "eingegangen", "abgelehnt", "eingegangen"]
    reports = []
    for n, status in enumerate(statuses):
        report = make_report(point=GREFFEN if n % 2 else (8.229, 51.962), description=f"Loch {n}")
        report.department_id, report.status = me.department_id, status
        reports.append(report)
    db.session.flush()
    for report, target in zip(reports, [f"person:{me.id}", f"team:{team.id}", f"person:{colleague.id}",
                                        f"person:{me.id}", None, None, f"team:{team.id}"]):
        if target:
            assignments.assign(dispatcher, report, target)
    db.session.flush()

    mine = status_counts(parse_filters(MultiDict({"zuweisung": "meine"}), me), me)
    expected = _brute_force(me, assignments.assigned_to_me(me))
    assert mine == expected and sum(mine.values()) == 4  # two of mine, two of my team
    nobody = status_counts(parse_filters(MultiDict({"zuweisung": "niemand"}), me), me)
    unassigned = ~select(ReportAssignment.report_id).where(ReportAssignment.report_id == Report.id).exists()
    assert nobody == _brute_force(me, unassigned)
    # With another filter the capped count answers; it agrees too.
    narrowed = status_counts(parse_filters(MultiDict({"zuweisung": "niemand", "alter_max": "30"}), me), me)
    assert narrowed == nobody


def test_my_tasks_follow_the_reports_and_page_by_date(db_session):
    """The assignment rows' copies of status, department and date (revision 2620) follow every
    change of the report, so counts and pages chosen from them equal those read from reports."""
    from datetime import timedelta

    from sqlalchemy import update

    from app.db import utcnow
    from app.staff.queries import queue_page

    me = make_staff("staff", "tiefbau")
    dispatcher = make_staff("dispatcher")
    other_department = make_staff("staff", "gruen").department_id
    team = StaffTeam(jurisdiction_id=me.jurisdiction_id, department_id=me.department_id, name="Kolonne West")
    db.session.add(team)
    db.session.flush()
    db.session.add(StaffTeamMember(team_id=team.id, staff_user_id=me.id))
    reports = [make_report(description=f"Riss {n}") for n in range(7)]
    now = utcnow()
    for n, report in enumerate(reports):
        report.department_id, report.created_at = me.department_id, now - timedelta(days=n % 3, hours=n)
    db.session.flush()
    for n, report in enumerate(reports):
        assignments.assign(dispatcher, report, f"person:{me.id}" if n % 2 else f"team:{team.id}")
    db.session.flush()
    # Changes the assignment does not see coming: a status, a department (a correction moving
    # the report) and a creation time, each by a plain UPDATE of reports.
    db.session.execute(update(Report).where(Report.id == reports[1].id).values(status="erledigt"))
    db.session.execute(update(Report).where(Report.id == reports[2].id).values(department_id=other_department))
    db.session.execute(update(Report).where(Report.id == reports[3].id).values(created_at=now + timedelta(days=1)))
    differing = db.session.execute(select(ReportAssignment.report_id).join(Report, Report.id == ReportAssignment.report_id)
                                   .where((ReportAssignment.report_status != Report.status)
                                          | (ReportAssignment.department_id != Report.department_id)
                                          | (ReportAssignment.report_created_at != Report.created_at))).all()
    assert differing == []

    assert status_counts(parse_filters(MultiDict({"zuweisung": "meine"}), me), me) == \
        _brute_force(me, assignments.assigned_to_me(me))
    nobody = status_counts(parse_filters(MultiDict({"zuweisung": "niemand"}), me), me)
    assert nobody == _brute_force(me, ~select(ReportAssignment.report_id)
                                  .where(ReportAssignment.report_id == Report.id).exists())
    open_mine = [r for r in reports if r.id not in (reports[1].id, reports[2].id)]
    db.session.expire_all()
    for sort, newest_first in (("neueste", True), ("aelteste", False)):
        expected = [r.id for r in sorted(open_mine, key=lambda r: (r.created_at, r.id), reverse=newest_first)]
        seen, after = [], None
        while True:
            args = {"zuweisung": "meine", "anzahl": "2", "sort": sort, **({"nach": after} if after else {})}
            page = queue_page(parse_filters(MultiDict(args), me), me)
            seen += [row.id for row in page.rows]
            if not page.next_cursor:
                break
            after = page.next_cursor
        assert seen == expected
