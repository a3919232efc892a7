"""Dashboard figures: open reports per department and category, reports per week,
median days to close per category, overdue counts.

At a million reports the medians alone take seconds, so the figures are computed
in the background (RQ job ``app.staff.jobs.refresh_dashboard``) and kept in
``staff_dashboard_snapshots``; the page reads the snapshot and asks for a refresh
when it is older than ``DASHBOARD_MAX_AGE``. Only the very first view computes inline.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app

from app.db import db, utcnow
from app.staff.figures import compute_dashboard, store_snapshot
from app.staff.jobs import refresh_dashboard  # also the job's path of the previous release
from app.staff.models import DashboardSnapshot
from workers.queue import QUEUE_DEFAULT, get_queue

log = logging.getLogger(__name__)
DEFAULT_MAX_AGE = 300  # seconds


def request_refresh(jurisdiction_id: int) -> None:
    """Ask a worker to recompute the town's figures (one job at a time per town)."""
    try:
        # A fixed job id: many page views while it runs ask for one refresh.
        get_queue(QUEUE_DEFAULT).enqueue(refresh_dashboard, jurisdiction_id,
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
        request_refresh(jurisdiction_id)
    return snapshot.data, snapshot.computed_at
