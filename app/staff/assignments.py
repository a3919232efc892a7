"""Giving a report to a person or a team of its department ("Meine Aufgaben").

The assignee gets a mail through the outbox (message kind ``staff_assigned``; a team: each
member). Forwarding the report to another department ends the assignment (``end_assignment``).
"""
from __future__ import annotations

from flask import abort
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, true, tuple_, union_all

from app.db import db
from app.errors import DomainError
from app.outbox.operations import record_message
from app.reports.models import Report
from app.staff import audit
from app.staff.access import can_edit_report
from app.staff.models import ReportAssignment, StaffTeam, StaffTeamMember, StaffUser

NOBODY = "niemand"


def candidates(report: Report) -> tuple[list[StaffUser], list[StaffTeam]]:
    """The active people and the teams of the report's department, by name."""
    people = list(db.session.scalars(select(StaffUser).where(
        StaffUser.department_id == report.department_id, StaffUser.active).order_by(StaffUser.display_name,
                                                                                    StaffUser.username)))
    teams = list(db.session.scalars(select(StaffTeam).where(StaffTeam.department_id == report.department_id)
                                    .order_by(StaffTeam.name)))
    return people, teams


def current(report: Report) -> ReportAssignment | None:
    return db.session.get(ReportAssignment, report.id)


def assignee_label(assignment: ReportAssignment | None) -> str:
    if assignment is None:
        return ""
    if assignment.team is not None:
        return assignment.team.name
    return assignment.staff_user.label


def _resolve(report: Report, value: str) -> StaffUser | StaffTeam | None:
    """``person:<id>`` or ``team:<id>`` of the report's department, or None for ``niemand``."""
    if value == NOBODY:
        return None
    kind, _sep, raw = (value or "").partition(":")
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 9) or kind not in ("person", "team"):
        raise DomainError(_l("Bitte wählen Sie eine Person oder ein Team der Abteilung."), "assignee")
    target = db.session.get(StaffUser if kind == "person" else StaffTeam, int(raw))
    if target is None or target.department_id != report.department_id or (kind == "person" and not target.active):
        raise DomainError(_l("Diese Person oder dieses Team gehört nicht zur zuständigen Abteilung."), "assignee")
    return target


def assign(user: StaffUser, report: Report, value: str) -> bool:
    """Give the report to a person or team of its department (``niemand``: take it back).

    Audits and queues the assignee's mail; returns False when nothing changed. Raises
    ``DomainError`` for an unknown choice or one outside the report's department.
    """
    if not can_edit_report(user, report):
        abort(403)
    target = _resolve(report, value)
    existing = current(report)
    old_label = assignee_label(existing)
    if target is None:
        if existing is None:
            return False
        db.session.delete(existing)
        db.session.flush()
        audit.record("unassign", staff=user, report=report, changes={"assignee": [old_label, None]})
        return True
    person = target if isinstance(target, StaffUser) else None
    team = target if isinstance(target, StaffTeam) else None
    if existing is not None and existing.staff_user_id == (person.id if person else None) \
            and existing.team_id == (team.id if team else None):
        return False
    if existing is None:
        existing = ReportAssignment(report_id=report.id)
        db.session.add(existing)
    existing.staff_user_id, existing.team_id = (person.id if person else None), (team.id if team else None)
    existing.staff_user, existing.team = person, team
    db.session.flush()
    entry = audit.record("assign", staff=user, report=report, changes={"assignee": [old_label or None, target.label]})
    recipients = [person.id] if person else list(db.session.scalars(
        select(StaffTeamMember.staff_user_id).where(StaffTeamMember.team_id == team.id)))
    for staff_user_id in recipients:
        if staff_user_id == user.id:
            continue  # nobody is mailed about what they did themselves
        record_message("staff_assigned", f"staff_assigned:{report.id}:{entry.id}:{staff_user_id}",
                       {"report_id": report.id, "staff_user_id": staff_user_id, "by": user.label},
                       jurisdiction_id=report.jurisdiction_id)
    return True


def end_assignment(report: Report) -> None:
    """The report left its department: nobody there works on it any more (flushes)."""
    db.session.execute(delete(ReportAssignment).where(ReportAssignment.report_id == report.id))
    db.session.flush()


def mine(user: StaffUser):
    """A condition on assignments: given to the user or one of the user's teams."""
    teams = select(StaffTeamMember.team_id).where(StaffTeamMember.staff_user_id == user.id)
    return (ReportAssignment.staff_user_id == user.id) | ReportAssignment.team_id.in_(teams)


def assigned_to_me(user: StaffUser, statuses: tuple[str, ...] | None = None):
    """A condition for report queries: given to the user or one of the user's teams (and, if
    given, in one of ``statuses``, read from the assignment's copy of the report's status).

    ``= ANY(ARRAY(subquery))``: the (small) set of my reports is read once through the
    assignment indexes and the reports are then fetched by primary key, whatever the other
    filters. As ``IN (subquery)`` the planner walked a department's reports by date and
    probed each (187 ms for a page, 1 s for the counts at 1M reports; bench_staff)."""
    ids = select(ReportAssignment.report_id).where(mine(user))
    if statuses is not None:
        ids = ids.where(ReportAssignment.report_status.in_(statuses))
    return Report.id == func.any(func.array(ids.scalar_subquery()))


