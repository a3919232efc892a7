"""Catalog editing for admins under /intern/admin/leistungen: entries, reviews, contacts, import/export."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.catalog import queries
from app.catalog.exchange import ImportRefused, export_csv, export_json, import_catalog
from app.catalog.models import CatalogEntry
from app.catalog.operations import (EXCHANGE_FIELDS, entry_as_exchange, mark_reviewed, parse_entry, reinstate_entry,
                                    retire_entry, save_contact, save_entry)
from app.db import db
from app.errors import DomainError, NotFound, ValidationFailed
from app.jurisdictions.models import Department, Jurisdiction
from app.staff import audit
from app.staff.auth import current_staff, role_required

bp = Blueprint("catalog_admin", __name__, url_prefix="/intern/admin/leistungen")
_LIST_FIELDS = ("required_documents", "keywords")


@bp.after_request
def _private(response):
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _jurisdiction() -> Jurisdiction:
    return db.session.get(Jurisdiction, current_staff().jurisdiction_id)


def _entry(entry_id: int) -> CatalogEntry:
    entry = db.session.get(CatalogEntry, entry_id)
    if entry is None or entry.jurisdiction_id != current_staff().jurisdiction_id:
        raise NotFound(_("Diese Leistung gibt es nicht."), code="unknown_service")
    return entry


def _form_mapping(form, retired: bool) -> dict:
    """The edit form as an exchange mapping: lists one item per line, the checkbox as ja/nein."""
    data = {name: form.get(name, "") for name in EXCHANGE_FIELDS if name not in _LIST_FIELDS}
    for name in _LIST_FIELDS:
        data[name] = [line for line in form.get(name, "").splitlines() if line.strip()]
    data["online"] = "ja" if form.get("online") else "nein"
    data["retired"] = "ja" if retired else "nein"
    return data


@bp.get("/")
@role_required("admin")
def index():
    jurisdiction = _jurisdiction()
    return render_template("catalog/admin/index.html", entries=queries.all_entries_for_staff(jurisdiction),
                           overdue=queries.overdue_for_review(jurisdiction), departments=queries.departments_of(jurisdiction),
                           today=date.today())


def _render_form(entry: CatalogEntry | None, values: dict, errors: list[DomainError], status: int = 200):
    return render_template("catalog/admin/form.html", entry=entry, values=values, errors=errors,
                           field_errors={e.field: str(e.message) for e in errors if e.field},
                           departments=queries.departments_of(_jurisdiction())), status


@bp.get("/neu")
@role_required("admin")
def new_entry():
    return _render_form(None, {"online": False, "required_documents": [], "keywords": []}, [])


@bp.get("/<int:entry_id>")
@role_required("admin")
def edit_entry(entry_id: int):
    entry = _entry(entry_id)
    return _render_form(entry, entry_as_exchange(entry), [])


@bp.post("/neu")
@bp.post("/<int:entry_id>")
@role_required("admin")
def save(entry_id: int | None = None):
    entry = _entry(entry_id) if entry_id is not None else None
    values = _form_mapping(request.form, retired=entry.retired if entry else False)
    try:
        saved = save_entry(_jurisdiction(), parse_entry(values), entry)
    except ValidationFailed as exc:
        db.session.rollback()
        values["online"] = values["online"] == "ja"
        return _render_form(entry, values, exc.errors, 400)
    audit.record("catalog_entry_saved" if entry else "catalog_entry_created", staff=current_staff(),
                 target=f"catalog:{saved.slug}")
    db.session.commit()
    flash(_("Die Leistung „%(name)s“ wurde gespeichert.", name=saved.name))
    return redirect(url_for(".index"), 303)


@bp.post("/<int:entry_id>/geprueft")
@role_required("admin")
def reviewed(entry_id: int):
    entry = _entry(entry_id)
    raw = (request.form.get("review_due") or "").strip()
    try:
        next_review = date.fromisoformat(raw) if raw else None
    except ValueError:
        raise DomainError(_("„%(value)s“ ist kein Datum (Format JJJJ-MM-TT).", value=raw[:40]), "review_due") from None
    mark_reviewed(entry, next_review=next_review)
    audit.record("catalog_entry_reviewed", staff=current_staff(), target=f"catalog:{entry.slug}")
    db.session.commit()
    flash(_("„%(name)s“ ist als geprüft vermerkt; nächste Prüfung am %(due)s.", name=entry.name,
            due=entry.review_due.strftime("%d.%m.%Y")))
    return redirect(url_for(".index"), 303)


@bp.post("/<int:entry_id>/zurueckziehen")
@role_required("admin")
def retire(entry_id: int):
    entry = _entry(entry_id)
    retire_entry(entry)
    audit.record("catalog_entry_retired", staff=current_staff(), target=f"catalog:{entry.slug}")
    db.session.commit()
    flash(_("„%(name)s“ wird nicht mehr angezeigt.", name=entry.name))
    return redirect(url_for(".index"), 303)


@bp.post("/<int:entry_id>/reaktivieren")
@role_required("admin")
def reinstate(entry_id: int):
    entry = _entry(entry_id)
    reinstate_entry(entry)
    audit.record("catalog_entry_reinstated", staff=current_staff(), target=f"catalog:{entry.slug}")
    db.session.commit()
    flash(_("„%(name)s“ wird wieder angezeigt.", name=entry.name))
    return redirect(url_for(".index"), 303)


@bp.get("/export.<fmt>")
@role_required("admin")
def export(fmt: str):
    jurisdiction = _jurisdiction()
    if fmt == "json":
        body, mimetype = export_json(jurisdiction), "application/json"
    elif fmt == "csv":
        body, mimetype = export_csv(jurisdiction), "text/csv"
    else:
        raise NotFound(_("Unbekanntes Format (erlaubt: json, csv)."), code="unknown_format")
    filename = f"leistungen-{jurisdiction.slug}-{date.today().isoformat()}.{fmt}"
    return Response(body, mimetype=mimetype + "; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/import")
@role_required("admin")
def import_form():
    return render_template("catalog/admin/import.html", errors=[], result=None)


@bp.post("/import")
@role_required("admin")
def import_post():
    upload = request.files.get("file")
    data = upload.read() if upload else b""
    fmt = (request.form.get("format") or "").strip()
    if not fmt and upload and upload.filename:
        fmt = upload.filename.rsplit(".", 1)[-1].lower()
    if not data:
        return render_template("catalog/admin/import.html", result=None, errors=[
            DomainError(_("Bitte wählen Sie eine Datei (JSON oder CSV)."), "file")]), 400
    try:
        result = import_catalog(_jurisdiction(), data, fmt)
    except ImportRefused as exc:
        db.session.rollback()
        return render_template("catalog/admin/import.html", result=None, errors=exc.errors), 422
    except DomainError as exc:
        db.session.rollback()
        return render_template("catalog/admin/import.html", result=None, errors=[exc]), 400
    audit.record("catalog_imported", staff=current_staff(), target=f"catalog:{fmt}",
                 changes={"created": result.created, "updated": result.updated})
    db.session.commit()
    return render_template("catalog/admin/import.html", result=result, errors=[])


@bp.route("/stellen/<int:department_id>", methods=["GET", "POST"])
@role_required("admin")
def contact(department_id: int):
    department = db.session.get(Department, department_id)
    if department is None or department.jurisdiction_id != current_staff().jurisdiction_id:
        raise NotFound(_("Diese Abteilung gibt es nicht."), code="unknown_department")
    existing = queries.contact_for(department)
    values = {name: getattr(existing, name, "") if existing else "" for name in
              ("address", "opening_hours", "phone", "email")}
    if request.method == "GET":
        return render_template("catalog/admin/contact.html", department=department, values=values, errors=[])
    values = {name: request.form.get(name, "") for name in values}
    try:
        save_contact(department, **values)
    except ValidationFailed as exc:
        db.session.rollback()
        return render_template("catalog/admin/contact.html", department=department, values=values,
                               errors=exc.errors), 400
    audit.record("catalog_contact_saved", staff=current_staff(), target=f"department:{department.code}")
    db.session.commit()
    flash(_("Die Kontaktdaten von „%(name)s“ wurden gespeichert.", name=department.name))
    return redirect(url_for(".index"), 303)
