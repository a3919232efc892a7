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
