"""Public pages of a town: home, map, list, report pages, statement pages, and what a
reporter may add through the private tracking link. Views stay thin."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select

from app.account.session import SESSION_HOURS
from app.account.tokens import LINK_MINUTES
from app.db import db
from app.errors import DomainError, NotFound, ValidationFailed
from app.extensions import limiter
from app.followers.operations import request_follow
from app.icons import FALLBACK as FALLBACK_ICON
from app.icons import is_icon
from app.jurisdictions.limits import town_limits
from app.jurisdictions.queries import active_categories, jurisdiction_by_slug, this_town_id
from app.public import mapview
from app.public.operations import MAX_COMMENT, add_reporter_comment, add_reporter_photos
from app.public.media import sign_language_video
from app.public.queries import (
    PAGE_SIZE, RECENTLY_FIXED_DAYS, ReportFilter, area_centre, parse_filter, point_of, public_original_of,
    public_ortsteile, public_report_by_reference, public_thumbnails, report_page, sort_labels, status_filter_labels,
)
from app.reports.models import Report
from app.reports.status import PUBLIC_STATUSES

bp = Blueprint("public", __name__)


@bp.get("/")
def home():
    """Map first, with "Mangel melden", a street search and the newest reports with thumbnails."""
    jurisdiction = jurisdiction_by_slug(None)
    recent = db.session.scalars(
        select(Report).where(Report.jurisdiction_id == jurisdiction.id, Report.hidden.is_(False),
                             Report.status.in_(PUBLIC_STATUSES))
        .order_by(Report.created_at.desc()).limit(10)
    ).all()
    scripts, styles = mapview.asset_urls()
    return render_template("public/home.html", jurisdiction=jurisdiction, recent=recent,
                           thumbnails=public_thumbnails(recent), scripts=scripts, styles=styles,
                           map_id=mapview.map_element_id(), recently_fixed_days=RECENTLY_FIXED_DAYS,
                           categories=active_categories(jurisdiction))


# The map filters by these only (its form has no other field). The list's page, street,
# sort order and Ortsteil are ignored there: a bad one answered 400 with a message pointing
# to a field the map page does not have.
MAP_FILTER_ARGS = ("kategorie", "status")


def _filter_or_errors(jurisdiction, only: tuple[str, ...] | None = None) -> tuple[ReportFilter, dict[str, str]]:
    """The filter from the URL (``only`` these parameters, if given); on bad input an empty
    filter and the messages per field."""
    args = request.args if only is None else {name: request.args[name] for name in only if name in request.args}
    try:
        return parse_filter(jurisdiction, args), {}
    except ValidationFailed as exc:
        return ReportFilter(), field_errors(exc)


def field_errors(exc: DomainError) -> dict[str, str]:
    """The first message per form field of a refused input."""
    errors: dict[str, str] = {}
    for error in getattr(exc, "errors", [exc]):
        errors.setdefault(error.field or "form", str(error.message))
    return errors


def _filter_context(jurisdiction, flt: ReportFilter, errors: dict) -> dict:
    return {"jurisdiction": jurisdiction, "flt": flt, "errors": errors, "categories": active_categories(jurisdiction),
            "ortsteile": public_ortsteile(jurisdiction), "status_filters": status_filter_labels(),
            "sorts": sort_labels()}


@bp.get("/karte")
def map_page():
    """The map of public reports, filtered by category and status like the list (which works without it)."""
    jurisdiction = jurisdiction_by_slug(None)
    flt, errors = _filter_or_errors(jurisdiction, only=MAP_FILTER_ARGS)
    fmap = mapview.build_map()
    scripts, styles = mapview.asset_urls()
    context = _filter_context(jurisdiction, flt, errors)
    return render_template("public/map.html", map_html=fmap.get_root().html.render(), scripts=scripts,
                           styles=styles, map_id=mapview.map_element_id(), recently_fixed_days=RECENTLY_FIXED_DAYS,
                           **context), 400 if errors else 200


@bp.get("/karte/karte.js")
def map_script():
    """folium's Leaflet set-up for the map page, served from 'self' (see app/public/mapview.py)."""
    script = mapview.map_script(mapview.build_map())
    response = current_app.response_class(script, mimetype="text/javascript")
    response.set_etag(mapview.script_etag(script))
    response.headers["Cache-Control"] = "public, max-age=300"
    response.headers["Vary"] = "Cookie"  # the map credit is in the visitor's language (cookie)
    return response.make_conditional(request)


# For every template with a map (the staff pages too), not only the public ones.
bp.add_app_template_global(mapview.tile_attribution)
bp.add_app_template_global(mapview.tile_url)


@bp.get("/meldungen")
def report_list():
    """The accessible alternative to the map: a paged list with the same filters."""
    jurisdiction = jurisdiction_by_slug(None)
    flt, errors = _filter_or_errors(jurisdiction)
    reports, has_next = ([], False) if errors else report_page(jurisdiction, flt)
    page = render_template("public/list.html", reports=reports, has_next=has_next, page_size=PAGE_SIZE,
                           thumbnails=public_thumbnails(reports),
                           map_args=_map_args(flt), **_filter_context(jurisdiction, flt, errors))
    return page, 400 if errors else 200


def _map_args(flt: ReportFilter) -> dict:
    """The list's filter as a map view: the map filters by category and status only, so an
    Ortsteil becomes where the map opens (else it would open on the town centre, far from it)."""
    args = flt.query_args(seite="", strasse="", sortierung="", ortsteil="")
    if flt.area is not None:
        lon, lat = area_centre(flt.area)
        args.update(lat=f"{lat:.5f}", lon=f"{lon:.5f}", z=mapview.DEFAULT_ZOOM)
    return args


