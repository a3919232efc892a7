"""The staff queue: filters, keyset paging, counts per status.

Every query is scoped to what the signed-in account may see (``scope``): the town,
and for department staff their department. Paging is by keyset on
``(created_at, id)`` (or ``(priority, created_at, id)``), so page 2000 costs what
page 1 costs; the partial indexes of migration 0500 serve the default view.
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from geoalchemy2 import Geography
from sqlalchemy import and_, cast, func, literal, or_, select, tuple_, union_all
from sqlalchemy.sql import Select

from app.db import db, utcnow
from app.errors import DomainError, ValidationFailed
from app.jurisdictions.models import Area, Category, Department
from app.open311.models import ReportAttributeValue
from app.reports.models import Report
from app.reports.status import CLOSED_STATUSES, OPEN_STATUSES, STATUSES
from app.staff.access import sees_all_departments
from app.staff.assignments import assigned_to_me, mine, my_page, unassigned
from app.staff.additions import unseen_additions
from app.staff.deadlines import escalated
from app.staff.models import AuditEntry, ReportAssignment, ReportStatusCount, StaffUser
from app.staff.names import town_names

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
SORTS = ("neueste", "aelteste", "prioritaet", "unterstuetzung", "entfernung")
STATUS_GROUPS = {"offen": OPEN_STATUSES, "geschlossen": CLOSED_STATUSES, "alle": tuple(STATUSES)}
MAX_QUERY = 200


@dataclass
class QueueFilters:
    statuses: tuple[str, ...] = OPEN_STATUSES
    status_param: list[str] = field(default_factory=lambda: ["offen"])
    category_id: int | None = None
    department_id: int | None = None
    area_id: int | None = None
    min_age_days: int | None = None
    max_age_days: int | None = None
    text: str = ""
    overdue: bool = False
    assignment: str | None = None  # "meine" (me and my teams) or "niemand" (nobody in the department)
    escalated: bool = False
    # Closed reports someone marked "Noch nicht behoben" since staff last acted (app/feedback).
    not_fixed: bool = False
    sort: str = "neueste"
    lon: float | None = None
    lat: float | None = None
    after: str | None = None
    page_size: int = PAGE_SIZE

    def query_args(self, **override) -> dict:
        """The filters as URL parameters (for links to the next page, export, map data)."""
        args = {"status": self.status_param, "kategorie": self.category_id, "abteilung": self.department_id,
                "gebiet": self.area_id, "alter_min": self.min_age_days, "alter_max": self.max_age_days,
                "q": self.text or None, "ueberfaellig": "1" if self.overdue else None, "zuweisung": self.assignment,
                "eskaliert": "1" if self.escalated else None, "nicht_behoben": "1" if self.not_fixed else None,
                "sort": self.sort if self.sort != "neueste" else None, "lon": self.lon, "lat": self.lat}
        args.update(override)
        return {k: v for k, v in args.items() if v not in (None, "", [])}


def _int(args, name: str, errors: list, low: int = 0, high: int = 10**9) -> int | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        errors.append(DomainError(_l("„%(name)s“ muss eine ganze Zahl sein.", name=name), name))
        return None
    if not low <= value <= high:
        errors.append(DomainError(_l("„%(name)s“ liegt außerhalb des erlaubten Bereichs.", name=name), name))
        return None
    return value


def _float(args, name: str, errors: list, low: float, high: float) -> float | None:
    raw = (args.get(name) or "").strip().replace(",", ".")
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        errors.append(DomainError(_l("„%(name)s“ ist keine gültige Koordinate.", name=name), name))
        return None
    return value


def parse_filters(args, user: StaffUser) -> QueueFilters:
    """Read the queue filters from URL parameters; raises ``ValidationFailed`` naming bad ones."""
    errors: list[DomainError] = []
    f = QueueFilters()
    raw_status = [s for s in args.getlist("status") if s] or ["offen"]
    statuses: list[str] = []
    for value in raw_status:
        if value in STATUS_GROUPS:
            statuses.extend(STATUS_GROUPS[value])
        elif value in STATUSES:
            statuses.append(value)
        else:
            errors.append(DomainError(_l("Den Status „%(value)s“ gibt es nicht.", value=value[:40]), "status"))
    f.statuses = tuple(dict.fromkeys(statuses)) or OPEN_STATUSES
    f.status_param = raw_status
    f.category_id = _int(args, "kategorie", errors, 1)
    f.department_id = _int(args, "abteilung", errors, 1)
    f.area_id = _int(args, "gebiet", errors, 1)
    f.min_age_days = _int(args, "alter_min", errors, 0, 36500)
    f.max_age_days = _int(args, "alter_max", errors, 0, 36500)
    f.text = (args.get("q") or "").strip()[:MAX_QUERY]
    f.overdue = args.get("ueberfaellig") in ("1", "on", "true")
    f.assignment = args.get("zuweisung") or None
    f.escalated = args.get("eskaliert") in ("1", "on", "true")
    f.not_fixed = args.get("nicht_behoben") in ("1", "on", "true")
    if f.not_fixed and not [s for s in args.getlist("status") if s]:
        # such a report is closed (acting on it clears the mark): the default "offen" would hide it
        f.statuses, f.status_param = CLOSED_STATUSES, ["geschlossen"]
    if f.assignment not in (None, "meine", "niemand"):
        errors.append(DomainError(_l("Diesen Zuweisungsfilter gibt es nicht."), "zuweisung"))
        f.assignment = None
    f.sort = args.get("sort") or "neueste"
    if f.sort not in SORTS:
        errors.append(DomainError(_l("Diese Sortierung gibt es nicht."), "sort"))
        f.sort = "neueste"
    f.lon = _float(args, "lon", errors, -180, 180)
    f.lat = _float(args, "lat", errors, -90, 90)
    if f.sort == "entfernung" and (f.lon is None or f.lat is None):
        errors.append(DomainError(_l("Für die Sortierung nach Entfernung bitte einen Punkt (lat, lon) angeben."),
                                  "sort"))
    f.after = (args.get("nach") or "").strip() or None
    size = _int(args, "anzahl", errors, 1, MAX_PAGE_SIZE)
    f.page_size = size or PAGE_SIZE
    if not sees_all_departments(user):
        f.department_id = user.department_id  # staff see their department's reports only
    if errors:
        raise ValidationFailed(errors)
    return f


def scoped_conditions(f: QueueFilters, user: StaffUser, with_status: bool = True) -> list:
    now = utcnow()
    conds = [Report.jurisdiction_id == user.jurisdiction_id]
    if not sees_all_departments(user):
        conds.append(Report.department_id == user.department_id)
    elif f.department_id:
        conds.append(Report.department_id == f.department_id)
    if with_status:
        conds.append(Report.status.in_(f.statuses))
    if f.category_id:
        conds.append(Report.category_id == f.category_id)
    if f.area_id:
        area_geom = select(Area.geom).where(Area.id == f.area_id, Area.jurisdiction_id == user.jurisdiction_id)
        conds.append(func.ST_Intersects(Report.location, area_geom.scalar_subquery()))
    if f.min_age_days is not None:
        conds.append(Report.created_at <= now - timedelta(days=f.min_age_days))
    if f.max_age_days is not None:
        conds.append(Report.created_at >= now - timedelta(days=f.max_age_days))
    if f.text:
        like = "%" + f.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        # Answers to extra questions by their words; ``= ANY(ARRAY(subquery))`` is computed once
        # and then read through the primary key, so the reports' trigram indexes still serve the rest.
        answered = func.array(select(ReportAttributeValue.report_id).where(ReportAttributeValue.answer_text.ilike(like))
                              .scalar_subquery())
        conds.append(or_(Report.reference == f.text.upper(), Report.description.ilike(like),
                         Report.address.ilike(like), Report.id == func.any(answered)))
    if f.escalated:
        conds.append(escalated())
    if f.not_fixed:
        conds.append(Report.not_fixed_at.is_not(None))
    if f.assignment == "meine":
        conds.append(assigned_to_me(user, f.statuses if with_status else None))
    elif f.assignment == "niemand":
        conds.append(unassigned())
    if f.overdue:
        conds.append(Report.status.in_(OPEN_STATUSES))
        target = select(Category.target_days).where(Category.id == Report.category_id).scalar_subquery()
        conds.append(Report.created_at < literal(now) - func.make_interval(0, 0, 0, target))
    return conds


def _encode(values: list) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _decode(token: str) -> list | None:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, TypeError):
        return None
    return data if isinstance(data, list) else None


def overdue_expression(now: datetime):
    target = select(Category.target_days).where(Category.id == Report.category_id).scalar_subquery()
    return and_(Report.status.in_(OPEN_STATUSES), Report.created_at < literal(now) - func.make_interval(0, 0, 0, target))


def queue_select(f: QueueFilters, user: StaffUser) -> Select:
    """Rows of the queue page (one more than the page size, to know whether another follows)."""
    now = utcnow()
    columns = [Report.id, Report.reference, Report.status, Report.priority, Report.created_at, Report.address,
               Report.category_id, Report.department_id, Report.hidden, Report.support_count, Report.not_fixed_at,
               func.left(Report.description, 140).label("excerpt"),
               func.ST_X(Report.location).label("lon"), func.ST_Y(Report.location).label("lat"),
               overdue_expression(now).label("overdue"), unseen_additions(Report.id).label("new_additions")]
    # "Meine Aufgaben" by date: the page's reports are chosen among the assignment rows (my_page,
    # below), which implies "mine"; the set of all mine as a second ``= ANY`` would be a filter
    # tested element by element on every row.
    my_page_by_date = f.assignment == "meine" and _assignment_scope_only(f) and f.sort in ("neueste", "aelteste")
    conds = scoped_conditions(replace(f, assignment=None) if my_page_by_date else f, user)
    cursor = _decode(f.after) if f.after else None
    if f.after and cursor is None:
        raise ValidationFailed([DomainError(_l("Der Verweis auf die nächste Seite ist ungültig."), "nach")])
    try:
        if f.sort == "neueste":
            order = [Report.created_at.desc(), Report.id.desc()]
            if cursor:
                conds.append(tuple_(Report.created_at, Report.id) < (datetime.fromisoformat(cursor[0]), int(cursor[1])))
        elif f.sort == "aelteste":
            order = [Report.created_at.asc(), Report.id.asc()]
            if cursor:
                conds.append(tuple_(Report.created_at, Report.id) > (datetime.fromisoformat(cursor[0]), int(cursor[1])))
        elif f.sort == "prioritaet":
            order = [Report.priority.desc(), Report.created_at.asc(), Report.id.asc()]
            if cursor:
                p, created, rid = int(cursor[0]), datetime.fromisoformat(cursor[1]), int(cursor[2])
                conds.append(or_(Report.priority < p,
                                 and_(Report.priority == p, tuple_(Report.created_at, Report.id) > (created, rid))))
        elif f.sort == "unterstuetzung":  # most "Ich auch" first, then the oldest
            order = [Report.support_count.desc(), Report.created_at.asc(), Report.id.asc()]
            if cursor:
                n, created, rid = int(cursor[0]), datetime.fromisoformat(cursor[1]), int(cursor[2])
                conds.append(or_(Report.support_count < n,
                                 and_(Report.support_count == n, tuple_(Report.created_at, Report.id) > (created, rid))))
        else:  # entfernung: nearest first; the cursor is the offset (distance has no stable key)
            point = func.ST_SetSRID(func.ST_MakePoint(f.lon, f.lat), 4326)
            columns.append(func.ST_Distance(cast(Report.location, Geography), cast(point, Geography))
                           .label("distance_m"))
            order = [Report.location.op("<->")(point), Report.id]
    except (ValueError, TypeError, IndexError):
        raise ValidationFailed([DomainError(_l("Der Verweis auf die nächste Seite ist ungültig."), "nach")])
    if my_page_by_date:
        after = (datetime.fromisoformat(cursor[0]), int(cursor[1])) if cursor else None
        conds.append(my_page(user, _assignment_scope(f, user), f.statuses, f.sort == "neueste", after,
                             f.page_size + 1))
    query = select(*columns).where(*conds).order_by(*order).limit(f.page_size + 1)
    if f.sort == "entfernung" and cursor:
        try:
            query = query.offset(max(0, min(int(cursor[0]), 100_000)))
        except (ValueError, TypeError, IndexError):
            raise ValidationFailed([DomainError(_l("Der Verweis auf die nächste Seite ist ungültig."), "nach")])
    return query


@dataclass
class QueuePage:
    rows: list
    next_cursor: str | None


def queue_page(f: QueueFilters, user: StaffUser) -> QueuePage:
    rows = db.session.execute(queue_select(f, user)).all()
    more = len(rows) > f.page_size
    rows = rows[:f.page_size]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        if f.sort in ("neueste", "aelteste"):
            next_cursor = _encode([last.created_at.isoformat(), last.id])
        elif f.sort == "prioritaet":
            next_cursor = _encode([last.priority, last.created_at.isoformat(), last.id])
        elif f.sort == "unterstuetzung":
            next_cursor = _encode([last.support_count, last.created_at.isoformat(), last.id])
        else:
            offset = (_decode(f.after)[0] if f.after else 0) + f.page_size
            next_cursor = _encode([offset])
    return QueuePage(rows=rows, next_cursor=next_cursor)


COUNT_CAP = 10_000


def status_counts(f: QueueFilters, user: StaffUser) -> dict[str, int]:
    """Reports per status under the current filters (the status filter itself aside).

    Without filters beyond department and category (the default view) the counts are
    exact, read from ``report_status_counts`` (revision 0810: a few rows instead of a
    scan per status). Otherwise they are counted up to ``COUNT_CAP`` per status (a
    bounded index scan each): an exact count of a few hundred thousand open reports
    costs most of a second at 1M rows and says no more to a person than "more than
    10,000". A value above the cap means "more than COUNT_CAP".
    """
    scope_only = _scope_only(f)
    if scope_only and f.assignment is None:
        return _kept_status_counts(f, user)
    if f.assignment == "meine" and _assignment_scope_only(f):
        # Exact, from the assignment rows alone (their copy of the status, revision 2620).
        counted = dict(db.session.execute(
            select(ReportAssignment.report_status, func.count()).where(mine(user), *_assignment_scope(f, user))
            .group_by(ReportAssignment.report_status)).all())
        return {code: counted.get(code, 0) for code in STATUSES}
    conds = scoped_conditions(f, user, with_status=False)
    if f.assignment == "meine":
        # A person's (and their teams') reports are few: count them all, exactly, from that set.
        rows = db.session.execute(select(Report.status, func.count()).where(*conds).group_by(Report.status)).all()
        counted = dict(rows)
        return {code: counted.get(code, 0) for code in STATUSES}
    if f.assignment == "niemand" and scope_only:
        # Nearly everything is unassigned: the kept counts less the (few) assigned reports, exact.
        kept = _kept_status_counts(f, user)
        if f.category_id is None:  # the assignment rows alone know town, department and status
            assigned = dict(db.session.execute(
                select(ReportAssignment.report_status, func.count()).where(*_assignment_scope(f, user))
                .group_by(ReportAssignment.report_status)).all())
        else:
            assigned = dict(db.session.execute(
                select(Report.status, func.count()).join(ReportAssignment, ReportAssignment.report_id == Report.id)
                .where(*scoped_conditions(replace(f, assignment=None), user, with_status=False))
                .group_by(Report.status)).all())
        return {code: kept[code] - assigned.get(code, 0) for code in STATUSES}
    parts = [select(literal(code).label("status"),
                    select(func.count()).select_from(
                        select(literal(1)).where(*conds, Report.status == code).limit(COUNT_CAP + 1).subquery()
                    ).scalar_subquery().label("n"))
             for code in STATUSES]
    rows = db.session.execute(union_all(*parts)).all()
    return {status: n for status, n in rows}


def _scope_only(f: QueueFilters) -> bool:
    """No filter beyond town, department, category, status and assignment."""
    return (f.area_id is None and f.min_age_days is None and f.max_age_days is None and not f.text
            and not f.overdue and not f.escalated and not f.not_fixed)


def _assignment_scope_only(f: QueueFilters) -> bool:
    """No filter that an assignment row's copies of its report (town, department, status,
    creation time) cannot answer."""
    return _scope_only(f) and f.category_id is None


def _scope_department(f: QueueFilters, user: StaffUser) -> int | None:
    """The department the account's view is limited to: their own, or the one a dispatcher or
    admin filters by (None: the whole town)."""
    return f.department_id if sees_all_departments(user) else user.department_id


def _assignment_scope(f: QueueFilters, user: StaffUser) -> list:
    """The account's scope as conditions on assignment rows (as ``scoped_conditions`` on reports)."""
    conds = [ReportAssignment.jurisdiction_id == user.jurisdiction_id]
    department_id = _scope_department(f, user)
    if department_id:
        conds.append(ReportAssignment.department_id == department_id)
    return conds


