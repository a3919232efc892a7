"""Admin pages under /intern/admin/: accounts, audit log, text templates, category targets."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.admin import operations
from app.admin.forms import (
    AccountForm, AccountUpdateForm, AuditFilterForm, CategorySettingsForm, TextTemplateForm,
)
from app.db import db
from app.forms import validated
from app.jurisdictions.models import Category, Department, RoutingRule
from app.reports.models import Report
from app.reports.status import STATUSES
from app.staff import oidc
from app.staff.auth import current_staff, role_required
from app.staff.models import ROLES, AuditEntry, StaffUser, TextTemplate

bp = Blueprint("admin", __name__, url_prefix="/intern/admin")
AUDIT_PAGE = 100


@bp.after_request
def _private(response):
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/")
@role_required("admin")
def index():
    user = current_staff()
    users = list(db.session.scalars(select(StaffUser).where(StaffUser.jurisdiction_id == user.jurisdiction_id)
                                    .order_by(StaffUser.username)))
    departments = list(db.session.scalars(select(Department).where(Department.jurisdiction_id == user.jurisdiction_id)
                                          .order_by(Department.name)))
    categories = list(db.session.scalars(select(Category).where(Category.jurisdiction_id == user.jurisdiction_id)
                                         .order_by(Category.name)))
    rules = list(db.session.scalars(select(RoutingRule).where(RoutingRule.jurisdiction_id == user.jurisdiction_id)
                                    .order_by(RoutingRule.id)))
    templates = list(db.session.scalars(select(TextTemplate).where(TextTemplate.jurisdiction_id == user.jurisdiction_id)
                                        .order_by(TextTemplate.status, TextTemplate.title)))
    return render_template("admin/index.html", users=users, departments=departments, categories=categories,
                           rules=rules, templates=templates, roles=ROLES, statuses=STATUSES,
                           oidc_enabled=oidc.enabled())


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
    query = select(AuditEntry).where(AuditEntry.jurisdiction_id == admin.jurisdiction_id)
    if filters.vor.data:
        query = query.where(AuditEntry.id < int(filters.vor.data))
    actor, action = filters.wer.data, filters.aktion.data
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if action:
        query = query.where(AuditEntry.action == action)
    entries = list(db.session.scalars(query.order_by(AuditEntry.id.desc()).limit(AUDIT_PAGE + 1)))
    more = len(entries) > AUDIT_PAGE
    entries = entries[:AUDIT_PAGE]
    refs = dict(db.session.execute(select(Report.id, Report.reference).where(
        Report.id.in_({e.report_id for e in entries if e.report_id}))).all()) if entries else {}
    return render_template("admin/audit.html", entries=entries, refs=refs, actor=actor, action=action,
                           next_before=entries[-1].id if more and entries else None)
