"""What the admin pages change: accounts, text templates, category settings.

Each operation checks the town boundary, records the change in the audit log with before
and after, and flushes; the view commits.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
import re

from sqlalchemy import func, select

from app.admin.forms import (
    AccountForm, AccountUpdateForm, CategoryCreateForm, CategoryEditForm, CategorySettingsForm, DepartmentCreateForm,
    DepartmentForm, QuestionForm, RuleForm, TextTemplateForm,
)
from app.db import db
from app.errors import DomainError, NotFound, ValidationFailed
from app.jurisdictions.models import Area, Category, Department, RoutingRule
from app.open311.models import ReportAttributeValue, ServiceAttribute
from app.staff import audit, sessions
from app.staff.auth import set_password
from app.staff.models import StaffUser, TextTemplate
from app.jurisdictions.texts import CATEGORY_FIELDS, QUESTION_FIELDS, flat_keys, from_flat


def _department(raw: str | None, jurisdiction_id: int) -> Department | None:
    if not raw:
        return None
    department = db.session.get(Department, int(raw))
    if department is None or department.jurisdiction_id != jurisdiction_id:
        raise DomainError(_l("Diese Abteilung gibt es nicht."), "department")
    return department


def _in_town(admin: StaffUser, model, row_id: int, missing):
    """The row ``row_id`` of ``model`` if it belongs to the admin's town, else NotFound(missing)."""
    row = db.session.get(model, row_id)
    if row is None or row.jurisdiction_id != admin.jurisdiction_id:
        raise NotFound(missing)
    return row


def _set_changed(row, values: dict) -> dict:
    """Set the fields of ``row`` whose value differs; returns ``{field: [before, after]}``."""
    changes = {}
    for field, new in values.items():
        if getattr(row, field) != new:
            changes[field] = [getattr(row, field), new]
            setattr(row, field, new)
    return changes


def _account_in_town(admin: StaffUser, user_id: int) -> StaffUser:
    return _in_town(admin, StaffUser, user_id, _l("Dieses Konto gibt es nicht."))


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
    changes = _set_changed(user, {"role": role, "department_id": department.id if department else None,
                                  "active": active})
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
    template = TextTemplate(jurisdiction_id=admin.jurisdiction_id, **_template_values(admin, form))
    db.session.add(template)
    db.session.flush()
    audit.record("template_create", staff=admin, target=f"template:{template.id}", changes={"title": template.title})
    return template


def _template_values(admin: StaffUser, form: TextTemplateForm) -> dict:
    category_id = None
    if form.category.data:
        category = db.session.get(Category, int(form.category.data))
        if category is None or category.jurisdiction_id != admin.jurisdiction_id:
            raise DomainError(_l("Diese Kategorie gibt es nicht."), "category")
        category_id = category.id
    return {"category_id": category_id, "status": form.status.data or None, "title": form.title.data,
            "body": form.body.data}


def update_text_template(admin: StaffUser, template_id: int, form: TextTemplateForm) -> TextTemplate:
    """Change a text template's title, text, status or category (flushes, audited)."""
    template = _in_town(admin, TextTemplate, template_id, _l("Diesen Textbaustein gibt es nicht."))
    changes = _set_changed(template, _template_values(admin, form))
    if changes:
        db.session.flush()
        audit.record("template_update", staff=admin, target=f"template:{template.id}", changes=changes)
    return template


def delete_text_template(admin: StaffUser, template_id: int) -> None:
    """Remove a text template (flushes, audited with what it said)."""
    template = _in_town(admin, TextTemplate, template_id, _l("Diesen Textbaustein gibt es nicht."))
    audit.record("template_delete", staff=admin, target=f"template:{template.id}",
                 changes={"title": [template.title, None], "body": [template.body, None]})
    db.session.delete(template)
    db.session.flush()


def set_sign_language_video(admin: StaffUser, video: str) -> bool:
    """The town's DGS video for /gebaerdensprache (a checked file path or https URL, or empty);
    audited, flushes. Returns False when nothing changed."""
    return _set_town_field(admin, "sign_language_video", video)


def _set_town_field(admin: StaffUser, field: str, value) -> bool:
    """Set one column of the admin's town, audited as ``town_update``; False when it was already so."""
    from app.jurisdictions.models import Jurisdiction

    town = db.session.get(Jurisdiction, admin.jurisdiction_id)
    if getattr(town, field) == value:
        return False
    audit.record("town_update", staff=admin, changes={field: [getattr(town, field), value]})
    setattr(town, field, value)
    db.session.flush()
    return True


def update_category_settings(admin: StaffUser, category_id: int, form: CategorySettingsForm) -> Category:
    """Change a category's deadline and whether citizens can choose it (flushes)."""
    category = _category_in_town(admin, category_id)
    _change_category(admin, category, {"target_days": form.target_days.data, "active": bool(form.active.data)})
    return category


