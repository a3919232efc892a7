"""Field mode pages under /intern/unterwegs/: the task list, one task, closing it, the service worker.

The pages live under one path so that their own service worker (scope /intern/unterwegs/)
keeps them readable without signal; the citizen pages' worker has scope / and is not touched.
"""
from __future__ import annotations

import uuid

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, send_from_directory, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from geoalchemy2.shape import to_shape
from sqlalchemy.exc import IntegrityError
from wtforms import Form, TextAreaField

from app.config import PROJECT_ROOT
from app.db import db, utcnow
from app.errors import DomainError
from app.forms import Flag, cleaned, validated
from app.reports.operations import clean_idempotency_key
from app.reports.status import STATUSES
from app.staff import deadlines, field
from app.staff.access import report_for
from app.staff.auth import current_staff, role_required
from app.staff.wording import routing_in_words

bp = Blueprint("field", __name__, url_prefix="/intern/unterwegs")
ANY_ROLE = ("admin", "dispatcher", "staff")


class DoneForm(Form):
    note = TextAreaField(filters=[cleaned])
    publish_photos = Flag()


@bp.after_request
def _private(response):
    # The browser's HTTP cache keeps nothing; the field worker keeps its own copy (Cache API)
    # so the list stays readable without signal.
    if request.endpoint != "field.service_worker":
        response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _page_config() -> dict:
    """Settings and words for app/static/js/field.js (placeholders filled in by the script)."""
    return {
        "serviceWorker": url_for("field.service_worker"), "scope": url_for("field.tasks"),
        "listUrl": url_for("field.tasks"), "tokenUrl": url_for("field.token"), "photoLongSide": 2000,
        "user": current_staff().username,
        "msg": {
            "waiting": _("Änderungen, die auf Verbindung warten: %(n)s"),
            "sent": _("%(ref)s ist als erledigt gemeldet."),
            "refused": _("%(ref)s wurde nicht übernommen: %(message)s"),
            "signIn": _("Bitte melden Sie sich wieder an; Ihre Änderungen warten so lange auf dem Telefon."),
            "queued": _("Gespeichert. Ohne Verbindung wird die Änderung gesendet, sobald wieder Netz da ist."),
            "sending": _("Wird gesendet …"),
            "photoPreview": _("Foto danach %(n)s"),
            "photoRemove": _("Foto %(n)s entfernen"),
            "back": _("Zurück zu meinen Aufgaben"),
            "otherUser": _("Auf diesem Telefon warten Änderungen einer anderen Anmeldung; sie werden gesendet, "
                           "wenn sich diese Person wieder anmeldet."),
        },
    }


@bp.get("/")
@role_required(*ANY_ROLE)
def tasks():
    user = current_staff()
    position = field.parse_position(request.args.get("lat"), request.args.get("lon"))
    typed = (request.args.get("ort") or "").strip()
    place_error, status = None, 200
    if position is None and typed:
        try:
            position = field.place_position(user, typed)
        except DomainError as exc:
            place_error, status = str(exc.message), 400
    return render_template("staff/field_list.html", tasks=field.my_tasks(user, position), position=position,
                           statuses=STATUSES,
                           typed=typed, place_error=place_error, generated_at=utcnow(), config=_page_config(),
                           distance_label=field.distance_label), status


@bp.get("/<int:report_id>")
@role_required(*ANY_ROLE)
def task(report_id: int):
    report = report_for(current_staff(), report_id)
    point = to_shape(report.location)
    reporter_photos = [p for p in report.photos if not p.after_fix]
    return render_template("staff/field_task.html", report=report, lat=point.y, lon=point.x,
                           geo_uri=field.geo_uri(point.y, point.x, report.reference),
                           due=deadlines.expected_completion(report), now=utcnow(), photos=reporter_photos,
                           after_photos=[p for p in report.photos if p.after_fix],
                           routing_words=routing_in_words(report), note=field.default_note(report),
                           max_photos=field.MAX_AFTER_PHOTOS, idempotency_key=uuid.uuid4().hex,
                           config=_page_config(),
                           open=report.status_info.is_open)


@bp.post("/<int:report_id>/erledigt")
@role_required(*ANY_ROLE)
def done(report_id: int):
    """Close the task with a note and "after" photos. The phone sends an ``Idempotency-Key``
    header (a queued change may arrive twice); the page without script sends the form's key."""
    user = current_staff()
    report = report_for(user, report_id)
    key = clean_idempotency_key(request.headers.get("Idempotency-Key") or request.form.get("idempotency_key"))
    if not key:
        raise DomainError(_("Der Änderung fehlt ihr Schlüssel; bitte laden Sie die Seite neu."), "idempotency_key")
    form = validated(DoneForm(request.form))
    photos = [upload.read() for upload in request.files.getlist("photos") if upload.filename]
    try:
        outcome, first = field.close_task(user, report, key, form.note.data, photos, form.publish_photos.data)
        db.session.commit()
    except IntegrityError:
        # The same change arrived twice at once and the other request stored it first.
        db.session.rollback()
        outcome, first = field.earlier_outcome(user, key), False
        if outcome is None:
            raise
    except DomainError:
        db.session.rollback()  # also removes photo files stored before the refusal
        raise
    message = _("%(ref)s ist erledigt.", ref=outcome["reference"])
    if request.accept_mimetypes.best == "application/json":
        return jsonify({**outcome, "message": message, "repeated": not first}), 201 if first else 200
    flash(message)
    return redirect(url_for("field.tasks"), 303)


@bp.get("/schluessel")
@role_required(*ANY_ROLE)
def token():
    """A fresh CSRF token for changes sent from the phone's queue (the page's may have expired)."""
    return jsonify({"csrf_token": generate_csrf(), "user": current_staff().username})


@bp.get("/sw.js")
def service_worker():
    """The field worker, served under the pages' path so its scope is exactly /intern/unterwegs/."""
    response: Response = send_from_directory(PROJECT_ROOT / "app" / "static" / "js", "field-sw.js",
                                             mimetype="text/javascript", max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response
