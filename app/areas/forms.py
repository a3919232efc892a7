"""The areas admin page's forms: importing an area file, applying a re-routing."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import Form, StringField, TextAreaField
from wtforms.validators import AnyOf, Optional

from wtforms.validators import InputRequired, NumberRange

from app.forms import Flag, MaxLength, WholeNumber, cleaned
from geo.areaimport import SUPPORTED_SRIDS
from geo.areas import AREA_KIND_RANK


class AreaImportForm(Form):
    kind = StringField(default="ortsteil", filters=[lambda v: v or "ortsteil"],
                       validators=[AnyOf(list(AREA_KIND_RANK), message=_l("Diese Gebietsart gibt es nicht."))])
    # Empty: the CRS the file declares (or WGS 84); otherwise one of the supported EPSG codes.
    srid = StringField(validators=[Optional(), AnyOf([str(s) for s in SUPPORTED_SRIDS],
                                                message=_l("Dieses Koordinatensystem wird nicht unterstützt."))])
    replace = Flag()


class RerouteForm(Form):
    fingerprint = StringField(filters=[cleaned], validators=[MaxLength(_l("Der Prüfwert"), 200)])
    reason = TextAreaField(filters=[cleaned], validators=[MaxLength(_l("Die Begründung"), 2000)])


class AreaForm(Form):
    """Rename an area, change its kind or its rank (higher wins where areas overlap)."""
    name = StringField(filters=[cleaned], validators=[InputRequired(_l("Bitte geben Sie einen Namen an.")),
                                                      MaxLength(_l("Der Name"), 200)])
    kind = StringField(validators=[AnyOf(list(AREA_KIND_RANK), message=_l("Diese Gebietsart gibt es nicht."))])
    rank = WholeNumber(message=_l("Der Rang muss eine ganze Zahl von 0 bis 100 sein."),
                       validators=[Optional(), NumberRange(0, 100, message=_l(
                           "Der Rang muss eine ganze Zahl von 0 bis 100 sein."))])
