"""Admin page /intern/admin/adressen: upload the town's address file (CSV or NRW's
Hauskoordinaten), imported by a worker while the page shows its progress."""
from __future__ import annotations

import logging

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.db import db
from app.errors import DomainError, NotFound
from app.staff.auth import current_staff, role_required

log = logging.getLogger(__name__)
bp = Blueprint("addresses_admin", __name__, url_prefix="/intern/admin/adressen")
MAX_UPLOAD = 200 * 1024 * 1024  # NRW's whole-state file is larger; a town's or a Kreis' extract fits


@bp.after_request
def _private(response):
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _recent(jurisdiction_id: int):
    from sqlalchemy import func, select

    from app.areas.models import AdminUpload, StreetAddress

    imports = list(db.session.scalars(select(AdminUpload).where(AdminUpload.jurisdiction_id == jurisdiction_id,
                                                                AdminUpload.kind == "addresses")
                                      .order_by(AdminUpload.id.desc()).limit(10)))
    count = db.session.scalar(select(func.count()).select_from(StreetAddress)
                              .where(StreetAddress.jurisdiction_id == jurisdiction_id))
    return imports, count


@bp.get("/")
@role_required("admin")
def index():
    imports, count = _recent(current_staff().jurisdiction_id)
    return render_template("areas/addresses.html", imports=imports, count=count)


@bp.post("/")
@role_required("admin")
def upload():
    """Keep the file, commit, then ask a worker (the job must find the committed row)."""
    from app.areas.jobs import import_uploaded_addresses
    from app.areas.models import AdminUpload
    from workers.queue import QUEUE_DEFAULT, get_queue

    staff = current_staff()
    upload = request.files.get("datei")
    if upload is None or not upload.filename:
        raise DomainError(_("Bitte wählen Sie eine Adressdatei aus (CSV)."), "datei")
    data = upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise DomainError(_("Die Datei ist zu groß (höchstens 200 MB)."), "datei", status=413)
    srid = request.form.get("srid", "")
    if srid not in ("", "4326", "25832", "25833", "3857"):
        raise DomainError(_("Dieses Koordinatensystem wird nicht unterstützt."), "srid")
    row = AdminUpload(jurisdiction_id=staff.jurisdiction_id, kind="addresses", staff_user_id=staff.id, filename=upload.filename[:200],
                        data=data, srid=int(srid) if srid else None, state="queued")
    db.session.add(row)
    db.session.commit()
    try:
        get_queue(QUEUE_DEFAULT).enqueue(import_uploaded_addresses, row.id, job_id=f"address-import-{row.id}",
                                         job_timeout=3600, result_ttl=3600, failure_ttl=7 * 86400)
    except Exception as exc:  # Redis down: the row waits; the page offers to start it again
        log.warning("could not enqueue address import %s (%s)", row.id, type(exc).__name__)
        flash(_("Die Warteschlange ist gerade nicht erreichbar. Bitte starten Sie den Import gleich noch einmal."))
    return redirect(url_for(".progress", import_id=row.id), 303)


@bp.post("/<int:import_id>/starten")
@role_required("admin")
def restart(import_id: int):
    from app.areas.jobs import import_uploaded_addresses
    from workers.queue import QUEUE_DEFAULT, get_queue

    row = _import(import_id)
    if row.state == "queued":
        get_queue(QUEUE_DEFAULT).enqueue(import_uploaded_addresses, row.id, job_id=f"address-import-{row.id}",
                                         job_timeout=3600, result_ttl=3600, failure_ttl=7 * 86400)
    return redirect(url_for(".progress", import_id=row.id), 303)


def _import(import_id: int):
    from app.areas.models import AdminUpload

    row = db.session.get(AdminUpload, import_id)
    if row is None or row.jurisdiction_id != current_staff().jurisdiction_id or row.kind != "addresses":
        raise NotFound(_("Diesen Import gibt es nicht."))
    return row


@bp.get("/<int:import_id>")
@role_required("admin")
def progress(import_id: int):
    row = _import(import_id)
    state = _state(row)
    return render_template("areas/address_import.html", row=row, state=state,
                           running=state["state"] in ("queued", "running"))


@bp.get("/<int:import_id>.json")
@role_required("admin")
def progress_json(import_id: int):
    """What the progress page polls (static/js/import_progress.js)."""
    return _state(_import(import_id))


def _state(row) -> dict:
    """The row once it is finished, else what the running job last wrote to Redis."""
    from app.areas.jobs import read_progress

    if row.state in ("done", "failed"):
        return {"state": row.state, "done": row.done, "total": row.total}
    live = read_progress(row.id)
    return {"state": live.get("state", row.state), "done": int(live.get("done", 0)), "total": int(live.get("total", 0))}
