"""What the admin pages change: accounts, text templates, category settings.

Each operation checks the town boundary, records the change in the audit log with before
and after, and flushes; the view commits.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.admin.forms import AccountForm, AccountUpdateForm, CategorySettingsForm, TextTemplateForm
from app.db import db
from app.errors import DomainError, NotFound
from app.jurisdictions.models import Category, Department
from app.staff import audit, sessions
from app.staff.auth import set_password
from app.staff.models import StaffUser, TextTemplate


def _department(raw: str | None, jurisdiction_id: int) -> Department | None:
    if not raw:
        return None
    department = db.session.get(Department, int(raw))
    if department is None or department.jurisdiction_id != jurisdiction_id:
        raise DomainError(_l("Diese Abteilung gibt es nicht."), "department")
    return department


def _account_in_town(admin: StaffUser, user_id: int) -> StaffUser:
    user = db.session.get(StaffUser, user_id)
    if user is None or user.jurisdiction_id != admin.jurisdiction_id:
        raise NotFound(_l("Dieses Konto gibt es nicht."))
    return user


def create_account(admin: StaffUser, form: AccountForm) -> StaffUser:
    """A new account in the admin's town (flushes). Raises ``DomainError`` naming the field."""
    department = _department(form.department.data, admin.jurisdiction_id)
    if form.role.data == "staff" and department is None:
        raise DomainError(_l("Mitarbeitende einer Abteilung brauchen eine Abteilung."), "department")
    if db.session.scalar(select(StaffUser).where(StaffUser.username == form.username.data)) is not None:
        raise DomainError(_l("Diesen Benutzernamen gibt es schon."), "username", status=409)
    user = StaffUser(jurisdiction_id=admin.jurisdiction_id, username=form.username.data, role=form.role.data,
                     department_id=department.id if department else None,
                     display_name=form.display_name.data or "", email=form.email.data)
    set_password(user, form.password.data or "")
    db.session.add(user)
    db.session.flush()
    audit.record("user_create", staff=admin, target=f"user:{user.username}",
                 changes={"role": user.role, "department": department.code if department else None})
    return user


def update_account(admin: StaffUser, user_id: int, form: AccountUpdateForm) -> StaffUser:
    """Change role, department, activity, password or the linked service account (flushes).

    A new password or a deactivation ends the account's sessions at once.
    """
    user = _account_in_town(admin, user_id)
    role = form.role.data or user.role
    department = _department(form.department.data, admin.jurisdiction_id)
    if role == "staff" and department is None:
        raise DomainError(_l("Mitarbeitende einer Abteilung brauchen eine Abteilung."), "department")
    active = bool(form.active.data)
    if user.id == admin.id and (not active or role != "admin"):
        raise DomainError(_l("Sie können sich nicht selbst sperren oder die Admin-Rolle nehmen."), "role")
    changes = {}
    for field, new in (("role", role), ("department_id", department.id if department else None), ("active", active)):
        if getattr(user, field) != new:
            changes[field] = [getattr(user, field), new]
            setattr(user, field, new)
    subject = form.oidc_subject.data
    if subject and subject != user.oidc_subject:
        # The only way an existing account gets a sign-in through the identity provider: an
        # admin's explicit act (the subject is in the audit log's refused sign-in).
        if db.session.scalar(select(StaffUser.id).where(StaffUser.oidc_subject == subject)) is not None:
            raise DomainError(_l("Diese Dienstkonto-Kennung ist schon mit einem anderen Konto verknüpft."),
                              "oidc_subject", status=409)
        changes["oidc_subject"] = [user.oidc_subject, subject]
        user.oidc_subject = subject
    if form.password.data:
        set_password(user, form.password.data)  # ends the account's sessions
        changes["password"] = "reset"
    if not user.active:
        sessions.end_all(user)  # a deactivated account is signed out everywhere at once
    if changes:
        db.session.flush()
        audit.record("user_update", staff=admin, target=f"user:{user.username}", changes=changes)
    return user


def create_text_template(admin: StaffUser, form: TextTemplateForm) -> TextTemplate:
    """A text template for a status and/or category of the admin's town (flushes)."""
    category_id = None
    if form.category.data:
        category = db.session.get(Category, int(form.category.data))
        if category is None or category.jurisdiction_id != admin.jurisdiction_id:
            raise DomainError(_l("Diese Kategorie gibt es nicht."), "category")
        category_id = category.id
    template = TextTemplate(jurisdiction_id=admin.jurisdiction_id, category_id=category_id,
                            status=form.status.data or None, title=form.title.data, body=form.body.data)
    db.session.add(template)
    db.session.flush()
    audit.record("template_create", staff=admin, target=f"template:{template.id}", changes={"title": template.title})
    return template


def update_category_settings(admin: StaffUser, category_id: int, form: CategorySettingsForm) -> Category:
    """Change a category's deadline and whether citizens can choose it (flushes)."""
    category = db.session.get(Category, category_id)
    if category is None or category.jurisdiction_id != admin.jurisdiction_id:
        raise NotFound(_l("Diese Kategorie gibt es nicht."))
    changes = {}
    for field, new in (("target_days", form.target_days.data), ("active", bool(form.active.data))):
        if getattr(category, field) != new:
            changes[field] = [getattr(category, field), new]
            setattr(category, field, new)
    if changes:
        db.session.flush()
        audit.record("category_update", staff=admin, target=f"category:{category.code}", changes=changes)
    return category
