"""Admin pages under /intern/admin/: accounts, audit log, text templates, category targets."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.admin import operations, queries
from app.admin.forms import (
    QUESTION_KINDS, AccountForm, AccountUpdateForm, AuditFilterForm, CategoryCreateForm, CategoryEditForm,
    CategorySettingsForm, DepartmentCreateForm, DepartmentForm, QuestionForm, RuleForm, TextTemplateForm,
)
from app.db import db
from app.forms import validated
from app.reports.status import STATUSES
from app.staff import oidc
from app.staff.auth import current_staff, role_required
from app.staff.models import ROLES
from app.staff.wording import ACTIONS, AuditWording
from app.jurisdictions.texts import CATEGORY_FIELDS, QUESTION_FIELDS, flat_keys, to_flat

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


@bp.post("/textbausteine/<int:template_id>")
@role_required("admin")
def update_template(template_id: int):
    operations.update_text_template(current_staff(), template_id, validated(TextTemplateForm(request.form)))
    db.session.commit()
    flash(_("Der Textbaustein wurde gespeichert."))
    return redirect(url_for("admin.index"), 303)


@bp.post("/textbausteine/<int:template_id>/loeschen")
@role_required("admin")
def delete_template(template_id: int):
    operations.delete_text_template(current_staff(), template_id)
    db.session.commit()
    flash(_("Der Textbaustein wurde gelöscht."))
    return redirect(url_for("admin.index"), 303)


@bp.post("/kategorien/<int:category_id>")
@role_required("admin")
def update_category(category_id: int):
    operations.update_category_settings(current_staff(), category_id, validated(CategorySettingsForm(request.form)))
    db.session.commit()
    flash(_("Die Kategorie wurde gespeichert."))
    return redirect(url_for("admin.index"), 303)


@bp.post("/kategorien/neu")
@role_required("admin")
def create_category():
    category = operations.create_category(current_staff(), validated(CategoryCreateForm(request.form)))
    db.session.commit()
    flash(_("Die Kategorie wurde angelegt. Sie ist noch ausgeschaltet: prüfen Sie Texte, Fragen und "
            "Zuständigkeit, dann schalten Sie sie ein."))
    return redirect(url_for("admin.category", category_id=category.id), 303)


@bp.get("/kategorien/<int:category_id>")
@role_required("admin")
def category(category_id: int):
    category, questions = queries.category_with_questions(current_staff().jurisdiction_id, category_id)
    return render_template("admin/category.html", category=category, questions=questions,
                           question_kinds=QUESTION_KINDS, translated_texts=to_flat(category.translations, CATEGORY_FIELDS),
                           question_text_keys=flat_keys(QUESTION_FIELDS))


@bp.post("/kategorien/<int:category_id>/bearbeiten")
@role_required("admin")
def edit_category(category_id: int):
    operations.edit_category(current_staff(), category_id, validated(CategoryEditForm(request.form)))
    db.session.commit()
    flash(_("Die Kategorie wurde gespeichert."))
    return redirect(url_for("admin.category", category_id=category_id), 303)


@bp.post("/kategorien/<int:category_id>/fragen")
@role_required("admin")
def add_question(category_id: int):
    operations.add_question(current_staff(), category_id, validated(QuestionForm(request.form)))
    db.session.commit()
    flash(_("Die Frage wurde angelegt."))
    return redirect(url_for("admin.category", category_id=category_id), 303)


@bp.post("/kategorien/<int:category_id>/fragen/<int:question_id>/loeschen")
@role_required("admin")
def delete_question(category_id: int, question_id: int):
    operations.delete_question(current_staff(), category_id, question_id)
    db.session.commit()
    flash(_("Die Frage wurde gelöscht."))
    return redirect(url_for("admin.category", category_id=category_id), 303)


@bp.post("/abteilungen/neu")
@role_required("admin")
def create_department():
    operations.create_department(current_staff(), validated(DepartmentCreateForm(request.form)))
    db.session.commit()
    flash(_("Die Abteilung wurde angelegt."))
    return redirect(url_for("admin.index"), 303)


@bp.post("/abteilungen/<int:department_id>")
@role_required("admin")
def update_department(department_id: int):
    operations.update_department(current_staff(), department_id, validated(DepartmentForm(request.form)))
    db.session.commit()
    flash(_("Die Abteilung wurde gespeichert."))
    return redirect(url_for("admin.index"), 303)


@bp.post("/regeln/vorschau")
@role_required("admin")
def rule_preview():
    """Which open reports the new rule would move, before it is saved (nothing is kept)."""
    staff = current_staff()
    form = validated(RuleForm(request.form))
    savepoint = db.session.begin_nested()
    try:
        rule = operations.add_rule(staff, form)
        described = queries.rule_description(rule)
        preview = queries.rerouting_preview(staff.jurisdiction_id)
    finally:
        savepoint.rollback()
    return render_template("admin/rule_preview.html", form=request.form, rule=described, preview=preview)


@bp.post("/regeln")
@role_required("admin")
def add_rule():
    staff = current_staff()
    form = validated(RuleForm(request.form))
    operations.add_rule(staff, form)
    moved = None
    if form.reroute.data:
        # In the same transaction as the rule: the rule and the moves it causes are one change.
        from app.areas.rerouting import apply_rerouting
        from app.jurisdictions.models import Jurisdiction

        run = apply_rerouting(db.session.get(Jurisdiction, staff.jurisdiction_id), actor=f"admin:{staff.username}",
                              staff=staff, expected_fingerprint=form.fingerprint.data or None,
                              reason=_("Neue Zuständigkeitsregel"))
        moved = run.moved
    db.session.commit()
    flash(_("Die Regel wurde gespeichert.") + ("" if moved is None else " " + _(
        "%(n)s offene Meldungen neu zugeordnet; die neuen Stellen werden benachrichtigt.", n=moved)))
    return redirect(url_for("admin.index"), 303)


@bp.post("/regeln/<int:rule_id>/loeschen")
@role_required("admin")
def delete_rule(rule_id: int):
    operations.delete_rule(current_staff(), rule_id)
    db.session.commit()
    flash(_("Die Regel wurde gelöscht. Offene Meldungen behalten ihre Abteilung, bis Sie sie neu zuordnen."))
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
