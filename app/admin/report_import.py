"""The admin page that moves reports in from the town's earlier system: the operation of
`flask reports import` (app/reports/importing.py), a dry run first, then the import of the very
file that was checked (kept in ``admin_uploads`` in between)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.db import db, utcnow
from app.errors import DomainError, NotFound
from app.staff.models import StaffUser

MAX_UPLOAD = 100 * 1024 * 1024


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError(_l("Die Datei ist nicht in UTF-8 gespeichert."), "datei") from None


def keep_upload(admin: StaffUser, filename: str, data: bytes):
    """Keep an uploaded file for its dry run and import (flushes)."""
    from app.areas.models import AdminUpload

    if not data:
        raise DomainError(_l("Bitte wählen Sie eine Datei aus (CSV oder Open311-JSON)."), "datei")
    if len(data) > MAX_UPLOAD:
        raise DomainError(_l("Die Datei ist zu groß (höchstens 100 MB)."), "datei", status=413)
    _text(data)
    row = AdminUpload(jurisdiction_id=admin.jurisdiction_id, kind="reports", staff_user_id=admin.id,
                      filename=filename[:200] or "meldungen.csv", data=data, state="queued")
    db.session.add(row)
    db.session.flush()
    return row


def upload_of(admin: StaffUser, upload_id: int):
    from app.areas.models import AdminUpload

    row = db.session.get(AdminUpload, upload_id)
    if row is None or row.jurisdiction_id != admin.jurisdiction_id or row.kind != "reports":
        raise NotFound(_l("Diesen Import gibt es nicht."))
    return row


def run(admin: StaffUser, upload_id: int, dry_run: bool):
    """Import (or only check) the kept file; returns the result (``summary()`` is the one line).

    A dry run is undone with a savepoint; the import itself flushes and the view commits. A
    file already imported is not imported again (the result says unchanged)."""
    from app.jurisdictions.models import Jurisdiction
    from app.reports.importing import import_reports

    row = upload_of(admin, upload_id)
    if row.data is None:
        raise DomainError(_l("Diese Datei wurde schon übernommen. Laden Sie sie erneut hoch, um sie noch einmal "
                             "zu prüfen."), "datei")
    jurisdiction = db.session.get(Jurisdiction, admin.jurisdiction_id)
    kind = "open311" if row.filename.lower().endswith(".json") else "csv"
    savepoint = db.session.begin_nested() if dry_run else None
    try:
        result = import_reports(db.session, jurisdiction, _text(bytes(row.data)), kind)
    except ValueError as exc:
        if savepoint is not None:
            savepoint.rollback()
        raise DomainError(_l("Die Datei wurde abgelehnt, es wurde nichts übernommen: %(reason)s", reason=str(exc)),
                          "datei") from None
    if savepoint is not None:
        savepoint.rollback()
    else:
        row.state, row.done, row.data, row.finished_at = "done", result.imported, None, utcnow()
        row.message = result.summary()
        db.session.flush()
    return row, result
