"""JSON intake for the page's offline queue and for API clients.

``POST /api/v1/intake/reports`` takes the same multipart fields as the HTML form
(``category``, ``description``, ``lat``, ``lon``, ``address``, ``email``, ``photos``)
and requires an ``Idempotency-Key`` header. A resubmission with the same key answers
with the same report (200 instead of 201) and never creates a second one.

No CSRF token here: the required custom header cannot be sent cross-site without a
CORS preflight, which this app never grants, so a foreign page cannot submit in a
visitor's name (and an offline queue may send hours after its page's token expired).
"""
from __future__ import annotations

from flask import Blueprint, g, jsonify, request, url_for
from flask_babel import gettext
from sqlalchemy import select

from app.db import db
from app.errors import DomainError, NotFound
from app.extensions import csrf
from app.jurisdictions.models import Category, Department
from app.jurisdictions.queries import hosted_neighbour_at, jurisdiction_by_slug, this_town_id
from app.reports.models import Report
from app.reports.intake import intake_limit, report_input, submit, town_intake_limit
from app.reports.operations import BelongsToNeighbour, ReportInput, clean_idempotency_key, parse_coordinate
from app.validation import clean_text
from geo.routing import NoRoutingRule, OutsideJurisdiction, route_point

bp = Blueprint("intake_api", __name__, url_prefix="/api/v1/intake")
csrf.exempt(bp)


def report_body(report: Report) -> dict:
    return {
        "reference": report.reference,
        "status": report.status,
        "url": url_for("public.report", reference=report.reference),
        "tracking_url": url_for("reports.track", token=report.tracking_token, _external=True),
        "confirmation_url": url_for("reports.submitted", token=report.tracking_token),
    }


@bp.post("/reports")
@intake_limit
@town_intake_limit
def create():
    raw_key = request.headers.get("Idempotency-Key")
    key = clean_idempotency_key(raw_key)
    if key is None:
        raise DomainError(gettext("Der Kopf „Idempotency-Key“ fehlt oder ist ungültig (8–100 Zeichen aus "
                                  "A–Z, a–z, 0–9, Punkt, Unterstrich, Doppelpunkt, Bindestrich)."),
                          "Idempotency-Key", code="idempotency_key")
    if not request.mimetype.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        raise DomainError(gettext("Bitte senden Sie die Meldung als multipart/form-data."), None,
                          code="unsupported_media_type", status=415)
    jurisdiction = jurisdiction_by_slug(request.form.get("jurisdiction_id") or None)
    report, created = submit(jurisdiction, report_input(request.form, request.files, key))
    response = jsonify(report_body(report))
    response.status_code = 201 if created else 200
    if not created:
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/location")
def check_location():
    """Is the pin inside the town, and who would handle the category there?

    ``{"inside": bool, "message": str|null, "department": str|null}`` – for the
    form's live hint; the submission itself checks again.
    """
    jurisdiction = jurisdiction_by_slug(None)
    lat = parse_coordinate(request.args.get("lat"), -90, 90)
    lon = parse_coordinate(request.args.get("lon"), -180, 180)
    if lat is None or lon is None:
        raise DomainError(gettext("Bitte geben Sie Breite und Länge in Grad an."), "location")
    code = clean_text(request.args.get("category")).strip()
    category = db.session.scalar(select(Category).where(
        Category.jurisdiction_id == jurisdiction.id, Category.code == code, Category.active)) if code else None
    if category is None:  # any category will do to learn whether the point is in town
        category = db.session.scalar(select(Category).where(
            Category.jurisdiction_id == jurisdiction.id, Category.active).order_by(Category.id).limit(1))
    body = {"inside": True, "message": None, "department": None}
    try:
        decision = route_point(db.session, jurisdiction.id, category.id, lon, lat, category_name=category.name)
        if code and category.code == code:
            body["department"] = db.session.get(Department, decision.department_id).name
    except OutsideJurisdiction:
        body = {"inside": False, "department": None, "message": gettext(
            "Dieser Ort liegt außerhalb des Stadtgebiets (%(town)s). Bitte setzen Sie die Markierung innerhalb des Stadtgebiets.",
            town=jurisdiction.name)}
        neighbour = hosted_neighbour_at(lon, lat, jurisdiction.id)
        if neighbour is not None:  # another town of this installation: send the citizen there
            hint = BelongsToNeighbour(neighbour, ReportInput(lat=lat, lon=lon))
            body.update(message=str(hint.message), neighbour={"name": neighbour.name, "url": hint.url})
    except NoRoutingRule:
        pass
    response = jsonify(body)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.post("/follow")
@intake_limit
def follow():
    """Follow an existing report instead of filing a new one (double opt-in mail)."""
    if "X-Requested-With" not in request.headers:  # same cross-site shield as the Idempotency-Key
        raise DomainError(gettext("Die Anfrage war fehlerhaft."), None, code="missing_header")
    from app.followers.operations import request_follow

    reference = clean_text(request.form.get("reference")).strip()
    report = db.session.scalar(select(Report).where(Report.reference == reference,
                                                    Report.jurisdiction_id == this_town_id())) if reference else None
    if report is None or report.hidden or not report.status_info.public:
        raise NotFound(gettext("Diese Meldung gibt es nicht."), "reference")
    email = clean_text(request.form.get("email")).strip()
    request_follow(report, email, g.get("locale", "de"))
    db.session.commit()
    return jsonify({"reference": report.reference, "message": gettext(
        "Fast geschafft: Bitte bestätigen Sie den Link in der E-Mail, die wir Ihnen gerade geschickt haben.")}), 202
