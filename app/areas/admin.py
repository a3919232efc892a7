"""Admin page /intern/admin/gebiete: areas, import, validation, re-routing preview and apply."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import func, select

from app.areas.rerouting import apply_rerouting, preview_rerouting
from app.areas.forms import AreaForm, AreaImportForm, RerouteForm
from app.db import db
from app.forms import validated
from app.errors import DomainError
from app.jurisdictions.models import Area, Jurisdiction, RoutingRule
from app.staff import audit
from app.staff.auth import current_staff, role_required
from geo.areafiles import area_collection
from geo.areaimport import SUPPORTED_SRIDS, AreaImportError, import_areas
from geo.areas import AREA_KIND_RANK, rank_in_effect
from geo.validation import validate_routing

bp = Blueprint("areas_admin", __name__, url_prefix="/intern/admin/gebiete")
KIND_LABELS = {"boundary": _l("Stadtgebiet"), "district": _l("Bezirk"), "ortsteil": _l("Ortsteil"),
               "custom": _l("eigenes Gebiet")}
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
    # Rules without an area hold for the whole town: the town's boundary shows them.
    town_wide = rules.pop(None, 0)
    for area in areas:
        if area.kind == "boundary":
            rules[area.id] = rules.get(area.id, 0) + town_wide
    return render_template("areas/admin.html", jurisdiction=jurisdiction, areas=areas, rules=rules,
                           findings=findings, kinds=list(AREA_KIND_RANK), kind_ranks=AREA_KIND_RANK,
                           kind_labels=KIND_LABELS, srids=SUPPORTED_SRIDS,
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
        raise DomainError(_("Bitte wählen Sie eine Gebietsdatei aus (GeoJSON, GeoPackage oder Shapefile als ZIP)."), "datei")
    data = upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise DomainError(_("Die Datei ist zu groß (höchstens 20 MB)."), "datei", status=413)
    try:
        data = area_collection(data, upload.filename)
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


@bp.post("/<int:area_id>")
@role_required("admin")
def update_area(area_id: int):
    """Rename an area, change its kind or rank (audited with before and after). Open reports keep
    their department; the page's re-routing preview shows what a changed rank would move."""
    jurisdiction = _jurisdiction()
    area = db.session.get(Area, area_id)
    if area is None or area.jurisdiction_id != jurisdiction.id:
        raise DomainError(_("Dieses Gebiet gibt es nicht."), "area", status=404)
    form = validated(AreaForm(request.form))
    rank = rank_in_effect(form.kind.data, form.rank.data)
    changes = {}
    for field, value in (("name", form.name.data), ("kind", form.kind.data), ("rank", rank)):
        if getattr(area, field) != value:
            changes[field] = [getattr(area, field), value]
            setattr(area, field, value)
    if changes:
        db.session.flush()
        audit.record("area_update", staff=current_staff(), jurisdiction_id=jurisdiction.id, target=f"area:{area.code}",
                     changes=changes)
    db.session.commit()
    flash(_("Das Gebiet %(name)s wurde gespeichert.", name=area.name) if changes else _("Es gab nichts zu ändern."))
    return redirect(url_for(".index"), 303)


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
