"""Open311 GeoReport v2 under ``/open311/v2/`` (plus discovery at ``/open311/``).

Every answer exists as ``.json`` and ``.xml`` with the same content. Errors are
the spec's list of ``{code, description}`` with HTTP 400, 403 or 404 (and 413,
429 from the infrastructure), in both formats; the handlers here take precedence
over the app-wide JSON errors for these paths.
"""
from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from flask import Blueprint, current_app, g, request
from flask_babel import gettext, lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import Map, Rule

from app.db import db, utcnow
from app.errors import (
    DATABASE_UNAVAILABLE, DomainError, NotFound, database_unavailable, forget_failed_transaction, logged_route,
)
from app.extensions import csrf, limiter
from app.jurisdictions.models import Jurisdiction
from app.jurisdictions.queries import jurisdiction_by_slug
from app.open311 import present
from app.open311.formats import BERLIN, error_body, render
from app.open311.keys import client_for_key, hash_key
from app.open311.models import ApiClient, Open311Submission, ServiceAttribute
from app.open311.operations import RequestInput, UpdateInput, push_update, submit_request
from app.open311.queries import (
    MAX_PAGE_SIZE, RequestFilter, active_services, find_request, find_requests, find_updates, service_by_code,
)
from app.validation import clean_text
from app.reports.questions import answers_for_reports
from app.reports.status import STATUSES
from app.urls import absolute_url

log = logging.getLogger(__name__)
bp = Blueprint("open311", __name__)
csrf.exempt(bp)

FMT = "<any(json, xml):fmt>"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
API_CHANGESET = "2026-11-26T00:00:00+01:00"
DEFAULT_WINDOW = timedelta(days=90)
_DIGITS = re.compile(r"^[0-9]{1,7}$")
_HTTP_DESCRIPTIONS = {
    400: _l("Die Anfrage war fehlerhaft."),
    403: _l("Dafür fehlt die Berechtigung."),
    404: _l("Diese Adresse gibt es in der Open311-Schnittstelle nicht."),
    405: _l("Diese Methode ist hier nicht möglich."),
    413: _l("Die gesendeten Daten sind zu groß. Bitte weniger oder kleinere Fotos senden."),
    429: _l("Zu viele Anfragen in kurzer Zeit. Bitte warten Sie einen Moment."),
}


# ---------------------------------------------------------------- errors

def _format() -> str:
    fmt = (request.view_args or {}).get("fmt")
    if fmt in ("json", "xml"):
        return fmt
    return "xml" if request.path.endswith(".xml") else "json"


def _errors(status: int, descriptions: list[str]):
    body = [item for d in descriptions for item in error_body(status, d)]
    return render(_format(), "errors", body, status=status)


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError):
    # Nothing was committed; the session is rolled back when the request's context ends.
    status = exc.status if exc.status in (400, 403, 404) else 400
    return _errors(status, [str(e.message) for e in getattr(exc, "errors", [exc])])


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    status = exc.code or 400
    response = _errors(status, [str(_HTTP_DESCRIPTIONS.get(status, exc.description or exc.name))])
    if status == 429 and getattr(exc, "retry_after", None):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


@bp.errorhandler(Exception)
def _unexpected(exc: Exception):
    if database_unavailable(exc):
        log.warning("database unavailable on %s %s (%s)", request.method, logged_route(), type(exc).__name__)
        forget_failed_transaction()
        response = _errors(503, [str(DATABASE_UNAVAILABLE)])
        response.headers["Retry-After"] = "1"
        return response
    log.exception("unhandled error on %s %s", request.method, logged_route())
    forget_failed_transaction()
    return _errors(500, [gettext("Ein interner Fehler ist aufgetreten. Es wurde nichts gespeichert.")])


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


# ---------------------------------------------------------------- helpers

def _jurisdiction() -> Jurisdiction:
    slug = clean_text(request.values.get("jurisdiction_id")).strip()
    try:
        return jurisdiction_by_slug(slug[:100] or None)
    except NotFound:
        raise NotFound(_l("jurisdiction_id „%(id)s“ wurde nicht gefunden.",
                          id=slug[:60] or current_app.config["DEFAULT_JURISDICTION"]))


def _api_key() -> str:
    """The key from the request body or the X-Api-Key header (never the address: see below)."""
    return (request.form.get("api_key") or request.headers.get("X-Api-Key") or "").strip()


@bp.before_request
def _refuse_api_key_in_the_address():
    # Addresses end up in access logs, proxies and browser histories: a key there is a leaked key.
    if "api_key" in request.args:
        raise DomainError(_l("Der api_key gehört nicht in die Adresse (sie wird protokolliert). Bitte senden Sie "
                             "ihn im Formular (POST) oder im Kopf „X-Api-Key“."), "api_key", code="api_key_in_query")


