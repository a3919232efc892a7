"""Changes to a town's own settings (they flush; the caller commits)."""
from __future__ import annotations

from collections.abc import Mapping

from app.db import db
from app.jurisdictions.legal import LegalInfo, merged_legal
from app.jurisdictions.models import Jurisdiction


def update_legal(jurisdiction: Jurisdiction, changes: Mapping[str, object]) -> LegalInfo:
    """Set (or, with None or "", remove) fields of the town's statement details; all or nothing.

    Raises ``LegalSettingsError`` naming every unknown field or bad value; nothing changes then.
    """
    # A new dict, not an in-place change: SQLAlchemy saves a JSONB column only when it is assigned.
    jurisdiction.legal = merged_legal(jurisdiction.legal, changes)
    db.session.flush()
    return jurisdiction.legal_info