def my_page(user: StaffUser, scope: list, statuses: tuple[str, ...], newest_first: bool,
            after: tuple | None, size: int):
    """A condition for report queries: the ``size`` reports of "Meine Aufgaben" that come next
    by date (``after``: the keyset (created_at, id) of the last one shown), chosen from the
    assignment rows alone (``scope``: conditions on them), so only those are fetched.

    The person's rows and each of their teams' rows are read in date order through their own
    index (revision 2640), ``size`` at most each, and the page is the first ``size`` of those
    few: the cost follows the page, not the number of reports ever given to them (closed ones
    keep their assignment).

    Valid only when no filter needs more of the report than the assignment's copies of its
    town, department, status and creation time."""
    created, rid = ReportAssignment.report_created_at, ReportAssignment.report_id

    def by_date(created_at, report_id) -> list:
        return [created_at.desc(), report_id.desc()] if newest_first else [created_at.asc(), report_id.asc()]

    def first(assignee):
        rows = select(created, rid).where(assignee, ReportAssignment.report_status.in_(statuses), *scope)
        if after is not None:
            rows = rows.where(tuple_(created, rid) < after if newest_first else tuple_(created, rid) > after)
        return rows.order_by(*by_date(created, rid)).limit(size)

    teams = select(StaffTeamMember.team_id).where(StaffTeamMember.staff_user_id == user.id).subquery()
    per_team = first(ReportAssignment.team_id == teams.c.team_id).lateral()
    candidates = union_all(first(ReportAssignment.staff_user_id == user.id),
                           select(per_team.c.report_created_at, per_team.c.report_id)
                           .select_from(teams.join(per_team, true()))).subquery()
    picked = select(candidates.c.report_id).order_by(
        *by_date(candidates.c.report_created_at, candidates.c.report_id)).limit(size)
    return Report.id == func.any(func.array(picked.scalar_subquery()))


def unassigned():
    return ~select(ReportAssignment.report_id).where(ReportAssignment.report_id == Report.id).exists()


def teams_of_town(jurisdiction_id: int) -> list[StaffTeam]:
    return list(db.session.scalars(select(StaffTeam).where(StaffTeam.jurisdiction_id == jurisdiction_id)
                                   .order_by(StaffTeam.name)))


def create_team(admin: StaffUser, name: str, department_id: int) -> StaffTeam:
    """A team of a department of the admin's town (flushes); raises ``DomainError`` for an unknown
    department or a name the department already has."""
    from app.jurisdictions.models import Department

    department = db.session.get(Department, department_id)
    if department is None or department.jurisdiction_id != admin.jurisdiction_id:
        raise DomainError(_l("Diese Abteilung gibt es nicht."), "department")
    if db.session.scalar(select(StaffTeam.id).where(StaffTeam.department_id == department.id,
                                                    StaffTeam.name == name)) is not None:
        raise DomainError(_l("Diese Abteilung hat schon ein Team „%(name)s“.", name=name), "name", status=409)
    team = StaffTeam(jurisdiction_id=admin.jurisdiction_id, department_id=department.id, name=name)
    db.session.add(team)
    db.session.flush()
    audit.record("team_create", staff=admin, target=f"team:{team.name}", changes={"department": department.code})
    return team


def set_member(admin: StaffUser, team_id: int, username: str, member: bool) -> StaffTeam:
    """Add a person of the team's department to the team, or remove them (flushes)."""
    team = db.session.get(StaffTeam, team_id)
    if team is None or team.jurisdiction_id != admin.jurisdiction_id:
        from app.errors import NotFound

        raise NotFound(_l("Dieses Team gibt es nicht."))
    person = db.session.scalar(select(StaffUser).where(StaffUser.username == username,
                                                       StaffUser.jurisdiction_id == admin.jurisdiction_id))
    if person is None or person.department_id != team.department_id:
        raise DomainError(_l("Im Team können nur Mitarbeitende der Abteilung „%(name)s“ sein.",
                             name=team.department.name), "username")
    row = db.session.get(StaffTeamMember, (team.id, person.id))
    if member and row is None:
        db.session.add(StaffTeamMember(team_id=team.id, staff_user_id=person.id))
    elif not member and row is not None:
        db.session.delete(row)
    else:
        return team
    db.session.flush()
    audit.record("team_member_add" if member else "team_member_remove", staff=admin, target=f"team:{team.name}",
                 changes={"member": person.label})
    db.session.expire(team, ["members"])
    return team


def options_for(user: StaffUser) -> list[tuple[str, str]]:
    """(value, label) of the people and teams the user may give reports to: their department's,
    or for dispatchers and admins every department's (named with it)."""
    from app.staff.access import sees_all_departments
    from app.staff.names import town_names

    names = town_names(user.jurisdiction_id)
    everyone = sees_all_departments(user)
    return [(a.value, f"{a.label} ({a.department_name})" if everyone else a.label)
            for group in (names.teams, names.people) for a in group
            if everyone or a.department_id == user.department_id]
