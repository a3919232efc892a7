"""Dashboard figures: open reports per department and category, reports per week,
median days to close per category, overdue counts.

At a million reports the medians alone take seconds, so the figures are computed
in the background (RQ job ``app.staff.dashboard.refresh_dashboard``) and kept in
``staff_dashboard_snapshots``; the page reads the snapshot and asks for a refresh
when it is older than ``DASHBOARD_MAX_AGE``. Only the very first view computes inline.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert

from app.db import db, utcnow
from app.reports.status import CLOSED_STATUSES, OPEN_STATUSES
from app.staff.models import DashboardSnapshot

log = logging.getLogger(__name__)
DEFAULT_MAX_AGE = 300  # seconds
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
    return {
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


def refresh_dashboard(jurisdiction_id: int) -> str:
    """RQ job: recompute and store the snapshot (safe to run twice)."""
    now = utcnow()
    data = compute_dashboard(db.session, jurisdiction_id)
    store_snapshot(db.session, jurisdiction_id, data, now)
    db.session.commit()
    return "refreshed"


def _request_refresh(jurisdiction_id: int) -> None:
    from workers.queue import QUEUE_DEFAULT, get_queue

    try:
        # A fixed job id: many page views while it runs ask for one refresh.
        get_queue(QUEUE_DEFAULT).enqueue("app.staff.dashboard.refresh_dashboard", jurisdiction_id,
                                         job_id=f"staff-dashboard-{jurisdiction_id}", result_ttl=0, failure_ttl=3600)
    except Exception as exc:  # Redis down: the page still shows the last snapshot
        log.warning("could not request a dashboard refresh (%s)", type(exc).__name__)


def dashboard_data(jurisdiction_id: int) -> tuple[dict, datetime]:
    """The figures and when they were computed."""
    max_age = timedelta(seconds=current_app.config.get("DASHBOARD_MAX_AGE", DEFAULT_MAX_AGE))
    snapshot = db.session.get(DashboardSnapshot, jurisdiction_id)
    now = utcnow()
    if snapshot is None:
        data = compute_dashboard(db.session, jurisdiction_id)
        store_snapshot(db.session, jurisdiction_id, data, now)
        db.session.commit()
        return data, now
    if now - snapshot.computed_at > max_age:
        _request_refresh(jurisdiction_id)
    return snapshot.data, snapshot.computed_at
