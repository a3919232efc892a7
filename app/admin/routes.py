"""Admin pages under /intern/admin/: accounts, audit log, text templates, category targets."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.admin import operations, queries
from app.admin.forms import (
    QUESTION_KINDS, AccountForm, AccountUpdateForm, AuditFilterForm, CategoryCreateForm, CategoryEditForm,
    CategorySettingsForm, DepartmentCreateForm, DepartmentForm, QuestionForm, RetireForm,
    RuleForm, SignLanguageVideoForm, TextTemplateForm,
)
from app.db import db
from app.errors import DomainError
from app.forms import validated
from app.reports.status import STATUSES
from app.staff import oidc
from app.staff.auth import current_staff, role_required
from app.staff.models import ROLES
from app.staff.wording import ACTIONS, ROLES as ROLE_NAMES, AuditWording
from app.jurisdictions.texts import CATEGORY_FIELDS, QUESTION_FIELDS, flat_keys, to_flat

bp = Blueprint("admin", __name__, url_prefix="/intern/admin")


@bp.app_template_filter("role_name")
def role_name(code: str) -> str:
    """A role in words ("Leitstelle"), as the audit log names it; the code is what forms send."""
    return str(ROLE_NAMES.get(code, code))


@bp.after_request
def _private(response):
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/")
@role_required("admin")
def index():
    from app.jurisdictions.models import Jurisdiction

    lists = queries.town_settings(current_staff().jurisdiction_id)
    town_row = db.session.get(Jurisdiction, current_staff().jurisdiction_id)
    return render_template("admin/index.html", roles=ROLES, statuses=STATUSES, oidc_enabled=oidc.enabled(),
                           sign_language_video=town_row.sign_language_video, **lists)


@bp.get("/stadtprofil")
@role_required("admin")
def town_profile():
    from app.admin import town_profile as page
    from app.jurisdictions.models import Jurisdiction
    from app.staff.wording import PROFILE_FIELDS

    jurisdiction = db.session.get(Jurisdiction, current_staff().jurisdiction_id)
    return render_template("admin/town_profile.html", jurisdiction=jurisdiction, profile=jurisdiction.profile or {},
                           legal=jurisdiction.legal or {}, sections=page.SECTIONS, contact_heading=page.SECTIONS[3][0],
                           labels=PROFILE_FIELDS, kinds=page.KIND, legal_labels=page.LEGAL_LABELS,
                           legal_kinds=page.LEGAL_KIND, input_types=page.INPUT_TYPES,
                           has_own_crest=jurisdiction.crest_type is not None,
                           language_choices=page.language_choices(jurisdiction), hints=page.limit_hints())


@bp.post("/stadtprofil")
@role_required("admin")
def save_town_profile():
    from app.admin import town_profile as page

    changes = page.update_profile(current_staff(), page.TownProfileForm(request.form))
    db.session.commit()
    flash(_("Das Stadtprofil wurde gespeichert.") if changes else _("Es gab nichts zu ändern."))
    return redirect(url_for("admin.town_profile"), 303)


@bp.post("/stadtprofil/wappen")
@role_required("admin")
def upload_crest():
    from app.admin import town_profile as page

    upload = request.files.get("wappen")
    page.set_crest(current_staff(), upload.read(page.MAX_UPLOAD + 1) if upload else b"")
    db.session.commit()
    flash(_("Das Wappen wurde gespeichert."))
    return redirect(url_for("admin.town_profile"), 303)


@bp.post("/stadtprofil/wappen/entfernen")
@role_required("admin")
def remove_crest():
    from app.admin import town_profile as page

    page.set_crest(current_staff(), None)
    db.session.commit()
    flash(_("Das Wappen wurde entfernt."))
    return redirect(url_for("admin.town_profile"), 303)


@bp.get("/meldungen-import")
@role_required("admin")
def report_import():
    return render_template("admin/report_import.html", upload=None, result=None)


@bp.post("/meldungen-import")
@role_required("admin")
def report_import_check():
    """Keep the file and show its dry run: nothing is imported before the admin has seen it."""
    from app.admin import report_import as page

    upload = request.files.get("datei")
    data = upload.read(page.MAX_UPLOAD + 1) if upload else b""
    row = page.keep_upload(current_staff(), upload.filename if upload else "", data)
    row, result = page.run(current_staff(), row.id, dry_run=True)
    db.session.commit()  # the kept file, not the dry run's reports
    return render_template("admin/report_import.html", upload=row, result=result, dry_run=True)


@bp.post("/meldungen-import/<int:upload_id>")
@role_required("admin")
def report_import_run(upload_id: int):
    from app.admin import report_import as page

    row, result = page.run(current_staff(), upload_id, dry_run=False)
    db.session.commit()
    return render_template("admin/report_import.html", upload=row, result=result, dry_run=False)


@bp.post("/konten")
@role_required("admin")
def create_user():
    form = validated(AccountForm(request.form))
    user = operations.create_account(current_staff(), form)
    db.session.commit()
    flash(_("Das Konto %(name)s wurde angelegt.", name=user.username))
    return redirect(url_for("admin.index"), 303)


@bp.post("/konten/import")
@role_required("admin")
def import_users():
    from app.admin.staff_import import import_staff

    upload = request.files.get("datei")
    data = upload.read(2 * 1024 * 1024 + 1) if upload and upload.filename else b""
    if not data:
        raise DomainError(_("Bitte wählen Sie eine CSV-Datei mit den Konten aus."), "datei")
    result = import_staff(current_staff(), data)
    if result.errors:
        db.session.rollback()
        return render_template("admin/staff_import.html", result=result), 400
    db.session.commit()
    return render_template("admin/staff_import.html", result=result)


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


@bp.post("/gebaerdensprache-video")
@role_required("admin")
def sign_language_video():
    video = validated(SignLanguageVideoForm(request.form)).video.data or ""
    changed = operations.set_sign_language_video(current_staff(), video)
    db.session.commit()
    flash(_("Das Video in Gebärdensprache wurde gespeichert.") if changed else _("Es gab nichts zu ändern."))
    return redirect(url_for("admin.index") + "#gebaerdensprache", 303)


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


def _retiring(kind: str):
    """(plan, retire, choices) of the retirement ``kind``: "department" or "category"."""
    from app.admin import retire

    if kind == "department":
        return retire.plan_department_retirement, retire.retire_department, queries.live_departments
    return retire.plan_category_retirement, retire.retire_category, queries.live_categories


def _retire_page(kind: str, row_id: int):
    from app.admin import retire

    admin = current_staff()
    model, missing = ((retire.Department, _("Diese Abteilung gibt es nicht.")) if kind == "department"
                      else (retire.Category, _("Diese Kategorie gibt es nicht.")))
    row = retire.row_in_town(admin, model, row_id, missing)
    choices = _retiring(kind)[2](admin.jurisdiction_id, but=row.id)
    return render_template("admin/retire.html", kind=kind, row=row, choices=choices, plan=None)


def _retire(kind: str, row_id: int):
    """First the confirmation page naming where the open reports go; only a confirmed form retires."""
    plan_it, do_it, choices = _retiring(kind)
    admin = current_staff()
    form = validated(RetireForm(request.form))
    if not form.confirmed.data:
        plan = plan_it(admin, row_id, form.successor.data)
        return render_template("admin/retire.html", kind=kind, row=plan.retiring, plan=plan,
                               choices=choices(admin.jurisdiction_id, but=row_id))
    plan = do_it(admin, row_id, form.successor.data)
    db.session.commit()
    if kind == "department":
        flash(_("Die Abteilung %(name)s ist aufgelöst. %(n)s offene Meldungen und ihre Zuständigkeitsregeln gingen "
                "an %(to)s.", name=plan.retiring.name, n=plan.open_reports, to=plan.successor.name))
    else:
        flash(_("Die Kategorie %(name)s ist aufgelöst. %(n)s offene Meldungen gehören jetzt zu %(to)s.",
                name=plan.retiring.name, n=plan.open_reports, to=plan.successor.name))
    return redirect(url_for("admin.index"), 303)


@bp.get("/abteilungen/<int:department_id>/aufloesen")
@role_required("admin")
def retire_department_page(department_id: int):
    return _retire_page("department", department_id)


@bp.post("/abteilungen/<int:department_id>/aufloesen")
@role_required("admin")
def retire_department(department_id: int):
    return _retire("department", department_id)


@bp.get("/kategorien/<int:category_id>/aufloesen")
@role_required("admin")
def retire_category_page(category_id: int):
    return _retire_page("category", category_id)


@bp.post("/kategorien/<int:category_id>/aufloesen")
@role_required("admin")
def retire_category(category_id: int):
    return _retire("category", category_id)


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
