"""Atom feeds of the latest public reports, each entry with a GeoRSS point."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, render_template, request
from flask_babel import gettext

from app.db import utcnow
from app.errors import NotFound
from app.feeds.queries import public_updated_at
from app.jurisdictions.queries import jurisdiction_by_slug
from app.public.queries import category_by_code, ortsteil_by_code, point_of, recent_public_reports
from app.urls import absolute_url
from app.validation import clean_text

bp = Blueprint("feeds", __name__, url_prefix="/feeds")
FEED_SIZE = 50


def _render(title: str, self_endpoint: str, reports, **values):
    locale = g.get("locale", "de")
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"
    entries = []
    changed = public_updated_at(reports)
    for report in reports:
        lon, lat = point_of(report)
        entries.append({"report": report, "lat": lat, "lon": lon, "updated": changed[report.id],
                        "url": absolute_url("public.report", reference=report.reference),
                        "category": report.category.label(locale), "status": report.status_info.label(locale),
                        "description": report.shown_description})
    updated = max((e["updated"] for e in entries), default=utcnow())
    # clean_text over the whole document: a character XML 1.0 cannot carry (in a description,
    # an address, a label) would make the feed unreadable for every reader; markup is escaped.
    body = clean_text(render_template("feeds/atom.xml", title=title, entries=entries, updated=updated, host=host,
                           feed_id=f"tag:{host},2026:{request.path}",
                           self_url=absolute_url(self_endpoint, **values),
                           site_url=absolute_url("public.report_list")))
    response = current_app.response_class(body, mimetype="application/atom+xml")
    response.headers["Cache-Control"] = "public, max-age=300"
    response.vary.add("Cookie")  # titles and labels follow the language cookie
    return response


@bp.get("/meldungen.atom")
def town_feed():
    jurisdiction = jurisdiction_by_slug(None)
    return _render(gettext("Mängelmelder %(town)s: Meldungen", town=jurisdiction.name), "feeds.town_feed",
                   recent_public_reports(jurisdiction, FEED_SIZE))


@bp.get("/ortsteil/<code>.atom")
def area_feed(code: str):
    jurisdiction = jurisdiction_by_slug(None)
    area = ortsteil_by_code(jurisdiction, code[:100])
    if area is None:
        raise NotFound(gettext("Den Ortsteil „%(code)s“ gibt es nicht.", code=code[:100]))
    return _render(gettext("Mängelmelder %(town)s: Meldungen in %(area)s", town=jurisdiction.name, area=area.name),
                   "feeds.area_feed", recent_public_reports(jurisdiction, FEED_SIZE, area=area), code=area.code)


@bp.get("/kategorie/<code>.atom")
def category_feed(code: str):
    jurisdiction = jurisdiction_by_slug(None)
    category = category_by_code(jurisdiction, code[:100])
    if category is None:
        raise NotFound(gettext("Die Kategorie „%(code)s“ gibt es nicht.", code=code[:100]))
    title = gettext("Mängelmelder %(town)s: %(category)s", town=jurisdiction.name,
                    category=category.label(g.get("locale", "de")))
    return _render(title, "feeds.category_feed", recent_public_reports(jurisdiction, FEED_SIZE, category=category),
                   code=category.code)
