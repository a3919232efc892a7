"""The audit log: every staff action, recorded in the same transaction as the action."""
from __future__ import annotations

import logging

from app.db import db
from app.staff.models import AuditEntry

log = logging.getLogger("app.staff.audit")


def record(action: str, *, staff=None, jurisdiction_id: int | None = None, report=None, target: str = "",
           changes: dict | None = None, actor: str | None = None) -> AuditEntry:
    """Add an audit row (flushes). ``changes`` maps a field to ``[old, new]`` or holds details;
    callers never put reporter contact data in it. ``actor`` names a non-staff source ("town-file")."""
    if jurisdiction_id is None:
        jurisdiction_id = report.jurisdiction_id if report is not None else staff.jurisdiction_id
    if jurisdiction_id is None:  # the operator (no town of its own): the town whose host it works on
        from app.jurisdictions.queries import current_jurisdiction

        jurisdiction_id = current_jurisdiction().id
    entry = AuditEntry(jurisdiction_id=jurisdiction_id, staff_user_id=staff.id if staff is not None else None,
                       actor=staff.username if staff is not None else (actor or "system"), action=action,
                       report_id=report.id if report is not None else None, target=target[:200],
                       changes=changes or {})
    db.session.add(entry)
    db.session.flush()
    # Ids and action names only: no citizen text or contact data reaches the logs.
    log.info("staff action %s by %s on report %s", action, entry.actor, entry.report_id)
    return entry
