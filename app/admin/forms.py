"""The admin pages' forms (accounts, text templates, categories and their questions, the audit log filter)."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms import DateField, Form, PasswordField, StringField, TextAreaField, ValidationError
from wtforms.validators import AnyOf, InputRequired, NumberRange, Optional, Regexp

from app.errors import DomainError
from app.forms import EmailAddress, Flag, MaxLength, WholeNumber, cleaned
from app.icons import CATEGORY_ICONS
from app.validation import normalize_email
from app.reports.status import STATUSES
from app.staff.models import ROLES
from app.jurisdictions.texts import CATEGORY_FIELDS, QUESTION_FIELDS, flat_keys
from app.jurisdictions.video import valid_sign_language_video

_ID = Regexp(r"^\d{1,18}$", message=_l("Diese Auswahl gibt es nicht."))


def _lower(value: str | None) -> str | None:
    return value.lower() if value else value


class AccountForm(Form):
    username = StringField(filters=[cleaned, _lower], validators=[
        InputRequired(_l("Der Benutzername darf nur Buchstaben, Ziffern und - _ . enthalten.")),
        MaxLength(_l("Der Benutzername"), 100),
        Regexp(r"^[\w.\-]+$", message=_l("Der Benutzername darf nur Buchstaben, Ziffern und - _ . enthalten."))])
    display_name = StringField(filters=[cleaned], validators=[MaxLength(_l("Der Name"), 200)])
    email = StringField(filters=[cleaned], validators=[EmailAddress()])
    role = StringField(validators=[AnyOf(ROLES, message=_l("Diese Rolle gibt es nicht."))])
    department = StringField(filters=[cleaned], validators=[Optional(), _ID])
    password = PasswordField()


class AccountUpdateForm(Form):
    role = StringField(validators=[Optional(), AnyOf(ROLES, message=_l("Diese Rolle gibt es nicht."))])
    department = StringField(filters=[cleaned], validators=[Optional(), _ID])
    active = Flag()
    password = PasswordField()
    oidc_subject = StringField(filters=[cleaned], validators=[MaxLength(_l("Die Dienstkonto-Kennung"), 255)])


class TextTemplateForm(Form):
    title = StringField(filters=[cleaned], validators=[
        InputRequired(_l("Bitte Titel und Text des Textbausteins angeben.")), MaxLength(_l("Der Titel"), 200)])
    body = StringField(filters=[cleaned], validators=[
        InputRequired(_l("Bitte Titel und Text des Textbausteins angeben.")), MaxLength(_l("Der Text"), 5000)])
    status = StringField(validators=[Optional(), AnyOf(list(STATUSES), message=_l("Diesen Status gibt es nicht."))])
    category = StringField(filters=[cleaned], validators=[Optional(), _ID])


_DEADLINE = _l("Die Bearbeitungsfrist muss zwischen 1 und 365 Tagen liegen.")


def _sign_language_video(form: Form, field) -> None:
    if not valid_sign_language_video(field.data or ""):
        raise ValidationError(str(_l("Bitte geben Sie eine https-Adresse oder eine MP4- oder WebM-Datei unter "
                                     "app/static an (z. B. video/dgs.mp4).")))


class SignLanguageVideoForm(Form):
    video = StringField(filters=[cleaned], validators=[MaxLength(_l("Die Angabe zum Video"), 500), _sign_language_video])


class CategorySettingsForm(Form):
    target_days = WholeNumber(message=_DEADLINE, validators=[InputRequired(_DEADLINE),
                                                             NumberRange(1, 365, message=_DEADLINE)])
    active = Flag()


_CODE = Regexp(r"^[a-z0-9][a-z0-9_-]{0,99}$",
               message=_l("Der Code darf nur Kleinbuchstaben, Ziffern, - und _ enthalten."))
# What a citizen is asked: the Open311 datatypes, and yes/no (stored as a choice of ja/nein).
QUESTION_KINDS = ("string", "text", "number", "singlevaluelist", "multivaluelist", "yesno")


class CategoryCreateForm(Form):
    code = StringField(filters=[cleaned], validators=[InputRequired(_l("Bitte geben Sie einen Code an.")), _CODE])
    name = StringField(filters=[cleaned], validators=[InputRequired(_l("Bitte geben Sie einen Namen an.")),
                                                      MaxLength(_l("Der Name"), 200)])
    group = StringField(filters=[cleaned], validators=[MaxLength(_l("Die Gruppe"), 100)])


class CategoryEditForm(Form):
    name = StringField(filters=[cleaned], validators=[InputRequired(_l("Bitte geben Sie einen Namen an.")),
                                                      MaxLength(_l("Der Name"), 200)])
    name_en = StringField(filters=[cleaned], validators=[MaxLength(_l("Der englische Name"), 200)])
    description = TextAreaField(filters=[cleaned], validators=[MaxLength(_l("Die Beschreibung"), 2000)])
    group = StringField(filters=[cleaned], validators=[MaxLength(_l("Die Gruppe"), 100)])
    notice = TextAreaField(filters=[cleaned], validators=[MaxLength(_l("Der Hinweis"), 1000)])
    stop_notice = TextAreaField(filters=[cleaned], validators=[MaxLength(_l("Der Stopp-Hinweis"), 1000)])
    target_days = WholeNumber(message=_DEADLINE, validators=[InputRequired(_DEADLINE),
                                                             NumberRange(1, 365, message=_DEADLINE)])
    publish_immediately = Flag()
    active = Flag()
    # One of the icon set's names, or empty for none (the pages then draw a neutral pin).
    icon = StringField(validators=[Optional(), AnyOf(tuple(CATEGORY_ICONS), message=_l("Dieses Symbol gibt es nicht."))])


# The category's texts in the citizens' other languages (name_tr, notice_en ...): empty shows the German.
for _key in flat_keys(CATEGORY_FIELDS):
    setattr(CategoryEditForm, _key, TextAreaField(filters=[cleaned], validators=[
        MaxLength(_l("Ein übersetzter Text"), 200 if _key.startswith("name_") or _key.startswith("group_") else 2000)]))


class QuestionForm(Form):
    code = StringField(filters=[cleaned], validators=[InputRequired(_l("Bitte geben Sie einen Code an.")), _CODE])
    label = StringField(filters=[cleaned], validators=[InputRequired(_l("Bitte geben Sie die Frage an.")),
                                                       MaxLength(_l("Die Frage"), 500)])
    label_en = StringField(filters=[cleaned], validators=[MaxLength(_l("Die englische Frage"), 500)])
    kind = StringField(validators=[AnyOf(QUESTION_KINDS, message=_l("Bitte wählen Sie die Art der Antwort."))])
    required = Flag()
    help = StringField(filters=[cleaned], validators=[MaxLength(_l("Der Hilfetext"), 500)])
    order = WholeNumber(message=_l("Die Reihenfolge muss eine ganze Zahl sein."),
                        validators=[Optional(), NumberRange(0, 999, message=_l("Die Reihenfolge muss eine ganze Zahl sein."))])
    choices = TextAreaField(filters=[cleaned], validators=[MaxLength(_l("Die Auswahl"), 4000)])


for _key in flat_keys(QUESTION_FIELDS):
    setattr(QuestionForm, _key, StringField(filters=[cleaned], validators=[MaxLength(_l("Ein übersetzter Text"), 500)]))


MAX_DEPARTMENT_EMAILS = 10


class EmailList:
    """Several mailboxes, separated by commas, semicolons, spaces or lines; stores the list of
    normalized addresses (each checked like ``EmailAddress``, none twice) in ``field.data``."""

    def __call__(self, form: Form, field) -> None:
        addresses = [a for a in re.split(r"[,;\s]+", field.data or "") if a]
        if len(addresses) > MAX_DEPARTMENT_EMAILS:
            raise ValidationError(str(_l("Höchstens %(n)s E-Mail-Adressen.", n=MAX_DEPARTMENT_EMAILS)))
        result = []
        for address in addresses:
            try:
                address = normalize_email(address, field.name)
            except DomainError as exc:
                raise ValidationError(str(exc.message)) from None
            if address not in result:
                result.append(address)
        field.data = result


class DepartmentForm(Form):
    name = StringField(filters=[cleaned], validators=[InputRequired(_l("Bitte geben Sie einen Namen an.")),
                                                      MaxLength(_l("Der Name"), 200)])
    emails = StringField(filters=[cleaned], validators=[EmailList()])
    notification = StringField(validators=[AnyOf(("immediate", "digest"),
                                                 message=_l("Bitte wählen Sie, wie die Abteilung benachrichtigt wird."))])
    digest_hour = WholeNumber(message=_l("Die Stunde muss zwischen 0 und 23 liegen."),
                              validators=[Optional(), NumberRange(0, 23, message=_l("Die Stunde muss zwischen 0 und 23 liegen."))])


class DepartmentCreateForm(DepartmentForm):
    code = StringField(filters=[cleaned], validators=[InputRequired(_l("Bitte geben Sie einen Code an.")), _CODE])


class RetireForm(Form):
    """Where the open reports of a retired department or category go: chosen, never preselected."""
    successor = StringField(filters=[cleaned], validators=[Optional(), _ID])
    confirmed = Flag()


class RuleForm(Form):
    area = StringField(filters=[cleaned], validators=[Optional(), _ID])
    category = StringField(filters=[cleaned], validators=[Optional(), _ID])
    department = StringField(filters=[cleaned], validators=[InputRequired(_l("Bitte wählen Sie eine Abteilung.")), _ID])
    valid_from = DateField(validators=[Optional()], format="%Y-%m-%d")
    valid_until = DateField(validators=[Optional()], format="%Y-%m-%d")
    reroute = Flag()
    fingerprint = StringField(filters=[cleaned], validators=[MaxLength(_l("Die Vorschau"), 100)])


class AuditFilterForm(Form):
    vor = StringField(validators=[Optional(), Regexp(r"^\d{1,18}$",
                                                     message=_l("Der Verweis auf die nächste Seite ist ungültig."))])
    wer = StringField(filters=[cleaned], validators=[MaxLength(_l("Der Name"), 100)])
    aktion = StringField(filters=[cleaned], validators=[MaxLength(_l("Die Aktion"), 50)])
