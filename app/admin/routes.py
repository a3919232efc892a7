"""Admin pages under /intern/admin/: accounts, audit log, text templates, category targets."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.db import db
from app.errors import DomainError
from app.jurisdictions.models import Category, Department, RoutingRule
from app.reports.status import STATUSES
from app.staff import audit, oidc, sessions
from app.staff.auth import current_staff, role_required, set_password
from app.staff.models import ROLES, AuditEntry, StaffUser, TextTemplate
from app.validation import clean_text, normalize_email, too_long

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


def _department(raw: str | None, jurisdiction_id: int) -> Department | None:
    if not raw:
        return None
    department = db.session.get(Department, int(raw)) if raw.isdigit() else None
    if department is None or department.jurisdiction_id != jurisdiction_id:
        raise DomainError(_("Diese Abteilung gibt es nicht."), "department")
    return department


@bp.post("/konten")
@role_required("admin")
def create_user():
    admin = current_staff()
    username = (request.form.get("username") or "").strip().lower()
    role = request.form.get("role") or ""
    if not username or len(username) > 100 or not all(c.isalnum() or c in "-_." for c in username):
        raise DomainError(_("Der Benutzername darf nur Buchstaben, Ziffern und - _ . enthalten."), "username")
    if role not in ROLES:
        raise DomainError(_("Diese Rolle gibt es nicht."), "role")
    department = _department(request.form.get("department"), admin.jurisdiction_id)
    if role == "staff" and department is None:
        raise DomainError(_("Mitarbeitende einer Abteilung brauchen eine Abteilung."), "department")
    email = (request.form.get("email") or "").strip()
    email = normalize_email(email) if email else None
    if db.session.scalar(select(StaffUser).where(StaffUser.username == username)) is not None:
        raise DomainError(_("Diesen Benutzernamen gibt es schon."), "username", status=409)
    user = StaffUser(jurisdiction_id=admin.jurisdiction_id, username=username, role=role,
                     department_id=department.id if department else None,
                     display_name=clean_text(request.form.get("display_name")).strip()[:200],
                     email=email)
    set_password(user, request.form.get("password") or "")
    db.session.add(user)
    db.session.flush()
    audit.record("user_create", staff=admin, target=f"user:{user.username}",
                 changes={"role": role, "department": department.code if department else None})
    db.session.commit()
    flash(_("Das Konto %(name)s wurde angelegt.", name=username))
    return redirect(url_for("admin.index"), 303)


@bp.post("/konten/<int:user_id>")
@role_required("admin")
def update_user(user_id: int):
    admin = current_staff()
    user = db.session.get(StaffUser, user_id)
    if user is None or user.jurisdiction_id != admin.jurisdiction_id:
        raise DomainError(_("Dieses Konto gibt es nicht."), status=404)
    role = request.form.get("role") or user.role
    if role not in ROLES:
        raise DomainError(_("Diese Rolle gibt es nicht."), "role")
    department = _department(request.form.get("department"), admin.jurisdiction_id)
    if role == "staff" and department is None:
        raise DomainError(_("Mitarbeitende einer Abteilung brauchen eine Abteilung."), "department")
    active = request.form.get("active") == "1"
    if user.id == admin.id and (not active or role != "admin"):
        raise DomainError(_("Sie können sich nicht selbst sperren oder die Admin-Rolle nehmen."), "role")
    changes = {}
    for field, new in (("role", role), ("department_id", department.id if department else None), ("active", active)):
        if getattr(user, field) != new:
            changes[field] = [getattr(user, field), new]
            setattr(user, field, new)
    subject = clean_text(request.form.get("oidc_subject")).strip()
    if subject and subject != user.oidc_subject:
        # The only way an existing account gets a sign-in through the identity provider: an
        # admin's explicit act (the subject is in the audit log's refused sign-in).
        if len(subject) > 255:
            raise too_long(_l("Die Dienstkonto-Kennung"), 255, "oidc_subject")
        if db.session.scalar(select(StaffUser.id).where(StaffUser.oidc_subject == subject)) is not None:
            raise DomainError(_("Diese Dienstkonto-Kennung ist schon mit einem anderen Konto verknüpft."),
                              "oidc_subject", status=409)
        changes["oidc_subject"] = [user.oidc_subject, subject]
        user.oidc_subject = subject
    if request.form.get("password"):
        set_password(user, request.form["password"])  # ends the account's sessions
        changes["password"] = "reset"
    if not user.active:
        sessions.end_all(user)  # a deactivated account is signed out everywhere at once
    if changes:
        db.session.flush()
        audit.record("user_update", staff=admin, target=f"user:{user.username}", changes=changes)
    db.session.commit()
    flash(_("Das Konto %(name)s wurde gespeichert.", name=user.username))
    return redirect(url_for("admin.index"), 303)


@bp.post("/textbausteine")
@role_required("admin")
def create_template():
    admin = current_staff()
    title = (request.form.get("title") or "").strip()[:200]
    body = (request.form.get("body") or "").strip()
    status = request.form.get("status") or None
    if not title or not body:
        raise DomainError(_("Bitte Titel und Text des Textbausteins angeben."), "body")
    if status is not None and status not in STATUSES:
        raise DomainError(_("Diesen Status gibt es nicht."), "status")
    category_id = None
    raw = request.form.get("category") or ""
    if raw:
        category = db.session.get(Category, int(raw)) if raw.isdigit() else None
        if category is None or category.jurisdiction_id != admin.jurisdiction_id:
            raise DomainError(_("Diese Kategorie gibt es nicht."), "category")
        category_id = category.id
    template = TextTemplate(jurisdiction_id=admin.jurisdiction_id, category_id=category_id, status=status,
                            title=title, body=body[:5000])
    db.session.add(template)
    db.session.flush()
    audit.record("template_create", staff=admin, target=f"template:{template.id}", changes={"title": title})
    db.session.commit()
    flash(_("Der Textbaustein wurde angelegt."))
    return redirect(url_for("admin.index"), 303)


@bp.post("/kategorien/<int:category_id>")
@role_required("admin")
def update_category(category_id: int):
    admin = current_staff()
    category = db.session.get(Category, category_id)
    if category is None or category.jurisdiction_id != admin.jurisdiction_id:
        raise DomainError(_("Diese Kategorie gibt es nicht."), status=404)
    raw = (request.form.get("target_days") or "").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= 365:
        raise DomainError(_("Die Bearbeitungsfrist muss zwischen 1 und 365 Tagen liegen."), "target_days")
    changes = {}
    if category.target_days != int(raw):
        changes["target_days"] = [category.target_days, int(raw)]
        category.target_days = int(raw)
    active = request.form.get("active") == "1"
    if category.active != active:
        changes["active"] = [category.active, active]
        category.active = active
    if changes:
        db.session.flush()
        audit.record("category_update", staff=admin, target=f"category:{category.code}", changes=changes)
    db.session.commit()
    flash(_("Die Kategorie wurde gespeichert."))
    return redirect(url_for("admin.index"), 303)


@bp.get("/protokoll")
@role_required("admin")
def audit_log():
    admin = current_staff()
    query = select(AuditEntry).where(AuditEntry.jurisdiction_id == admin.jurisdiction_id)
    before = request.args.get("vor") or ""
    if before:
        if not before.isdigit():
            raise DomainError(_("Der Verweis auf die nächste Seite ist ungültig."), "vor")
        query = query.where(AuditEntry.id < int(before))
    actor = (request.args.get("wer") or "").strip()[:100]
    if actor:
        query = query.where(AuditEntry.actor == actor)
    action = (request.args.get("aktion") or "").strip()[:50]
    if action:
        query = query.where(AuditEntry.action == action)
    entries = list(db.session.scalars(query.order_by(AuditEntry.id.desc()).limit(AUDIT_PAGE + 1)))
    more = len(entries) > AUDIT_PAGE
    entries = entries[:AUDIT_PAGE]
    from app.reports.models import Report

    refs = dict(db.session.execute(select(Report.id, Report.reference).where(
        Report.id.in_({e.report_id for e in entries if e.report_id}))).all()) if entries else {}
    return render_template("admin/audit.html", entries=entries, refs=refs, actor=actor, action=action,
                           next_before=entries[-1].id if more and entries else None)
