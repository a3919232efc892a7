"""RQ jobs of the areas feature: module-level functions that take ids, safe to run twice."""
from __future__ import annotations

from app.db import db, utcnow

PROGRESS_TTL = 86400


def progress_key(import_id: int) -> str:
    return f"mm:upload-progress:{import_id}"


def _progress(import_id: int, **values) -> None:
    """Progress the page can read while the import's own transaction is still open (in Redis:
    the row itself changes only when the import commits or is refused)."""
    from workers.queue import redis

    try:
        redis().hset(progress_key(import_id), mapping={k: str(v) for k, v in values.items()})
        redis().expire(progress_key(import_id), PROGRESS_TTL)
    except Exception:  # progress is a courtesy: Redis away must not fail the import
        pass


def read_progress(import_id: int) -> dict:
    from workers.queue import redis

    try:
        raw = redis().hgetall(progress_key(import_id))
    except Exception:
        return {}
    return {k.decode(): v.decode() for k, v in raw.items()}


def import_uploaded_addresses(import_id: int) -> str:
    """Import an address file uploaded on the admin page, writing its progress as it goes.

    A file is imported whole or not at all (one transaction); a refused file names its lines."""
    from app.areas.models import AdminUpload
    from app.staff.audit import record
    from geo.geocoding import AddressFileError, import_addresses, read_address_csv

    upload = db.session.get(AdminUpload, import_id)
    if upload is None or upload.kind != "addresses" or upload.state != "queued" or upload.data is None:
        return "nothing to do"  # done already (a repeated job) or gone
    _progress(import_id, state="running", done=0, total=0)
    raw = bytes(upload.data)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")  # older HK-DE deliveries are ISO 8859-1
    try:
        rows, guessed = read_address_csv(text)
    except AddressFileError as exc:
        upload.state, upload.message, upload.data, upload.finished_at = \
            "failed", "\n".join(exc.errors[:50]), None, utcnow()
        db.session.commit()
        return "refused"
    _progress(import_id, total=len(rows))
    count = import_addresses(db.session, upload.jurisdiction_id, rows, srid=upload.srid or guessed,
                             source=upload.filename, progress=lambda done: _progress(import_id, done=done))
    record("addresses_imported", jurisdiction_id=upload.jurisdiction_id, target=upload.filename[:200],
           actor="import", changes={"imported": count, "rejected": 0, "srid": upload.srid or guessed})
    upload.state, upload.done, upload.total, upload.data, upload.finished_at = "done", count, count, None, utcnow()
    db.session.commit()
    return f"imported {count}"
