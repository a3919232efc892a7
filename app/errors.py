"""Typed errors raised by operations, mapped to HTTP answers in one place.

Messages are German msgids passed through gettext, so the citizen reads them in
the language of the page.
"""
from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext, lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class DomainError(Exception):
    """Input the service refuses. ``field`` names the form field it concerns."""

    status = 400
    code = "invalid"

    def __init__(self, message, field: str | None = None, code: str | None = None, status: int | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field
        if code:
            self.code = code
        if status:
            self.status = status

    def as_dict(self) -> dict:
        return {"code": self.code, "field": self.field, "message": str(self.message)}


class ValidationFailed(DomainError):
    """Several field errors at once, for forms that show them all."""

    def __init__(self, errors: list[DomainError]):
        super().__init__(errors[0].message, errors[0].field, errors[0].code)
        self.errors = errors


class NotFound(DomainError):
    status = 404
    code = "not_found"


def logged_route() -> str:
    """The URL rule of the request (``/verfolgen/<token>``), not its path: paths carry
    tracking and confirmation tokens, which never go into a log line."""
    return request.url_rule.rule if request.url_rule is not None else "(no route)"


def wants_json() -> bool:
    if request.path.startswith(("/api/", "/open311/")):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def error_response(status: int, errors: list[dict], title: str):
    if wants_json():
        return jsonify({"errors": errors}), status
    return render_template("error.html", status=status, title=title, errors=errors), status


_HTTP_MESSAGES = {
    400: _l("Die Anfrage war fehlerhaft."),
    403: _l("Dafür fehlt die Berechtigung."),
    404: _l("Diese Seite gibt es nicht."),
    405: _l("Diese Aktion ist hier nicht möglich."),
    413: _l("Die gesendeten Daten sind zu groß. Bitte weniger oder kleinere Fotos senden."),
    429: _l("Zu viele Anfragen in kurzer Zeit. Bitte warten Sie einen Moment und versuchen Sie es erneut."),
}


DATABASE_UNAVAILABLE = _l("Die Datenbank war kurz nicht erreichbar. Ihre Eingaben wurden nicht gespeichert. "
                          "Bitte versuchen Sie es gleich noch einmal.")


def database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` means the database could not be reached, not that a statement was wrong.

    A connection that died under the request (restart, network cut), a server that refuses
    new connections (down, shutting down, starting up) or a pool with no connection left:
    all pass by themselves, so the answer is a 503 with Retry-After rather than a 500.
    """
    if isinstance(exc, PoolTimeout):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    import psycopg

    return bool(exc.connection_invalidated) or isinstance(exc.orig, psycopg.OperationalError)


def forget_failed_transaction() -> None:
    """Roll the request's session back; with the database gone that may fail too."""
    from app.db import db

    try:
        db.session.rollback()
    except Exception:  # the connection is already invalidated or was never made
        log.debug("rollback after a database error failed as well", exc_info=True)


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(exc: DomainError):
        errors = [e.as_dict() for e in getattr(exc, "errors", [exc])]
        return error_response(exc.status, errors, str(exc.message))

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError):
        message = gettext("Das Formular ist abgelaufen oder unvollständig. Bitte laden Sie die Seite neu und senden Sie es erneut.")
        return error_response(400, [{"code": "csrf", "field": None, "message": message}], message)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        message = str(_HTTP_MESSAGES.get(status, exc.name))
        if status == 429 and getattr(getattr(exc, "limit", None), "error_message", None):
            message = exc.description  # a limit that words its own refusal (a town's daily budget)
        return error_response(status, [{"code": exc.name.lower().replace(" ", "_"), "field": None, "message": message}], message)

    @app.errorhandler(DBAPIError)
    @app.errorhandler(PoolTimeout)
    def _database_error(exc: Exception):
        if not database_unavailable(exc):
            return _unexpected(exc)
        # SQLAlchemy has dropped a dead connection from the pool; the next request gets a
        # fresh one (pool_pre_ping), or the same answer while the server is still away.
        log.warning("database unavailable on %s %s (%s)", request.method, logged_route(), type(exc).__name__)
        forget_failed_transaction()
        message = str(DATABASE_UNAVAILABLE)
        response, status = error_response(503, [{"code": "unavailable", "field": None, "message": message}],
                                          message)
        response = app.make_response((response, status))
        response.headers["Retry-After"] = "1"
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, logged_route())
        forget_failed_transaction()
        message = gettext("Ein interner Fehler ist aufgetreten. Ihre Eingaben wurden nicht gespeichert.")
        return error_response(500, [{"code": "internal", "field": None, "message": message}], message)