def _authorised(jurisdiction: Jurisdiction, action: str) -> ApiClient:
    """The client whose key came with the request, if it may do ``action`` here; else 403."""
    raw = _api_key()
    if not raw:
        raise Forbidden(_l("api_key fehlt."))
    client = client_for_key(raw)
    if client is None:
        raise Forbidden(_l("Ungültiger api_key."))
    if client.jurisdiction_id != jurisdiction.id:
        raise Forbidden(_l("Dieser api_key gilt nicht für jurisdiction_id „%(id)s“.", id=jurisdiction.slug))
    if not client.may(action):
        raise Forbidden(_l("Dieser api_key darf „%(action)s“ nicht.", action=action))
    client.last_used_at = utcnow()
    return client


def _client_identity() -> str:
    """Rate-limit key: a hash of the api_key (never the key itself), else the address."""
    raw = _api_key()
    if raw:
        return "open311-key:" + hash_key(raw)[:24]
    return "open311-ip:" + (request.remote_addr or "unknown")


def _client_limit() -> str:
    raw = _api_key()
    if raw:
        if "open311_client_limit" not in g:
            try:
                client = client_for_key(raw)
            except SQLAlchemyError:
                # Database away: answer the anonymous limit here and let the view's own
                # lookup give the 503 (Flask-Limiter would take this error for Redis down).
                forget_failed_transaction()
                return current_app.config.get("OPEN311_ANONYMOUS_WRITE_LIMIT", "30/minute")
            g.open311_client_limit = client.rate_limit if client is not None else current_app.config.get(
                "OPEN311_ANONYMOUS_WRITE_LIMIT", "30/minute")
        return g.open311_client_limit
    return current_app.config.get("OPEN311_ANONYMOUS_WRITE_LIMIT", "30/minute")


def _read_limit() -> str:
    return current_app.config.get("OPEN311_READ_LIMIT", "600/minute")


write_limit = limiter.limit(_client_limit, key_func=_client_identity, scope="open311-write")
read_limit = limiter.limit(_read_limit, scope="open311-read")


def _locale() -> str:
    return g.get("locale", "de")


def _parse_datetime(name: str) -> datetime | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.replace(" ", "+") if "T" in raw else raw)
    except ValueError:
        raise DomainError(_l("%(name)s muss ein Datum im W3C-Format sein, z. B. 2026-05-04T10:00:00+02:00.",
                             name=name), name)
    if value.tzinfo is None:
        value = value.replace(tzinfo=BERLIN)
    if not 1900 <= value.year <= 2999:
        raise DomainError(_l("%(name)s liegt zu weit in der Vergangenheit.", name=name), name)
    return value


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return default
    if not _DIGITS.match(raw) or not low <= int(raw) <= high:
        raise DomainError(_l("%(name)s muss eine ganze Zahl von %(low)s bis %(high)s sein.", name=name, low=low,
                             high=high), name)
    return int(raw)


def _list_arg(name: str) -> list[str]:
    return [part.strip() for part in clean_text(request.args.get(name)).split(",") if part.strip()]


def _status_filter() -> list[str]:
    codes: list[str] = []
    for part in _list_arg("status"):
        value = part.lower()
        matches = [code for code, s in STATUSES.items() if s.public and (
            s.open311 == value or s.open311_extended.lower() == value or code == value)]
        if not matches:
            raise DomainError(_l("Unbekannter status „%(status)s“. Erlaubt sind open, closed oder ein "
                                 "erweiterter Status wie IN_PROGRESS.", status=part[:40]), "status")
        codes.extend(matches)
    return codes


def _bbox() -> tuple[float, float, float, float] | None:
    raw = request.args.get("bbox")
    if raw is None or not raw.strip():
        return None
    try:
        parts = [float(p) for p in raw.split(",")]
    except ValueError:
        parts = []
    if (len(parts) != 4 or not all(abs(v) <= 180 for v in parts) or not all(-90 <= v <= 90 for v in parts[1::2])
            or parts[0] > parts[2] or parts[1] > parts[3]):
        raise DomainError(_l("bbox muss „minlon,minlat,maxlon,maxlat“ in Grad sein (WGS 84)."), "bbox")
    return parts[0], parts[1], parts[2], parts[3]


def _date_window() -> tuple[datetime | None, datetime | None]:
    """The spec's range on requested_datetime: at most 90 days; by default the last 90."""
    start, end = _parse_datetime("start_date"), _parse_datetime("end_date")
    if start and end:
        if start > end:
            raise DomainError(_l("start_date liegt nach end_date."), "start_date")
        if end - start > DEFAULT_WINDOW:
            raise DomainError(_l("Der Zeitraum von start_date bis end_date darf höchstens 90 Tage umfassen."),
                              "end_date")
        return start, end
    if start:
        return start, start + DEFAULT_WINDOW
    if end:
        return end - DEFAULT_WINDOW, end
    return None, None


