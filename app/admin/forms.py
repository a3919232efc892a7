"""The admin pages' forms (accounts, text templates, category deadlines, the audit log filter)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import Form, PasswordField, StringField
from wtforms.validators import AnyOf, InputRequired, NumberRange, Optional, Regexp

from app.forms import EmailAddress, Flag, MaxLength, WholeNumber, cleaned
from app.reports.status import STATUSES
from app.staff.models import ROLES

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


class CategorySettingsForm(Form):
    target_days = WholeNumber(message=_DEADLINE, validators=[InputRequired(_DEADLINE),
                                                             NumberRange(1, 365, message=_DEADLINE)])
    active = Flag()


class AuditFilterForm(Form):
    vor = StringField(validators=[Optional(), Regexp(r"^\d{1,18}$",
                                                     message=_l("Der Verweis auf die nächste Seite ist ungültig."))])
    wer = StringField(filters=[cleaned], validators=[MaxLength(_l("Der Name"), 100)])
    aktion = StringField(filters=[cleaned], validators=[MaxLength(_l("Die Aktion"), 50)])
