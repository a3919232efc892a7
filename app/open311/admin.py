"""Admin page for API keys: /intern/admin/api-schluessel (list, create, revoke)."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from app.db import db
from app.errors import DomainError, NotFound
from app.jurisdictions.models import Jurisdiction
from app.open311.forms import ApiKeyForm
from app.open311.keys import create_client, revoke_client
from app.open311.models import ACTIONS, ApiClient
from app.staff.auth import current_staff, role_required

bp = Blueprint("open311_admin", __name__, url_prefix="/intern/admin/api-schluessel")


def _page(new_key: str | None = None, errors: dict | None = None, form: dict | None = None, status: int = 200):
    me = current_staff()
    clients = db.session.scalars(select(ApiClient).where(ApiClient.jurisdiction_id == me.jurisdiction_id)
                                 .order_by(ApiClient.revoked_at.is_not(None), ApiClient.id)).all()
    return render_template("open311/admin_keys.html", clients=clients, actions=ACTIONS, new_key=new_key,
                           errors=errors or {}, form=form or {}), status


@bp.get("")
@role_required("admin")
def index():
    return _page()


@bp.post("")
@role_required("admin")
def create():
    me = current_staff()
    parsed = ApiKeyForm(request.form)
    form = {"name": parsed.name.data or "", "rate_limit": parsed.rate_limit.data or "", "actions": parsed.actions.data}
    if not parsed.validate():
        return _page(errors={name: str(messages[0]) for name, messages in parsed.errors.items()}, form=form, status=400)
    try:
        _client, raw = create_client(db.session.get(Jurisdiction, me.jurisdiction_id), form["name"], form["actions"],
                                     rate_limit=form["rate_limit"] or None)
    except DomainError as exc:
        db.session.rollback()
        return _page(errors={exc.field or "form": str(exc.message)}, form=form, status=400)
    db.session.commit()
    return _page(new_key=raw)


@bp.post("/<int:client_id>/widerrufen")
@role_required("admin")
def revoke(client_id: int):
    me = current_staff()
    client = db.session.get(ApiClient, client_id)
    if client is None or client.jurisdiction_id != me.jurisdiction_id:
        raise NotFound(_("Diesen Zugang gibt es nicht."))
    revoke_client(client)
    db.session.commit()
    return _page()
