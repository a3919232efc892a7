"""Admin page /intern/admin/gebiete: areas, import, validation, re-routing preview and apply."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from app.areas.rerouting import apply_rerouting, preview_rerouting
from app.areas.forms import AreaImportForm, RerouteForm
from app.db import db
from app.forms import validated
from app.errors import DomainError
from app.jurisdictions.models import Area, Jurisdiction, RoutingRule
from app.staff import audit
from app.staff.auth import current_staff, role_required
from geo.areaimport import SUPPORTED_SRIDS, AreaImportError, import_areas
from geo.areas import AREA_KIND_RANK
from geo.validation import validate_routing

bp = Blueprint("areas_admin", __name__, url_prefix="/intern/admin/gebiete")
MAX_UPLOAD = 20 * 1024 * 1024


@bp.after_request
def _private(response):
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _jurisdiction() -> Jurisdiction:
    return db.session.get(Jurisdiction, current_staff().jurisdiction_id)


def _page(jurisdiction: Jurisdiction, status: int = 200, import_errors: list[str] | None = None):
    rules = dict(db.session.execute(
        select(RoutingRule.area_id, func.count()).where(RoutingRule.jurisdiction_id == jurisdiction.id)
        .group_by(RoutingRule.area_id)).all())
    areas = list(db.session.scalars(select(Area).where(Area.jurisdiction_id == jurisdiction.id)
                                    .order_by(Area.rank, Area.name)))
    findings = validate_routing(db.session, jurisdiction.id)
    return render_template("areas/admin.html", jurisdiction=jurisdiction, areas=areas, rules=rules,
                           findings=findings, kinds=list(AREA_KIND_RANK), srids=SUPPORTED_SRIDS,
                           import_errors=import_errors or []), status


@bp.get("/")
@role_required("admin")
def index():
    return _page(_jurisdiction())


@bp.post("/import")
@role_required("admin")
def upload():
    jurisdiction = _jurisdiction()
    form = validated(AreaImportForm(request.form))
    upload = request.files.get("datei")
    if upload is None or not upload.filename:
        raise DomainError(_("Bitte wählen Sie eine GeoJSON-Datei aus."), "datei")
    data = upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise DomainError(_("Die Datei ist zu groß (höchstens 20 MB)."), "datei", status=413)
    try:
        result = import_areas(db.session, jurisdiction.id, data, srid=int(form.srid.data) if form.srid.data else None,
                              default_kind=form.kind.data, replace=form.replace.data)
    except AreaImportError as exc:
        db.session.rollback()
        return _page(jurisdiction, status=400, import_errors=exc.errors)
    audit.record("areas_imported", staff=current_staff(), jurisdiction_id=jurisdiction.id,
                 target=upload.filename[:200], changes={"created": result.created, "replaced": result.replaced,
                                                         "srid": result.srid})
    db.session.commit()
    flash(_("%(n)s Gebiete importiert (EPSG:%(srid)s): %(new)s neu, %(replaced)s ersetzt.", n=result.count,
            srid=result.srid, new=len(result.created), replaced=len(result.replaced)))
    for note in result.repairs[:20]:
        flash(_("Repariert: %(note)s", note=note))
    return redirect(url_for(".index"))


@bp.get("/umleitung")
@role_required("admin")
def reroute_preview():
    jurisdiction = _jurisdiction()
    # Writes nothing: the plan is a temporary table that ends with the request's transaction.
    preview = preview_rerouting(jurisdiction)
    return render_template("areas/reroute.html", jurisdiction=jurisdiction, preview=preview)


@bp.post("/umleitung")
@role_required("admin")
def reroute_apply():
    jurisdiction = _jurisdiction()
    staff = current_staff()
    form = validated(RerouteForm(request.form))
    run = apply_rerouting(jurisdiction, actor=f"admin:{staff.username}", staff=staff,
                          expected_fingerprint=form.fingerprint.data, reason=form.reason.data)
    db.session.commit()
    flash(_("%(n)s offene Meldungen neu zugeordnet; die neuen Stellen werden benachrichtigt.", n=run.moved))
    return redirect(url_for(".index"))
