"""The names the staff pages list for a town: categories, departments, Ortsteile, and the
people and teams a report can be given to.

Read per request they were five statements on every queue page, about a fifth of its
processor time (bench_staff at a million reports). They change a few times a year, so each
process keeps them per town, keyed by the town row's ``names_version`` (migration 2630:
triggers move it, from a sequence, whenever one of those rows changes). The request reads
its town row anyway, so a change shows on the next page of every process.

Kept and used on GET and HEAD requests only: a POST may have changed names in its own
transaction, which may still be rolled back; such a request reads them afresh and keeps
nothing. The cache lives in the app (``app.extensions``), so an app made for another
database never sees it.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, has_request_context, request
from sqlalchemy import select

from app.db import db
from app.jurisdictions.models import Area, Category, Department
from app.staff.models import StaffTeam, StaffUser


@dataclass(frozen=True)
class Assignee:
    value: str  # "team:ID" or "person:ID", as the bulk action and the assign form send it
    label: str
    department_id: int
    department_name: str


@dataclass(frozen=True)
class TownNames:
    categories: tuple  # rows (id, code, name, name_en), by name
    departments: tuple  # rows (id, code, name), by name
    areas: tuple  # rows (id, name) of the Ortsteile and custom areas, by name
    teams: tuple[Assignee, ...]  # by department name, then team name
    people: tuple[Assignee, ...]  # active accounts with a department, by department name, then username
    category_by_id: dict  # the rows above by id, for pages that name their rows' category and department
    department_by_id: dict


def town_names(jurisdiction_id: int) -> TownNames:
    version = _kept_version(jurisdiction_id)
    if version is None:
        return _read(jurisdiction_id)
    kept = current_app.extensions.setdefault("mm.staff_names", {})
    held = kept.get(jurisdiction_id)
    if held is not None and held[0] == version:
        return held[1]
    names = _read(jurisdiction_id)
    kept[jurisdiction_id] = (version, names)
    return names


def _kept_version(jurisdiction_id: int) -> int | None:
    """The town's names version if this request may use the kept names, else None."""
    if not has_request_context() or request.method not in ("GET", "HEAD"):
        return None
    from app.jurisdictions.queries import current_jurisdiction

    town = current_jurisdiction()
    return town.names_version if town.id == jurisdiction_id else None


def _read(jurisdiction_id: int) -> TownNames:
    categories = db.session.execute(select(Category.id, Category.code, Category.name, Category.name_en)
                                    .where(Category.jurisdiction_id == jurisdiction_id)
                                    .order_by(Category.name)).all()
    departments = db.session.execute(select(Department.id, Department.code, Department.name)
                                     .where(Department.jurisdiction_id == jurisdiction_id)
                                     .order_by(Department.name)).all()
    areas = db.session.execute(select(Area.id, Area.name).where(Area.jurisdiction_id == jurisdiction_id,
                                                                  Area.kind.in_(("ortsteil", "district", "custom")))
                               .order_by(Area.name)).all()
    teams = db.session.execute(
        select(StaffTeam.id, StaffTeam.name, Department.id, Department.name)
        .join(Department, Department.id == StaffTeam.department_id)
        .where(StaffTeam.jurisdiction_id == jurisdiction_id).order_by(Department.name, StaffTeam.name)).all()
    people = db.session.execute(
        select(StaffUser.id, StaffUser.display_name, StaffUser.username, Department.id, Department.name)
        .join(Department, Department.id == StaffUser.department_id)
        .where(StaffUser.jurisdiction_id == jurisdiction_id, StaffUser.active)
        .order_by(Department.name, StaffUser.username)).all()
    return TownNames(
        categories=tuple(categories), departments=tuple(departments), areas=tuple(areas),
        category_by_id={c.id: c for c in categories}, department_by_id={d.id: d for d in departments},
        teams=tuple(Assignee(f"team:{i}", name, d, dname) for i, name, d, dname in teams),
        # The label as StaffUser.label gives it: the display name, else the username.
        people=tuple(Assignee(f"person:{i}", display or username, d, dname)
                     for i, display, username, d, dname in people))
