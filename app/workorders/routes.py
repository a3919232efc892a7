"""PDF downloads of work orders: one report, or a route sheet of a list. Views stay thin."""
from __future__ import annotations

from flask import Blueprint, Response, request

from app.staff.access import report_for
from app.staff.auth import current_staff, role_required
from app.staff.queries import parse_filters
from app.workorders import documents

bp = Blueprint("workorders", __name__, url_prefix="/intern", template_folder="templates")
ANY_ROLE = ("admin", "dispatcher", "staff")


def _pdf(data: bytes, filename: str) -> Response:
    response = Response(data, mimetype="application/pdf")
    # inline: the browser shows it (and prints from there); the name is used when saving.
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/meldungen/<int:report_id>/arbeitsauftrag.pdf")
@role_required(*ANY_ROLE)
def work_order(report_id: int):
    user = current_staff()
    report = report_for(user, report_id)
    options = documents.parse_options(request.args)
    document = documents.work_order(user, report, options)
    return _pdf(documents.render(document), f"arbeitsauftrag-{report.reference}.pdf")


@bp.get("/laufzettel.pdf")
@role_required(*ANY_ROLE)
def route_sheet():
    """The queue's reports under its filters (e.g. ``zuweisung=meine``), or a team's (``team=<id>``)."""
    user = current_staff()
    options = documents.parse_options(request.args)
    filters = parse_filters(request.args, user)
    team_id = documents.parse_team(request.args)
    reports, heading = documents.route_sheet_reports(user, filters, team_id)
    return _pdf(documents.render(documents.route_sheet(user, reports, heading, options)), "laufzettel.pdf")


# The report page's work order form offers these (templates/staff/report.html).
bp.add_app_template_global(documents.PHOTO_CHOICES, "work_order_photo_choices")
bp.add_app_template_global(documents.DEFAULT_PHOTOS, "work_order_default_photos")
