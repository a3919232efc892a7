"""The queue page for admins and the Prometheus endpoint. Views stay thin."""
from __future__ import annotations

import secrets

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for

from app.db import db
from app.extensions import csrf
from app.ops.queries import parked_messages, prometheus_text, queue_stats, retrying_messages
from app.outbox.operations import retry_failed
from app.staff.auth import role_required

bp = Blueprint("ops", __name__)


@bp.get("/intern/admin/warteschlange")
@role_required("admin")
def queue_page():
    stats = queue_stats()
    response = render_template("ops/queue.html", stats=stats, parked=parked_messages(), retrying=retrying_messages(),
                               retried=request.args.get("erneut", type=int))
    return response, 200, {"Cache-Control": "private, no-store"}


@bp.post("/intern/admin/warteschlange/<int:message_id>/erneut")
@role_required("admin")
def retry(message_id: int):
    retry_failed(message_id)
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
    body = prometheus_text(queue_stats())
    db.session.rollback()
    return Response(body, mimetype="text/plain; version=0.0.4", headers={"Cache-Control": "no-store"})