def _public_report(reference: str) -> Report:
    report = public_report_by_reference(reference)
    if report is None:
        raise NotFound(gettext("Diese Meldung gibt es nicht oder sie ist nicht öffentlich."))
    return report


def _render_report(item: Report, **values) -> str:
    lon, lat = point_of(item)
    return render_template("public/report.html", report=item, lat=lat, lon=lon, original=public_original_of(item),
                           **values)


@bp.get("/meldungen/<reference>")
def report(reference: str):
    return _render_report(_public_report(reference), followed=request.args.get("folgen") == "angefragt")


@bp.get("/m/<reference>")
def short_report(reference: str):
    """The short link mails carry ("…/m/HW-2026-00042"): the report's public page."""
    return redirect(url_for("public.report", reference=reference.strip().upper()[:40]), 301)


@bp.get("/meldungen/<reference>/popup.json")
def report_popup(reference: str):
    """What a map popup shows: public fields only, published description only."""
    item = _public_report(reference)
    locale = g.get("locale", "de")
    description = item.shown_description
    response = jsonify({
        "reference": item.reference,
        "url": url_for("public.report", reference=item.reference),
        "category_label": item.category.label(locale),
        "category_icon": item.category.icon if is_icon(item.category.icon) else FALLBACK_ICON,
        "status": item.status,
        "status_label": item.status_info.label(locale),
        "address": item.public_address,
        "description": description[:280] if description is not None else None,
        "created_at": item.created_at.isoformat(),
    })
    response.headers["Cache-Control"] = "public, max-age=60"
    response.headers["Vary"] = "Cookie"
    return response


@bp.post("/meldungen/<reference>/folgen")
@limiter.limit("10/hour")
def follow(reference: str):
    """Follow a report: the followers feature sends the double opt-in mail."""
    item = _public_report(reference)
    email = (request.form.get("email") or "").strip()
    try:
        request_follow(item, email, g.get("locale", "de"))
    except DomainError as exc:
        db.session.rollback()
        return _render_report(item, follow_error=str(exc.message), follow_email=email), exc.status
    db.session.commit()
    return redirect(url_for("public.report", reference=item.reference, folgen="angefragt") + "#folgen", 303)


# --- the reporter's own additions, behind the private tracking link ------------------

def _tracked(token: str) -> Report:
    report = db.session.scalar(select(Report).where(Report.tracking_token == token[:64],
                                                    Report.jurisdiction_id == this_town_id())) if token else None
    if report is None:
        raise NotFound(gettext("Dieser Link ist ungültig oder abgelaufen."))
    return report


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _render_additions(report: Report, errors: dict, form: dict, status: int = 200, done: str | None = None):
    from app.public.models import ReporterComment

    comments = list(db.session.scalars(select(ReporterComment).where(ReporterComment.report_id == report.id)
                                       .order_by(ReporterComment.id)))
    body = render_template("public/track_additions.html", report=report, errors=errors, form=form, done=done,
                           comments=comments, max_comment=MAX_COMMENT,
                           max_photos=town_limits(report.jurisdiction.profile, current_app.config).photos_per_report)
    return _private(Response(body, status=status))


@bp.get("/verfolgen/<token>/ergaenzen")
def track_additions(token: str):
    report = _tracked(token)
    return _render_additions(report, {}, {}, done=request.args.get("erledigt"))


@bp.post("/verfolgen/<token>/ergaenzen")
@limiter.limit("20/hour")
def add_to_report(token: str):
    report = _tracked(token)
    kind = request.form.get("was")
    try:
        if kind == "kommentar":
            add_reporter_comment(report, request.form.get("comment", ""))
        elif kind == "foto":
            uploads = [f.read() for f in request.files.getlist("photos")]
            add_reporter_photos(report, [u for u in uploads if u])
        else:
            raise DomainError(gettext("Bitte wählen Sie, ob Sie einen Kommentar oder ein Foto senden."), "was")
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _render_additions(report, field_errors(exc), {"comment": request.form.get("comment", "")[:MAX_COMMENT + 100]},
                                 status=exc.status)
    return redirect(url_for("public.track_additions", token=token, erledigt=kind), 303)


# --- statement pages every public German town site needs ------------------------------

@bp.get("/datenschutz")
def privacy():
    return render_template("public/privacy.html", jurisdiction=jurisdiction_by_slug(None),
                           sign_in_minutes=LINK_MINUTES, session_hours=SESSION_HOURS)


@bp.get("/impressum")
def imprint():
    return render_template("public/imprint.html", jurisdiction=jurisdiction_by_slug(None))


@bp.get("/barrierefreiheit")
def accessibility():
    return render_template("public/accessibility.html", jurisdiction=jurisdiction_by_slug(None))


@bp.get("/leichte-sprache")
def easy_language():
    """What the service is and how to report, in Leichte Sprache (BITV 2.0 § 4)."""
    return render_template("public/easy_language.html", jurisdiction=jurisdiction_by_slug(None))


@bp.get("/gebaerdensprache")
def sign_language():
    """The town's video in German Sign Language (BITV 2.0 § 4), with its content as text."""
    jurisdiction = jurisdiction_by_slug(None)
    return render_template("public/sign_language.html", jurisdiction=jurisdiction,
                           video=sign_language_video(jurisdiction.sign_language_video, current_app.static_folder))
