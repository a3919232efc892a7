"""RQ jobs of the staff workspace: module-level functions that take ids, safe to run twice."""
from __future__ import annotations

from app.db import db, utcnow
from app.staff.figures import compute_dashboard, store_snapshot


def refresh_dashboard(jurisdiction_id: int) -> str:
    """Recompute and store the town's dashboard snapshot."""
    now = utcnow()
    store_snapshot(db.session, jurisdiction_id, compute_dashboard(db.session, jurisdiction_id), now)
    db.session.commit()
    return "refreshed"


def escalate_overdue() -> int:
    """Hourly: escalate reports overdue by more than ``ESCALATION_GRACE_DAYS`` to the dispatchers."""
    from flask import current_app

    from app.staff.deadlines import record_escalations

    count = record_escalations(current_app.config["ESCALATION_GRACE_DAYS"])
    db.session.commit()
    return count