def _change_category(admin: StaffUser, category: Category, values: dict) -> None:
    """Set the changed ``values`` and audit them with before and after (flushes)."""
    if category.retired_at is not None and values.get("active"):
        raise DomainError(_l("Diese Kategorie ist aufgelöst und kann nicht wieder eingeschaltet werden."), "active")
    changes = _set_changed(category, values)
    if changes:
        db.session.flush()
        audit.record("category_update", staff=admin, target=f"category:{category.code}", changes=changes)


def _category_in_town(admin: StaffUser, category_id: int) -> Category:
    return _in_town(admin, Category, category_id, _l("Diese Kategorie gibt es nicht."))


def create_category(admin: StaffUser, form: CategoryCreateForm) -> Category:
    """A new category, switched off until the admin has checked it and its routing (flushes)."""
    taken = db.session.scalar(select(Category.id).where(Category.jurisdiction_id == admin.jurisdiction_id,
                                                        Category.code == form.code.data))
    if taken is not None:
        raise DomainError(_l("Eine Kategorie mit diesem Code gibt es schon."), "code")
    category = Category(jurisdiction_id=admin.jurisdiction_id, code=form.code.data, name=form.name.data,
                        group=form.group.data, active=False)
    db.session.add(category)
    db.session.flush()
    audit.record("category_create", staff=admin, target=f"category:{category.code}",
                 changes={"code": [None, category.code], "name": [None, category.name], "active": [None, False]})
    return category


_CATEGORY_FIELDS = ("name", "name_en", "description", "group", "notice", "stop_notice", "target_days",
                    "publish_immediately", "active")


def edit_category(admin: StaffUser, category_id: int, form: CategoryEditForm) -> Category:
    """Change a category's texts, notices, deadline, publication and whether it is offered (flushes)."""
    category = _category_in_town(admin, category_id)
    values = {field: getattr(form, field).data for field in _CATEGORY_FIELDS}
    values.update(publish_immediately=bool(values["publish_immediately"]), active=bool(values["active"]),
                  name_en=values["name_en"] or None,
                  translations=from_flat({key: getattr(form, key).data for key in flat_keys(CATEGORY_FIELDS)},
                                         CATEGORY_FIELDS))
    if form.icon.raw_data:  # a form without the icon grid keeps the icon
        values["icon"] = form.icon.data or ""
    _change_category(admin, category, values)
    return category


# A yes/no question's answers, in every citizen language.
YES_NO_CHOICES = [{"key": "ja", "name": "Ja", "name_en": "Yes", "name_tr": "Evet", "name_uk": "Так", "name_ar": "نعم"},
                  {"key": "nein", "name": "Nein", "name_en": "No", "name_tr": "Hayır", "name_uk": "Ні", "name_ar": "لا"}]


def _choice_key(name: str) -> str:
    key = re.sub(r"[^a-z0-9]+", "-", name.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
                 .replace("ß", "ss")).strip("-")
    return key[:50] or "wert"


def parse_choices(text: str) -> list[dict]:
    """One choice per line, ``key = Name`` or just ``Name`` (the key is made from it)."""
    choices, keys = [], set()
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        key, _sep, name = line.partition("=") if "=" in line else ("", "", line)
        name = name.strip()
        key = key.strip() or _choice_key(name)
        if key in keys:
            raise DomainError(_l("Der Wert „%(key)s“ kommt zweimal vor.", key=key), "choices")
        keys.add(key)
        choices.append({"key": key, "name": name})
    return choices


def add_question(admin: StaffUser, category_id: int, form: QuestionForm) -> ServiceAttribute:
    """A further question citizens answer when they choose the category (flushes)."""
    category = _category_in_town(admin, category_id)
    errors = []
    if db.session.scalar(select(ServiceAttribute.id).where(ServiceAttribute.category_id == category.id,
                                                           ServiceAttribute.code == form.code.data)) is not None:
        errors.append(DomainError(_l("Eine Frage mit diesem Code gibt es in dieser Kategorie schon."), "code"))
    kind = form.kind.data
    try:
        choices = YES_NO_CHOICES if kind == "yesno" else parse_choices(form.choices.data)
    except DomainError as exc:
        errors.append(exc)
        choices = []
    if kind in ("singlevaluelist", "multivaluelist") and not choices and not errors:
        errors.append(DomainError(_l("Eine Auswahlfrage braucht mindestens eine Antwort zur Auswahl."), "choices"))
    if errors:
        raise ValidationFailed(errors)
    order = form.order.data
    if order is None:
        order = (db.session.scalar(select(func.max(ServiceAttribute.order))
                                   .where(ServiceAttribute.category_id == category.id)) or 0) + 1
    question = ServiceAttribute(
        category_id=category.id, code=form.code.data, description=form.label.data,
        description_en=form.label_en.data or None, datatype="singlevaluelist" if kind == "yesno" else kind,
        required=bool(form.required.data), datatype_description=form.help.data, order=order,
        values=choices if kind in ("singlevaluelist", "multivaluelist", "yesno") else [],
        translations=from_flat({key: getattr(form, key).data for key in flat_keys(QUESTION_FIELDS)}, QUESTION_FIELDS))
    db.session.add(question)
    db.session.flush()
    audit.record("question_create", staff=admin, target=f"category:{category.code}:{question.code}",
                 changes={"label": [None, question.description], "kind": [None, kind],
                          "required": [None, question.required], "choices": [None, [c["key"] for c in choices]]})
    return question


