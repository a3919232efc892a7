"""When a report's public content last changed, for the feeds' ``<updated>``."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, text

from app.db import db
from app.reports.models import Report

# Feed readers show an entry again when its <updated> moves, so it follows everything a
# feed or the report page shows the public, and nothing they do not:
#   - the status (``status_changed_at``) and a public note added with or without a new status;
#   - the description being published, unpublished or edited while published (the staff's
#     "description" audit entry; an edit of a still unpublished text shows nobody anything);
#   - a photo being published or unpublished, a published photo being redacted, and a photo
#     published as it arrived (its ``created_at``; such a photo has no audit entry).
# Internal changes (priority, reassignment, internal notes) leave it alone.
_PUBLIC_UPDATED = text("""
    SELECT r.id, GREATEST(
        r.status_changed_at,
        (SELECT max(sc.created_at) FROM status_changes sc WHERE sc.report_id = r.id AND sc.public_note <> ''),
        (SELECT max(p.created_at) FROM photos p WHERE p.report_id = r.id AND p.published),
        (SELECT max(a.created_at) FROM audit_log a
           LEFT JOIN photos p ON a.target = 'photo:' || p.id::text AND p.report_id = r.id
          WHERE a.report_id = r.id
            AND ((a.action = 'description' AND (a.changes -> 'description_published' IS NOT NULL OR r.description_published))
                 OR a.action IN ('photo_publish', 'photo_unpublish')
                 OR (a.action = 'photo_redact' AND p.published)))
    ) AS updated
    FROM reports r
    WHERE r.id IN :ids
""").bindparams(bindparam("ids", expanding=True))


def public_updated_at(reports: list[Report]) -> dict[int, datetime]:
    """Report id → when what the public sees of it last changed (see above)."""
    if not reports:
        return {}
    return dict(db.session.execute(_PUBLIC_UPDATED, {"ids": [r.id for r in reports]}).tuples().all())
