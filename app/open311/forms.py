"""The API key admin form."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import Form, StringField

from app.forms import MaxLength, Repeated, cleaned


class ApiKeyForm(Form):
    name = StringField(filters=[cleaned], validators=[MaxLength(_l("Der Name"), 200)])
    rate_limit = StringField(filters=[cleaned], validators=[MaxLength(_l("Das Limit"), 200)])
    # Which actions may be granted is checked by create_client (one message for every path).
    actions = Repeated(default=[])
