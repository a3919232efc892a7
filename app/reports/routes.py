"""Citizen intake and the reporter's private pages. Views stay thin."""
from __future__ import annotations

import uuid

from flask import Blueprint, Response, abort, g, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.db import db
from app.errors import NotFound, ValidationFailed
from app.extensions import limiter
from app.jurisdictions.queries import active_categories, jurisdiction_by_slug
from app.reports.models import Photo, Report
from app.reports.operations import (
    ReportInput, confirm_reporter_email, create_report, find_duplicate_submission, parse_coordinate,
)
from app.reports.photos import storage

bp = Blueprint("reports", __name__)


def _form_input() -> ReportInput:
    form = request.form
    uploads = [f.read() for f in request.files.getlist("photos") if f and f.filename]
    return ReportInput(
        category_code=form.get("category", "").strip(),
        description=form.get("description", ""),
        lat=parse_coordinate(form.get("lat"), -90, 90),
        lon=parse_coordinate(form.get("lon"), -180, 180),
        address=form.get("address"),
        email=form.get("email", "").strip() or None,
        name=form.get("name", "").strip() or None,
        locale=g.get("locale", "de"),
        idempotency_key=(form.get("idempotency_key") or "").strip()[:100] or None,
        photos=uploads,
    )


@bp.get("/melden")
def new_report():
    jurisdiction = jurisdiction_by_slug(None)
    return render_template("reports/new.html", jurisdiction=jurisdiction, categories=active_categories(jurisdiction),
                           form={"idempotency_key": uuid.uuid4().hex}, errors={})


@bp.post("/melden")
@limiter.limit(lambda: "30/minute;300/day")
def submit_report():
    jurisdiction = jurisdiction_by_slug(None)
    data = _form_input()
    existing = find_duplicate_submission(jurisdiction, data.idempotency_key)
    if existing is not None:
        return redirect(url_for("reports.submitted", token=existing.tracking_token), 303)
    try:
        report = create_report(jurisdiction, data)
        db.session.commit()
    except ValidationFailed as exc:
        db.session.rollback()
        errors = {e.field or "form": str(e.message) for e in exc.errors}
        form = {k: v for k, v in request.form.items()}
        return render_template("reports/new.html", jurisdiction=jurisdiction,
                               categories=active_categories(jurisdiction), form=form, errors=errors), 400
    except IntegrityError:
        # A retry with the same idempotency key raced this one and won.
        db.session.rollback()
        existing = find_duplicate_submission(jurisdiction, data.idempotency_key)
        if existing is None:
            raise
        report = existing
    return redirect(url_for("reports.submitted", token=report.tracking_token), 303)


def _report_by_token(token: str) -> Report:
    report = db.session.scalar(select(Report).where(Report.tracking_token == token)) if token else None
    if report is None:
        raise NotFound("unknown tracking token")
    return report


@bp.get("/meldung/eingegangen/<token>")
def submitted(token: str):
    report = _report_by_token(token)
    return render_template("reports/submitted.html", report=report)


@bp.get("/verfolgen/<token>")
def track(token: str):
    report = _report_by_token(token)
    return render_template("reports/track.html", report=report)


@bp.get("/bestaetigen/<token>")
def confirm_email(token: str):
    report = confirm_reporter_email(token)
    db.session.commit()
    return render_template("reports/confirmed.html", report=report)


@bp.get("/fotos/<int:photo_id>/<variant>.jpg")
def photo(photo_id: int, variant: str):
    """A public photo variant: only published photos of visible reports."""
    item = db.session.get(Photo, photo_id)
    if (item is None or variant not in item.variants or not item.published or item.report.hidden
            or not item.report.status_info.public):
        abort(404)
    data = storage().get(item.variants[variant])
    response = Response(data, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "public, max-age=86400"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
