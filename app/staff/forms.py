"""The report page's and the queue's action forms.

The forms parse what was typed; what a value may be for a given report (a status
transition, a department of the town, the note's length) is the operations' business.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import Form, StringField, TextAreaField, ValidationError
from wtforms.validators import AnyOf, DataRequired, EqualTo, Optional, Regexp

from app.forms import EmailAddress, Flag, IdList, MaxLength, cleaned
from app.reports.models import CHANNELS

_ID = r"^\d{1,9}$"


class StatusForm(Form):
    status = StringField(filters=[cleaned], validators=[MaxLength(_l("Der Status"), 32)])
    public_note = TextAreaField(filters=[cleaned])
    template_id = StringField(filters=[cleaned], validators=[
        Optional(), Regexp(_ID, message=_l("Diesen Textbaustein gibt es nicht."))])
    detail = TextAreaField(filters=[cleaned])
    duplicate_of = StringField(filters=[cleaned], validators=[MaxLength(_l("Die Vorgangsnummer"), 50)])


class PriorityForm(Form):
    priority = StringField(filters=[cleaned], validators=[
        DataRequired(_l("Diese Priorität gibt es nicht.")), Regexp(r"^\d$", message=_l("Diese Priorität gibt es nicht."))])


class ReassignForm(Form):
    department = StringField(filters=[cleaned], validators=[
        DataRequired(_l("Bitte wählen Sie eine Abteilung.")), Regexp(_ID, message=_l("Bitte wählen Sie eine Abteilung."))])
    reason = TextAreaField(filters=[cleaned])
    # Sent only by the confirmation page's button: the first post shows that page.
    confirmed = Flag()


class NoteForm(Form):
    note = TextAreaField(filters=[cleaned])


class DescriptionForm(Form):
    public_description = TextAreaField(filters=[cleaned])
    published = Flag()


class VisibilityForm(Form):
    hidden = Flag()


class PhotoPublishForm(Form):
    published = Flag()


class BulkForm(Form):
    ids = IdList(message=_l("Die Auswahl enthält eine ungültige Meldungsnummer."))
    action = StringField(filters=[cleaned])
    value = StringField(filters=[cleaned])
    public_note = TextAreaField(filters=[cleaned])
    reason = TextAreaField(filters=[cleaned])
    back = StringField()
    confirmed = Flag()  # a forwarding is asked about once more, naming the department

    def validate_back(self, field) -> None:
        # Checked before anything changes: a line break in a redirect target is refused by the
        # header writer, which used to be a 500 after the change was already committed.
        if field.data and not field.data.isprintable():
            raise ValidationError(str(_l("Die Rücksprungadresse ist ungültig.")))


class CorrectionForm(Form):
    """Category, pin (coordinates from the map, or an address) and place text of a report."""

    category = StringField(filters=[cleaned], validators=[
        Optional(), Regexp(_ID, message=_l("Diese Kategorie gibt es nicht."))])
    lat = StringField(filters=[cleaned], validators=[MaxLength(_l("Die Breite"), 30)])
    lon = StringField(filters=[cleaned], validators=[MaxLength(_l("Die Länge"), 30)])
    address = StringField(filters=[cleaned], validators=[MaxLength(_l("Die Adresse"), 200)])
    place_text = TextAreaField(filters=[cleaned])
    notify = Flag()
    public_note = TextAreaField(filters=[cleaned])
    # Sent by the question page when the rules name another department: "neu" or "behalten".
    routing = StringField(filters=[cleaned], validators=[
        Optional(), Regexp(r"^(neu|behalten)$", message=_l("Bitte wählen Sie, wer zuständig sein soll."))])


class IntakeForm(Form):
    """A report taken by staff for someone who phoned, came by, wrote: the citizen form's fields
    (checked by the same operation) plus the channel and an optional phone number."""

    channel = StringField(filters=[cleaned], validators=[
        DataRequired(_l("Bitte wählen Sie, wie die Meldung eingegangen ist.")),
        AnyOf(CHANNELS, message=_l("Bitte wählen Sie, wie die Meldung eingegangen ist."))])
    category = StringField(filters=[cleaned], validators=[MaxLength(_l("Die Kategorie"), 100)])
    description = TextAreaField(filters=[cleaned])
    address = StringField(filters=[cleaned])
    lat = StringField(filters=[cleaned], validators=[MaxLength(_l("Die Breite"), 30)])
    lon = StringField(filters=[cleaned], validators=[MaxLength(_l("Die Länge"), 30)])
    name = StringField(filters=[cleaned])
    phone = StringField(filters=[cleaned], validators=[
        Optional(), Regexp(r"^[0-9+()/ .-]{3,50}$",
                           message=_l("Die Telefonnummer darf nur Ziffern, Leerzeichen und + ( ) / - . enthalten "
                                      "(höchstens 50 Zeichen)."))])
    email = StringField(filters=[cleaned], validators=[EmailAddress()])


class AssignForm(Form):
    assignee = StringField(filters=[cleaned], validators=[
        DataRequired(_l("Bitte wählen Sie eine Person oder ein Team der Abteilung.")),
        MaxLength(_l("Die Auswahl"), 30)])


class TeamForm(Form):
    name = StringField(filters=[cleaned], validators=[DataRequired(_l("Bitte geben Sie dem Team einen Namen.")),
                                                      MaxLength(_l("Der Name"), 100)])
    department = StringField(filters=[cleaned], validators=[
        DataRequired(_l("Bitte wählen Sie eine Abteilung.")), Regexp(_ID, message=_l("Bitte wählen Sie eine Abteilung."))])


class TeamMemberForm(Form):
    username = StringField(filters=[cleaned], validators=[DataRequired(_l("Bitte geben Sie einen Benutzernamen an.")),
                                                          MaxLength(_l("Der Benutzername"), 100)])
    remove = Flag()


def _cut(limit: int):
    # Sign-in fields are cut, not refused: a refusal for length would answer differently (and
    # faster) than a wrong password, and no real name or password is that long.
    return lambda value: (value or "")[:limit]


class SignInForm(Form):
    username = StringField(filters=[_cut(200)])
    password = StringField(filters=[_cut(1000)])
    next = StringField()


class ForgotPasswordForm(Form):
    username = StringField(filters=[cleaned, _cut(320)])


class NewPasswordForm(Form):
    password = StringField(filters=[_cut(1000)])
    password_repeat = StringField(filters=[_cut(1000)], validators=[
        EqualTo("password", message=_l("Die beiden Passwörter stimmen nicht überein."))])