def _kept_status_counts(f: QueueFilters, user: StaffUser) -> dict[str, int]:
    """``status_counts`` for a scope of town, department and category only, from the kept counts."""
    conds = [ReportStatusCount.jurisdiction_id == user.jurisdiction_id]
    department_id = _scope_department(f, user)
    if department_id:
        conds.append(ReportStatusCount.department_id == department_id)
    if f.category_id:
        conds.append(ReportStatusCount.category_id == f.category_id)
    rows = db.session.execute(select(ReportStatusCount.status, func.sum(ReportStatusCount.n))
                              .where(*conds).group_by(ReportStatusCount.status)).all()
    kept = {status: int(n) for status, n in rows}
    return {code: kept.get(code, 0) for code in STATUSES}


def lookups(user: StaffUser) -> dict:
    """Names of categories, departments and Ortsteile of the town, for filters and rows (kept
    per process and names version: app/staff/names.py)."""
    names = town_names(user.jurisdiction_id)
    return {"categories": names.categories, "departments": names.departments, "areas": names.areas,
            "category_by_id": names.category_by_id, "department_by_id": names.department_by_id}


@dataclass
class Forwarding:
    reference: str
    department: Department | None
    reason: str
    at: datetime


def last_forwarding(user: StaffUser, report_id: int) -> Forwarding | None:
    """The latest forwarding of the report by ``user`` (from the audit log), or None.

    It names only what the clerk chose and typed, so it may be shown after the report
    left their department."""
    row = db.session.execute(
        select(AuditEntry.changes, AuditEntry.created_at, Report.reference)
        .join(Report, Report.id == AuditEntry.report_id)
        .where(AuditEntry.report_id == report_id, AuditEntry.staff_user_id == user.id,
               AuditEntry.action == "reassign", AuditEntry.jurisdiction_id == user.jurisdiction_id)
        .order_by(AuditEntry.id.desc()).limit(1)).first()
    if row is None:
        return None
    code = (row.changes.get("department") or [None, None])[1]
    department = db.session.scalar(select(Department).where(Department.jurisdiction_id == user.jurisdiction_id,
                                                            Department.code == code))
    return Forwarding(row.reference, department, row.changes.get("reason", ""), row.created_at)


def not_fixed_count(user: StaffUser) -> int:
    """Closed reports in the account's scope that someone marked "Noch nicht behoben" since staff
    last acted on them (the queue's hint; the partial index of revision 2010 serves it)."""
    conds = [Report.jurisdiction_id == user.jurisdiction_id, Report.not_fixed_at.is_not(None)]
    if not sees_all_departments(user):
        conds.append(Report.department_id == user.department_id)
    return db.session.scalar(select(func.count()).select_from(Report).where(*conds)) or 0
