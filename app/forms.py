"""WTForms for every hand-typed form: fields parsed and checked in one place, German messages.

Forms parse request data only; CSRF is checked app-wide by Flask-WTF's ``CSRFProtect``
(app/extensions.py), so these are plain ``wtforms.Form``s. ``validated(form)`` turns the
errors into one ``ValidationFailed`` that the error handler answers with a 400 naming
each field, like every other refusal.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, Field, Form, IntegerField, ValidationError
from wtforms.validators import StopValidation

from app.errors import DomainError, ValidationFailed
from app.validation import clean_text, normalize_email, too_long


def validated(form: Form) -> Form:
    """Return ``form`` if it validates; otherwise raise ``ValidationFailed`` with every field error."""
    if form.validate():
        return form
    errors = [DomainError(message, name) for name, messages in form.errors.items() for message in messages]
    raise ValidationFailed(errors)


def cleaned(value: str | None) -> str:
    """A field filter: typed text without control characters, trimmed."""
    return clean_text(value).strip()


class EmailAddress:
    """One mailbox, checked by email-validator (``app.validation.normalize_email``); stores the
    normalized address in ``field.data``. An empty field passes (combine with DataRequired)."""

    def __call__(self, form: Form, field) -> None:
        if not field.data:
            field.data = None
            return
        try:
            field.data = normalize_email(field.data, field.name)
        except DomainError as exc:
            raise ValidationError(str(exc.message)) from None




class MaxLength:
    """At most ``limit`` characters, refused with the one "too long" message of app/validation.py."""

    def __init__(self, label, limit: int):
        self.label, self.limit = label, limit

    def __call__(self, form: Form, field) -> None:
        if field.data is not None and len(field.data) > self.limit:
            raise ValidationError(str(too_long(self.label, self.limit, field.name).message))


class WholeNumber(IntegerField):
    """An integer field whose parse error is ``message`` (WTForms' own is English)."""

    def __init__(self, label=None, validators=None, message=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.message = message or _l("Bitte geben Sie eine ganze Zahl an.")

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0].strip():
            try:
                self.data = int(valuelist[0].strip())
            except ValueError:
                self.data = None
                raise ValueError(str(self.message)) from None
        else:
            self.data = None


class Flag(BooleanField):
    """A yes/no sent as "1" (a checked box, or a button's hidden value); anything else is no.

    WTForms' BooleanField counts every value but "false" and "" as yes, which would read the
    pages' explicit "0" as yes."""

    def process_formdata(self, valuelist):
        self.data = bool(valuelist) and valuelist[0] == "1"


class IdList(Field):
    """Every value of a repeated field (``ids=3&ids=7``), each a positive whole number."""

    def __init__(self, label=None, validators=None, message=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.message = message or _l("Diese Auswahl gibt es nicht.")

    def process_formdata(self, valuelist):
        self.data = list(valuelist)

    def pre_validate(self, form) -> None:
        for raw in self.data or []:
            if not (raw.isascii() and raw.isdigit() and len(raw) <= 9):
                raise StopValidation(str(self.message))
        self.data = [int(raw) for raw in self.data or []]


class Repeated(Field):
    """Every value of a repeated field (``actions=a&actions=b``), cleaned; checking them is the caller's."""

    def process_formdata(self, valuelist):
        self.data = [cleaned(value) for value in valuelist]
