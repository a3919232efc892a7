"""Admin pages under /intern/admin/: accounts, audit log, text templates, category targets."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.admin import operations, queries
from app.admin.forms import (
    AccountForm, AccountUpdateForm, AuditFilterForm, CategorySettingsForm, TextTemplateForm,
)
from app.db import db
from app.forms import validated
from app.reports.status import STATUSES
from app.staff import oidc
from app.staff.auth import current_staff, role_required
from app.staff.models import ROLES
from app.staff.wording import ACTIONS, AuditWording

bp = Blueprint("admin", __name__, url_prefix="/intern/admin")


@bp.after_request
def _private(response):
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/")
@role_required("admin")
def index():
    lists = queries.town_settings(current_staff().jurisdiction_id)
    return render_template("admin/index.html", roles=ROLES, statuses=STATUSES, oidc_enabled=oidc.enabled(), **lists)


@bp.post("/konten")
@role_required("admin")
def create_user():
    form = validated(AccountForm(request.form))
    user = operations.create_account(current_staff(), form)
    db.session.commit()
    flash(_("Das Konto %(name)s wurde angelegt.", name=user.username))
    return redirect(url_for("admin.index"), 303)


@bp.post("/konten/<int:user_id>")
@role_required("admin")
def update_user(user_id: int):
    form = validated(AccountUpdateForm(request.form))
    user = operations.update_account(current_staff(), user_id, form)
    db.session.commit()
    flash(_("Das Konto %(name)s wurde gespeichert.", name=user.username))
    return redirect(url_for("admin.index"), 303)


@bp.post("/textbausteine")
@role_required("admin")
def create_template():
    operations.create_text_template(current_staff(), validated(TextTemplateForm(request.form)))
    db.session.commit()
    flash(_("Der Textbaustein wurde angelegt."))
    return redirect(url_for("admin.index"), 303)


@bp.post("/kategorien/<int:category_id>")
@role_required("admin")
def update_category(category_id: int):
    operations.update_category_settings(current_staff(), category_id, validated(CategorySettingsForm(request.form)))
    db.session.commit()
    flash(_("Die Kategorie wurde gespeichert."))
    return redirect(url_for("admin.index"), 303)


@bp.get("/protokoll")
@role_required("admin")
def audit_log():
    admin = current_staff()
    filters = validated(AuditFilterForm(request.args))
    page = queries.audit_page(admin.jurisdiction_id, int(filters.vor.data) if filters.vor.data else None,
                              filters.wer.data, filters.aktion.data)
    wording = AuditWording(admin.jurisdiction_id, page.entries)
    return render_template("admin/audit.html", entries=[wording.describe(e) for e in page.entries], rows=page.entries,
                           actions=ACTIONS, refs=page.references, actor=filters.wer.data,
                           action=filters.aktion.data, next_before=page.next_before)
