"""Public catalog pages (/leistungen) and the JSON search (/api/v1/catalog/search). Views stay thin."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.catalog import queries
from app.catalog.operations import entry_by_slug
from app.catalog.search import MAX_QUERY, search_catalog
from app.errors import DomainError
from app.jurisdictions.queries import jurisdiction_by_slug
from app.urls import absolute_url
from app.validation import check_length

bp = Blueprint("catalog", __name__, static_folder="static", static_url_path="/static/catalog")

PAGE_SIZE = 20
MAX_PAGE = 500
SEARCH_MAX_AGE = 60

TRUST_LABELS = {
    "": _l("nicht angegeben"),
    "keines": _l("keine Anmeldung nötig"),
    "niedrig": _l("niedrig (Benutzername und Passwort)"),
    "substanziell": _l("substanziell (z. B. ELSTER-Zertifikat)"),
    "hoch": _l("hoch (Online-Ausweis)"),
}


@bp.app_context_processor
def _catalog_helpers():
    return {"trust_label": lambda level: TRUST_LABELS.get(level, level)}


def _query_text() -> str:
    raw = request.args.get("q", "")
    check_length(raw, MAX_QUERY, _l("Der Suchbegriff"), "q")
    return raw.strip()


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise DomainError(_("„%(name)s“ muss eine ganze Zahl von %(low)s bis %(high)s sein.",
                            name=name, low=low, high=high), name, code="bad_number")
    return int(raw)


@bp.get("/leistungen")
def overview():
    jurisdiction = jurisdiction_by_slug(None)
    return render_template("catalog/overview.html", jurisdiction=jurisdiction,
                           online=queries.online_entries(jurisdiction),
                           topics=queries.entries_by_topic(jurisdiction))


@bp.get("/leistungen/online")
def online():
    jurisdiction = jurisdiction_by_slug(None)
    return render_template("catalog/online.html", jurisdiction=jurisdiction,
                           entries=queries.online_entries(jurisdiction))


@bp.get("/leistungen/a-z")
def a_to_z():
    jurisdiction = jurisdiction_by_slug(None)
    return render_template("catalog/a_to_z.html", jurisdiction=jurisdiction,
                           letters=queries.entries_a_to_z(jurisdiction))


@bp.get("/leistungen/suche")
def search():
    jurisdiction = jurisdiction_by_slug(None)
    query = _query_text()
    page = _int_arg("seite", 1, 1, MAX_PAGE)
    result = search_catalog(jurisdiction.id, query, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE) if query else None
    pages = max(1, -(-result.total // PAGE_SIZE)) if result else 1
    return render_template("catalog/search.html", jurisdiction=jurisdiction, query=query, result=result, page=page,
                           pages=pages)


@bp.get("/leistungen/<slug>")
def detail(slug: str):
    jurisdiction = jurisdiction_by_slug(None)
    entry = entry_by_slug(jurisdiction, slug[:120])
    return render_template("catalog/detail.html", jurisdiction=jurisdiction, entry=entry,
                           contact=queries.contact_for(entry.department), today=date.today())


def _online_url(url: str | None) -> str | None:
    """Links within this site (the Mängelmelder's ``/melden``) as absolute URLs for API clients."""
    if url and url.startswith("/"):
        return current_app.config["BASE_URL"].rstrip("/") + url
    return url


@bp.get("/api/v1/catalog/search")
def api_search():
    """``q`` (required), ``limit`` (1–50, default 20), ``offset``; best match first."""
    jurisdiction = jurisdiction_by_slug(request.args.get("jurisdiction_id") or None)
    query = _query_text()
    if not query:
        raise DomainError(_("Bitte geben Sie einen Suchbegriff an (Parameter q)."), "q", code="missing_query")
    limit = _int_arg("limit", PAGE_SIZE, 1, 50)
    offset = _int_arg("offset", 0, 0, 100000)
    result = search_catalog(jurisdiction.id, query, limit=limit, offset=offset)
    response = jsonify({
        "query": result.query, "total": result.total, "limit": limit, "offset": offset,
        "corrections": result.corrections, "expanded_with": result.expansions,
        "results": [{
            "slug": hit.slug, "name": hit.name, "topic": hit.topic, "online": hit.online,
            "online_url": _online_url(hit.online_url), "leika_key": hit.leika_key,
            "url": absolute_url("catalog.detail", slug=hit.slug), "rank": round(hit.rank, 4),
            # Escaped text in which only <mark> elements are markup.
            "name_html": str(hit.name_html), "snippet_html": str(hit.snippet_html),
        } for hit in result.hits],
    })
    response.headers["Cache-Control"] = f"public, max-age={SEARCH_MAX_AGE}"
    response.headers["Vary"] = "Accept-Language, Cookie"
    return response