# ---------------------------------------------------------------- discovery and services

def _discovery():
    jurisdiction = jurisdiction_by_slug(None)
    return {
        "changeset": API_CHANGESET,
        "contact": jurisdiction.contact_email or "",
        "key_service": gettext("API-Schlüssel vergibt die Verwaltung von %(town)s (%(contact)s).",
                               town=jurisdiction.name, contact=jurisdiction.contact_email or ""),
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": absolute_url("open311.discovery_v2", fmt="json").rsplit("/", 1)[0],
            "changeset": API_CHANGESET,
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }],
    }


@bp.get(f"/open311/discovery.{FMT}")
@read_limit
def discovery(fmt: str):
    return render(fmt, "discovery", _discovery())


@bp.get(f"/open311/v2/discovery.{FMT}")
@read_limit
def discovery_v2(fmt: str):
    return render(fmt, "discovery", _discovery())


def _attribute_counts(jurisdiction: Jurisdiction) -> set[int]:
    from app.jurisdictions.models import Category

    return set(db.session.scalars(
        select(ServiceAttribute.category_id).join(Category, ServiceAttribute.category_id == Category.id)
        .where(Category.jurisdiction_id == jurisdiction.id).distinct()))


@bp.get(f"/open311/v2/services.{FMT}")
@read_limit
def services(fmt: str):
    jurisdiction = _jurisdiction()
    with_attributes = _attribute_counts(jurisdiction)
    body = [present.service(c, _locale(), c.id in with_attributes) for c in active_services(jurisdiction)]
    return render(fmt, "services", body)


@bp.get(f"/open311/v2/services/<service_code>.{FMT}")
@read_limit
def service_definition(service_code: str, fmt: str):
    from app.reports.questions import category_attributes

    jurisdiction = _jurisdiction()
    category = service_by_code(jurisdiction, clean_text(service_code))
    if category is None:
        raise NotFound(_l("service_code „%(code)s“ wurde nicht gefunden.", code=service_code[:60]))
    return render(fmt, "service_definition",
                  present.service_definition(category, category_attributes(category), _locale()))


# ---------------------------------------------------------------- requests

class _CleanForm:
    """Form values without control characters (PostgreSQL refuses NUL in text)."""

    def __init__(self, form):
        self.form = form

    def keys(self):
        return self.form.keys()

    def get(self, key):
        value = self.form.get(key)
        return None if value is None else clean_text(value)

    def getlist(self, key):
        return [clean_text(v) for v in self.form.getlist(key)]


def _request_input() -> RequestInput:
    form = _CleanForm(request.form)
    attributes: dict[str, list[str]] = {}
    for key in form.keys():
        # A multipart part without a name arrives as the key None: nothing to read from it.
        if isinstance(key, str) and key.startswith("attribute[") and "]" in key:
            code = key[len("attribute["):key.index("]")]
            attributes.setdefault(code, []).extend(form.getlist(key))
    return RequestInput(
        service_code=(form.get("service_code") or "").strip(),
        description=form.get("description") or "",
        lat=form.get("lat"), long=form.get("long"),
        address_string=form.get("address_string"), address_id=form.get("address_id"),
        email=form.get("email"), first_name=form.get("first_name"), last_name=form.get("last_name"),
        phone=form.get("phone"), device_id=form.get("device_id"), account_id=form.get("account_id"),
        locale=_locale(), attributes=attributes,
        photos=[f.read() for f in request.files.getlist("media") if f and f.filename],
    )


@bp.post(f"/open311/v2/requests.{FMT}")
@write_limit
def post_request(fmt: str):
    jurisdiction = _jurisdiction()
    client = _authorised(jurisdiction, "create_request")
    data = _request_input()
    if not data.service_code:
        raise DomainError(_l("service_code fehlt."), "service_code")
    report, submission = submit_request(jurisdiction, client, data)
    notice = None
    if (request.form.get("media_url") or "").strip():
        notice = gettext("Fotos bitte als Datei im Feld media senden; media_url wird nicht abgerufen.")
    db.session.commit()
    body = [{"service_request_id": report.reference, "token": submission.token, "service_notice": notice,
             "account_id": submission.account_id}]
    return render(fmt, "service_requests", body)


