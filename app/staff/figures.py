"""The dashboard's figures for one town, computed in SQL (slow at a million reports: a job does it)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert

from app.reports.status import CLOSED_STATUSES, OPEN_STATUSES
from app.staff.models import DashboardSnapshot

WEEKS = 26


def compute_dashboard(session, jurisdiction_id: int) -> dict:
    """All dashboard figures for one town, as plain JSON-able data."""
    params = {"j": jurisdiction_id, "open": list(OPEN_STATUSES), "closed": list(CLOSED_STATUSES)}
    open_by_department = session.execute(text("""
        SELECT d.code, d.name, count(r.id) AS n,
               count(r.id) FILTER (WHERE r.created_at < now() - make_interval(days => c.target_days)) AS overdue
        FROM departments d
        LEFT JOIN reports r ON r.department_id = d.id AND r.status = ANY(:open)
        LEFT JOIN categories c ON c.id = r.category_id
        WHERE d.jurisdiction_id = :j GROUP BY d.id ORDER BY n DESC, d.name"""), params).all()
    open_by_category = session.execute(text("""
        SELECT c.code, c.name, count(r.id) AS n,
               count(r.id) FILTER (WHERE r.created_at < now() - make_interval(days => c.target_days)) AS overdue
        FROM categories c
        LEFT JOIN reports r ON r.category_id = c.id AND r.status = ANY(:open)
        WHERE c.jurisdiction_id = :j GROUP BY c.id ORDER BY n DESC, c.name"""), params).all()
    per_week = session.execute(text("""
        SELECT to_char(w.week, 'IYYY-"W"IW') AS week, count(r.id) AS n
        FROM generate_series(date_trunc('week', now()) - make_interval(weeks => :weeks - 1),
                             date_trunc('week', now()), interval '1 week') AS w(week)
        LEFT JOIN reports r ON r.jurisdiction_id = :j AND r.created_at >= w.week
                           AND r.created_at < w.week + interval '1 week'
        GROUP BY w.week ORDER BY w.week"""), {**params, "weeks": WEEKS}).all()
    median_close = session.execute(text("""
        SELECT c.code, c.name,
               percentile_cont(0.5) WITHIN GROUP (
                   ORDER BY extract(epoch FROM r.status_changed_at - r.created_at) / 86400.0) AS days,
               count(*) AS n
        FROM reports r JOIN categories c ON c.id = r.category_id
        WHERE r.jurisdiction_id = :j AND r.status = ANY(:closed) AND r.status <> 'duplikat'
          AND r.status_changed_at >= now() - interval '365 days'
        GROUP BY c.id ORDER BY days DESC NULLS LAST"""), params).all()
    # Reports taken by staff per channel ("telefon", ...); "" for the citizens' own.
    open_by_channel = session.execute(text("""
        SELECT coalesce(channel, '') AS channel, count(*) AS n FROM reports
        WHERE jurisdiction_id = :j AND status = ANY(:open) GROUP BY 1 ORDER BY n DESC, 1"""), params).all()
    # Open work per person and per team ("Meine Aufgaben" of each): the reports given to them
    # directly. Everyone of a department is listed, also with nothing to do (who can take more).
    open_by_assignee = session.execute(text("""
        WITH work AS (
            SELECT a.staff_user_id, a.team_id, count(*) AS n,
                   count(*) FILTER (WHERE r.created_at < now() - make_interval(days => c.target_days)) AS overdue
            FROM report_assignments a
            JOIN reports r ON r.id = a.report_id AND r.status = ANY(:open) AND r.jurisdiction_id = :j
            JOIN categories c ON c.id = r.category_id
            GROUP BY a.staff_user_id, a.team_id)
        SELECT 'person' AS kind, coalesce(nullif(u.display_name, ''), u.username) AS label, d.name AS department,
               coalesce(w.n, 0) AS n, coalesce(w.overdue, 0) AS overdue
        FROM staff_users u JOIN departments d ON d.id = u.department_id
        LEFT JOIN work w ON w.staff_user_id = u.id
        WHERE u.jurisdiction_id = :j AND (u.active OR w.n > 0)
        UNION ALL
        SELECT 'team', t.name, d.name, coalesce(w.n, 0), coalesce(w.overdue, 0)
        FROM staff_teams t JOIN departments d ON d.id = t.department_id
        LEFT JOIN work w ON w.team_id = t.id
        WHERE t.jurisdiction_id = :j
        ORDER BY n DESC, department, kind DESC, label"""), params).all()
    open_unassigned = session.execute(text("""
        SELECT count(*) FROM reports r WHERE r.jurisdiction_id = :j AND r.status = ANY(:open)
          AND NOT EXISTS (SELECT 1 FROM report_assignments a WHERE a.report_id = r.id)"""), params).scalar_one()
    return {
        "open_unassigned": open_unassigned,
        "open_by_assignee": [{"kind": r.kind, "label": r.label, "department": r.department, "n": r.n,
                              "overdue": r.overdue} for r in open_by_assignee],
        "open_by_channel": [{"channel": r.channel, "n": r.n} for r in open_by_channel],
        "open_by_department": [{"code": r.code, "label": r.name, "n": r.n, "overdue": r.overdue}
                               for r in open_by_department],
        "open_by_category": [{"code": r.code, "label": r.name, "n": r.n, "overdue": r.overdue}
                             for r in open_by_category],
        "per_week": [{"label": r.week, "n": r.n} for r in per_week],
        "median_days_to_close": [{"code": r.code, "label": r.name, "days": round(float(r.days), 1), "n": r.n}
                                 for r in median_close if r.days is not None],
        "overdue_total": sum(r.overdue for r in open_by_department),
        "open_total": sum(r.n for r in open_by_department),
    }


def store_snapshot(session, jurisdiction_id: int, data: dict, computed_at: datetime) -> None:
    session.execute(insert(DashboardSnapshot).values(jurisdiction_id=jurisdiction_id, computed_at=computed_at, data=data)
                    .on_conflict_do_update(index_elements=["jurisdiction_id"],
                                           set_={"computed_at": computed_at, "data": data}))
