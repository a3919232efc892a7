"""The operator's pages under /betrieb. Views stay thin."""
from __future__ import annotations

import functools

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.db import db

from app.staff.auth import current_staff
from app.staff.models import OPERATOR

bp = Blueprint("operator", __name__, url_prefix="/betrieb", template_folder="templates")


def operator_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        user = current_staff()
        if user is None:
            return redirect(url_for("staff_auth.login", next=request.path))
        if user.role != OPERATOR:
            abort(403)
        return view(*args, **kwargs)
    return wrapped


@bp.get("/")
@operator_required
def towns():
    from app.operator.queries import town_health

    return render_template("operator/towns.html", towns=town_health())


@bp.post("/staedte")
@operator_required
def create_town():
    from app.errors import ValidationFailed
    from app.operator.operations import create_town_from_zip
    from app.operator.queries import town_health

    upload = request.files.get("stadtdatei")
    try:
        town, admin = create_town_from_zip(upload.read() if upload else b"", request.form.get("admin_name", ""),
                                           request.form.get("admin_email", ""), current_staff())
    except ValidationFailed as exc:
        db.session.rollback()
        return render_template("operator/towns.html", towns=town_health(),
                               errors=[str(e.message) for e in exc.errors]), 400
    db.session.commit()
    flash_text = _("%(town)s ist angelegt; %(admin)s erhält eine Mail zum Festlegen des Passworts.",
                   town=town.name, admin=admin.username)
    return render_template("operator/towns.html", towns=town_health(), created=flash_text), 201


@bp.post("/staedte/<int:town_id>/stilllegen")
@operator_required
def retire(town_id: int):
    from app.errors import DomainError
    from app.operator.operations import retire_town

    if request.form.get("bestaetigt") != "ja":
        raise DomainError(_("Bitte bestätigen Sie das Stilllegen mit dem Häkchen."), "bestaetigt")
    retire_town(town_id, current_staff())
    db.session.commit()
    return redirect(url_for("operator.towns"), 303)