def delete_question(admin: StaffUser, category_id: int, question_id: int) -> None:
    """Remove a question nobody has answered yet (flushes); answered ones stay with their answers."""
    category = _category_in_town(admin, category_id)
    question = db.session.get(ServiceAttribute, question_id)
    if question is None or question.category_id != category.id:
        raise NotFound(_l("Diese Frage gibt es nicht."))
    if db.session.scalar(select(func.count()).select_from(ReportAttributeValue)
                         .where(ReportAttributeValue.attribute_id == question.id)):
        raise DomainError(_l("Diese Frage wurde schon beantwortet und bleibt deshalb erhalten."), "question")
    audit.record("question_delete", staff=admin, target=f"category:{category.code}:{question.code}",
                 changes={"label": [question.description, None], "kind": [question.datatype, None]})
    db.session.delete(question)
    db.session.flush()


def _department_values(form: DepartmentForm) -> dict:
    return {"name": form.name.data, "emails": list(form.emails.data or []), "notification_mode": form.notification.data,
            "digest_hour": form.digest_hour.data if form.digest_hour.data is not None else 7}


def create_department(admin: StaffUser, form: DepartmentCreateForm) -> Department:
    """A new department of the admin's town (flushes)."""
    if db.session.scalar(select(Department.id).where(Department.jurisdiction_id == admin.jurisdiction_id,
                                                     Department.code == form.code.data)) is not None:
        raise DomainError(_l("Eine Abteilung mit diesem Code gibt es schon."), "code")
    values = _department_values(form)
    department = Department(jurisdiction_id=admin.jurisdiction_id, code=form.code.data, **values)
    db.session.add(department)
    db.session.flush()
    audit.record("department_create", staff=admin, target=f"department:{department.code}",
                 changes={k: [None, v] for k, v in values.items()})
    return department


def update_department(admin: StaffUser, department_id: int, form: DepartmentForm) -> Department:
    """Change a department's name, address and notification channel (flushes)."""
    department = _in_town(admin, Department, department_id, _l("Diese Abteilung gibt es nicht."))
    changes = _set_changed(department, _department_values(form))
    if changes:
        db.session.flush()
        audit.record("department_update", staff=admin, target=f"department:{department.code}", changes=changes)
    return department


def _rule_label(rule: RoutingRule) -> dict:
    return {"area": rule.area.code if rule.area else None, "category": rule.category.code if rule.category else None,
            "department": rule.department.code, "valid_from": rule.valid_from.isoformat() if rule.valid_from else None,
            "valid_until": rule.valid_until.isoformat() if rule.valid_until else None}


def add_rule(admin: StaffUser, form: RuleForm) -> RoutingRule:
    """A routing rule area × category → department of the admin's town (flushes, audited)."""
    jid = admin.jurisdiction_id
    area = _in_town(admin, Area, int(form.area.data), _l("Dieses Gebiet gibt es nicht.")) if form.area.data else None
    category = _category_in_town(admin, int(form.category.data)) if form.category.data else None
    department = _department(form.department.data, jid)
    if form.valid_from.data and form.valid_until.data and form.valid_from.data > form.valid_until.data:
        raise DomainError(_l("„Gültig bis“ liegt vor „Gültig ab“."), "valid_until")
    rule = RoutingRule(jurisdiction_id=jid, area=area, category=category, department=department,
                       valid_from=form.valid_from.data, valid_until=form.valid_until.data)
    db.session.add(rule)
    db.session.flush()
    audit.record("rule_create", staff=admin, target=f"rule:{rule.id}", changes={"rule": [None, _rule_label(rule)]})
    return rule


def delete_rule(admin: StaffUser, rule_id: int) -> None:
    """Remove a routing rule (flushes, audited); open reports keep their department until re-routed."""
    rule = _in_town(admin, RoutingRule, rule_id, _l("Diese Regel gibt es nicht."))
    audit.record("rule_delete", staff=admin, target=f"rule:{rule.id}", changes={"rule": [_rule_label(rule), None]})
    db.session.delete(rule)
    db.session.flush()
