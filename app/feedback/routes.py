""""Ist es erledigt?" pages behind the mail's link, and the anonymous votes on a report page
and in the intake's duplicate hint. Views stay thin."""
from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select

from app.db import db
from app.errors import DomainError, NotFound
from app.extensions import csrf, limiter
from app.feedback import browser
from app.feedback.operations import MAX_COMMENT, add_vote, answer_questionnaire, questionnaire_by_token, voted
from app.public.queries import public_report_by_reference
from app.reports.models import Report

bp = Blueprint("feedback", __name__, template_folder="templates")

# Anonymous votes: per client, across the report pages and the intake's hint. One per browser
# is the cookie's job; this limit stops one client clearing its cookie in a loop.
vote_limit = limiter.shared_limit("20/hour", scope="report-votes")


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


# --- "Ist es erledigt?" ------------------------------------------------------------------

def _questionnaire_page(token: str, errors: dict | None = None, form: dict | None = None, status: int = 200):
    questionnaire = questionnaire_by_token(token)
    body = render_template("feedback/questionnaire.html", questionnaire=questionnaire, report=questionnaire.report,
                           token=token, errors=errors or {}, form=form or {}, max_comment=MAX_COMMENT,
                           thanks=request.args.get("danke") == "1")
    return _private(Response(body, status=status))


@bp.get("/erledigt/<token>")
@limiter.limit("60/minute")
def questionnaire(token: str):
    """Shows the question only: mail scanners open links, and only the button answers."""
    return _questionnaire_page(token)


@bp.post("/erledigt/<token>")
@limiter.limit("20/hour")
def answer(token: str):
    try:
        answer_questionnaire(token, request.form.get("answer", ""), request.form.get("comment", ""))
    except NotFound:
        raise  # a bad link: the error page
    except DomainError as exc:
        db.session.rollback()
        return _questionnaire_page(token, {exc.field or "answer": str(exc.message)},
                                   {"comment": request.form.get("comment", "")[:MAX_COMMENT + 100]}, exc.status)
    db.session.commit()
    return redirect(url_for("feedback.questionnaire", token=token, danke="1"), 303)


# --- "Ich auch" and "Noch nicht behoben" ---------------------------------------------------

def _public_report(reference: str) -> Report:
    report = public_report_by_reference(reference.upper())  # this town's, public, not hidden
    if report is None:
        raise NotFound(gettext("Diese Meldung gibt es nicht oder sie ist nicht öffentlich."))
    return report


def report_votes(report: Report) -> dict:
    """For the report page: what this browser already said (by its cookie)."""
    value = request.cookies.get(browser.COOKIE)
    return {"voted": voted(report, browser.browser_digest(value) if value else None)}


@bp.post("/meldungen/<reference>/stimme")
@vote_limit
def vote(reference: str):
    """The report page's "Ich auch" / "Noch nicht behoben" button (a form; works without JavaScript)."""
    report = _public_report(reference)
    kind = request.form.get("was", "")
    if kind not in ("ich_auch", "nicht_behoben"):
        raise DomainError(gettext("Die Anfrage war fehlerhaft."), "was")
    value, new = browser.browser_value()
    try:
        add_vote(report, kind, browser.browser_digest(value))
    except DomainError as exc:
        db.session.rollback()
        body = render_template("feedback/vote_refused.html", report=report, message=str(exc.message))
        return browser.remember(Response(body, status=exc.status), value) if new else (body, exc.status)
    db.session.commit()
    response = redirect(url_for("public.report", reference=report.reference, stimme=kind) + "#unterstuetzen", 303)
    return browser.remember(response, value)


# No CSRF token in the intake page's fetch: the X-Requested-With header is the cross-site
# shield, as for the intake API (app/reports/api.py).
@bp.post("/api/v1/reports/<reference>/ich-auch")
@csrf.exempt
@vote_limit
def support_api(reference: str):
    """"Ich auch" from the intake's duplicate hint (JSON; same shield as the intake API)."""
    if "X-Requested-With" not in request.headers:
        raise DomainError(gettext("Die Anfrage war fehlerhaft."), None, code="missing_header")
    report = _public_report(reference)
    value, _new = browser.browser_value()
    add_vote(report, "ich_auch", browser.browser_digest(value))
    db.session.commit()
    response = jsonify({"reference": report.reference, "support_count": report.support_count,
                        "message": gettext("Danke! Ihre Unterstützung ist gezählt.")})
    response.status_code = 201
    return browser.remember(response, value)
