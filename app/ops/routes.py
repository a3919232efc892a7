"""The queue page for admins and the Prometheus endpoint. Views stay thin."""
from __future__ import annotations

import secrets

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from app.db import db
from app.extensions import csrf, limiter
from app.ops import metrics as request_metrics
from app.ops.queries import parked_messages, prometheus_text, queue_stats, retrying_messages
from app.outbox.operations import retry_failed
from app.staff.auth import current_staff, role_required

bp = Blueprint("ops", __name__)

# What each kind of message is, for the admin's queue page (the kinds are the features' codes,
# app/*/notifications.py); a kind not named here shows its code.
KIND_NAMES = {
    "confirm_email": _l("Bestätigungsmail an die meldende Person"),
    "status_changed": _l("Statusänderung an die meldende Person"),
    "new_report": _l("Neue Meldung an die Abteilung"),
    "reporter_comment": _l("Ergänzung der meldenden Person an die Abteilung"),
    "fixed_questionnaire": _l("Frage „Ist der Mangel behoben?“ an die meldende Person"),
    "questionnaire_not_fixed": _l("Antwort „nicht behoben“ an die Abteilung"),
    "citizen_sign_in": _l("Anmeldelink an eine Bürgerin oder einen Bürger"),
    "staff_password_reset": _l("Passwort-Link an ein Dienstkonto"),
    "staff_reassigned": _l("Weitergeleitete Meldung an die Abteilung"),
    "staff_assigned": _l("Zuweisung an eine Person oder ein Team"),
    "staff_escalated": _l("Überfällige Meldung an die Leitstelle"),
    "reports_rerouted": _l("Umgeleitete Meldungen an die Abteilung"),
    "follow_confirm": _l("Bestätigung „Meldung folgen“"),
    "follower_update": _l("Neuigkeit an Folgende einer Meldung"),
    "department_digest": _l("Tageszusammenfassung an die Abteilung"),
    "reminder": _l("Erinnerung an die Abteilung"),
    "webhook_event": _l("Webhook-Aufruf an die Abteilung"),
    "alert_confirm": _l("Bestätigung einer Gebietsbenachrichtigung"),
    "alert_active": _l("Hinweis: Gebietsbenachrichtigung besteht schon"),
    "area_alert": _l("Gebietsbenachrichtigung"),
}


@bp.app_template_filter("message_kind")
def message_kind(kind: str) -> str:
    return str(KIND_NAMES.get(kind, kind))


@bp.get("/intern/admin/warteschlange")
@role_required("admin")
def queue_page():
    # A town's admins see their town's mails only (issue 21); the Redis queues are the installation's.
    town_id = current_staff().jurisdiction_id
    stats = queue_stats(town_id)
    response = render_template("ops/queue.html", stats=stats, parked=parked_messages(town_id=town_id),
                               retrying=retrying_messages(town_id=town_id), retried=request.args.get("erneut", type=int))
    return response, 200, {"Cache-Control": "private, no-store"}


@bp.post("/intern/admin/warteschlange/<int:message_id>/erneut")
@role_required("admin")
def retry(message_id: int):
    retry_failed(message_id, town_id=current_staff().jurisdiction_id)
    db.session.commit()
    return redirect(url_for("ops.queue_page", erneut=message_id), 303)


def _metrics_allowed() -> bool:
    token = current_app.config.get("METRICS_TOKEN") or ""
    if token:
        header = request.headers.get("Authorization", "")
        return header.startswith("Bearer ") and secrets.compare_digest(header[7:].strip().encode(), token.encode())
    # No "loopback is fine": behind a reverse proxy on the same host every client is loopback.
    return bool(current_app.config.get("METRICS_OPEN"))


@bp.get("/metrics")
@csrf.exempt
def metrics():
    """Prometheus text format. With METRICS_TOKEN set a bearer token is required; without
    one the answer is 403 unless METRICS_OPEN opens it explicitly."""
    if not _metrics_allowed():
        abort(401 if current_app.config.get("METRICS_TOKEN") else 403)
    body = prometheus_text(queue_stats()) + request_metrics.exposition().decode()
    db.session.rollback()
    return Response(body, mimetype="text/plain; version=0.0.4", headers={"Cache-Control": "no-store"})


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """The process lives and answers (for systemd and a load balancer's liveness check).
    Asks nothing of the database or Redis: their outage must not get the process restarted."""
    return Response("ok\n", mimetype="text/plain", headers={"Cache-Control": "no-store"})


@bp.get("/readyz")
@limiter.exempt
def readyz():
    """Ready for traffic: the database and Redis answer. 503 names what does not."""
    from sqlalchemy import text

    from app.errors import forget_failed_transaction
    from workers.queue import redis

    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        forget_failed_transaction()
        checks["database"] = f"unavailable ({type(exc).__name__})"
    try:
        redis().ping()
        checks["redis"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["redis"] = f"unavailable ({type(exc).__name__})"
    ready = all(value == "ok" for value in checks.values())
    headers = {"Cache-Control": "no-store"}
    if not ready:
        headers["Retry-After"] = "5"
    return {"ready": ready, "checks": checks}, 200 if ready else 503, headers