@bp.get(f"/open311/v2/tokens/<token>.{FMT}")
@read_limit
def token(token: str, fmt: str):
    jurisdiction = _jurisdiction()
    from app.reports.models import Report

    found = db.session.execute(
        select(Report.reference, Open311Submission.token).join(Report, Open311Submission.report_id == Report.id)
        .where(Open311Submission.token == clean_text(token)[:64], Report.jurisdiction_id == jurisdiction.id)).first()
    if found is None:
        raise NotFound(_l("token „%(token)s“ wurde nicht gefunden.", token=token[:40]))
    return render(fmt, "service_requests", [{"service_request_id": found.reference, "token": found.token}])


def _extensions() -> bool:
    return (request.args.get("extensions") or "").strip().lower() in ("true", "1", "yes")


@bp.get(f"/open311/v2/requests.{FMT}")
@read_limit
def get_requests(fmt: str):
    jurisdiction = _jurisdiction()
    ids = _list_arg("service_request_id")
    wanted = RequestFilter(page=_int_arg("page", 1, 1, 100000), page_size=_int_arg("page_size", MAX_PAGE_SIZE, 1,
                                                                                     MAX_PAGE_SIZE))
    if ids:
        wanted.service_request_ids = [i[:32] for i in ids[:MAX_PAGE_SIZE]]
    else:
        wanted.service_codes = [c[:100] for c in _list_arg("service_code")]
        wanted.statuses = _status_filter()
        wanted.bbox = _bbox()
        wanted.updated_after = _parse_datetime("updated_after")
        wanted.updated_before = _parse_datetime("updated_before")
        wanted.start, wanted.end = _date_window()
        if wanted.start is None and wanted.updated_after is None and wanted.updated_before is None:
            wanted.end = utcnow()
            wanted.start = wanted.end - DEFAULT_WINDOW
    reports = find_requests(jurisdiction, wanted)
    answers = answers_for_reports([r.id for r in reports], _locale())
    body = [present.request(r, _locale(), _extensions(), answers.get(r.id)) for r in reports]
    return render(fmt, "service_requests", body)


@bp.get(f"/open311/v2/requests/<service_request_id>.{FMT}")
@read_limit
def get_request(service_request_id: str, fmt: str):
    jurisdiction = _jurisdiction()
    report = find_request(jurisdiction, clean_text(service_request_id))
    if report is None:
        raise NotFound(_l("service_request_id „%(id)s“ wurde nicht gefunden.", id=service_request_id[:40]))
    answers = answers_for_reports([report.id], _locale()).get(report.id)
    return render(fmt, "service_requests", [present.request(report, _locale(), _extensions(), answers)])


# ---------------------------------------------------------------- mySociety: servicerequestupdates

@bp.get(f"/open311/v2/servicerequestupdates.{FMT}")
@read_limit
def get_updates(fmt: str):
    jurisdiction = _jurisdiction()
    start, end = _date_window()
    if start is None:
        end = utcnow()
        start = end - DEFAULT_WINDOW
    body = [present.update(change) for change in find_updates(jurisdiction, start, end)]
    return render(fmt, "service_request_updates", body)


@bp.post(f"/open311/v2/servicerequestupdates.{FMT}")
@write_limit
def post_update(fmt: str):
    jurisdiction = _jurisdiction()
    client = _authorised(jurisdiction, "post_update")
    form = _CleanForm(request.form)
    change = push_update(jurisdiction, client, UpdateInput(
        service_request_id=form.get("service_request_id") or "", status=form.get("status") or "",
        description=form.get("description") or "", update_id=form.get("update_id"),
        external_body=form.get("external_body"), reason=form.get("reason"), duplicate_of=form.get("duplicate_of")))
    db.session.commit()
    return render(fmt, "service_request_updates", [{"update_id": str(change.id)}])


# ---------------------------------------------------------------- everything else under /open311/

def _own_rules() -> Map:
    """This blueprint's routes without the catch-all, to tell 404 from 405."""
    cached = current_app.extensions.get("open311_rules")
    if cached is None:
        cached = Map([Rule(r.rule, endpoint=r.endpoint, methods=r.methods) for r in current_app.url_map.iter_rules()
                      if r.endpoint.startswith("open311.") and r.endpoint != "open311.unknown"])
        current_app.extensions["open311_rules"] = cached
    return cached


@bp.route("/open311/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(rest: str):
    """Unknown paths and methods answer in the spec's error format too."""
    try:
        _own_rules().bind("localhost").match(request.path, method=request.method)
    except MethodNotAllowed as exc:
        response = _errors(405, [str(_HTTP_DESCRIPTIONS[405])])
        response.headers["Allow"] = ", ".join(sorted(exc.valid_methods or []))
        return response
    except HTTPException:
        pass
    return _errors(404, [str(_HTTP_DESCRIPTIONS[404])])
