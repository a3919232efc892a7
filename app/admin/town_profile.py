"""The town profile page: what the town calls itself, its crest and colours, who its mails come
from and how they are signed, how citizens reach it, its map, retention, the languages it offers
and legal details.

The checks are the town file's (app/jurisdictions/profile.py, legal.py); here they are worded in
German per field. Every change raises the town's ``profile_version`` (the pages' cached face of
the town, app/branding.py) and is audited with before and after.
"""
from __future__ import annotations

import hashlib

from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import Form, StringField

from app.branding import forget_town
from app.db import db
from app.errors import DomainError, ValidationFailed
from app.forms import Flag, Repeated, cleaned
from app.i18n import DEFAULT_LOCALE, LANGUAGE_NAMES, installation_languages, town_choice
from app.jurisdictions import legal, limits, profile
from app.jurisdictions.models import Jurisdiction
from app.staff import audit
from app.staff.models import StaffUser
from app.staff.wording import PROFILE_FIELDS
from app.validation import is_email

# The page's sections: (heading, profile keys).
SECTIONS = (
    (_l("Name"), ("short_name", "name_in_sentence", "website")),
    (_l("Farben"), ("colour", "colour_dark")),
    (_l("E-Mails an Bürgerinnen, Bürger und Abteilungen"), ("mail_sender_name", "mail_sender_address", "mail_signature")),
    (_l("Kontakt (steht unter jeder E-Mail)"), ("contact_phone", "contact_address", "opening_hours")),
    (_l("Karte"), ("map_lat", "map_lon", "map_zoom", "tile_url", "tile_attribution")),
    (_l("Aufbewahrung (Datenschutz)"), ("retention_closed_days", "retention_unconfirmed_days")),
    (_l("Grenzen für Meldungen"), limits.LIMIT_KEYS),
)
KIND = {f.name: f.kind for f in profile.FIELDS}
LOW_HIGH = {f.name: (f.low, f.high) for f in profile.FIELDS}
LEGAL_KIND = {f.name: f.kind for f in legal.FIELDS}
LEGAL_LABELS = {
    "address_street": _l("Straße und Hausnummer des Rathauses"), "address_postcode": _l("Postleitzahl"),
    "address_town": _l("Ort"), "phone": _l("Telefon (Impressum)"), "email": _l("E-Mail (Impressum)"),
    "representative": _l("Vertreten durch"), "content_responsible": _l("Inhaltlich verantwortlich (§ 18 Abs. 2 MStV)"),
    "supervisory_authority": _l("Aufsichtsbehörde"), "vat_id": _l("Umsatzsteuer-Identifikationsnummer"),
    "dpo_name": _l("Datenschutzbeauftragte Stelle"), "dpo_address": _l("Anschrift des Datenschutzes"),
    "dpo_email": _l("E-Mail des Datenschutzes"), "dpo_phone": _l("Telefon des Datenschutzes"),
    "feedback_name": _l("Rückmeldungen zu Barrieren: Stelle"), "feedback_email": _l("Rückmeldungen zu Barrieren: E-Mail"),
    "feedback_phone": _l("Rückmeldungen zu Barrieren: Telefon"),
    "statement_date": _l("Erklärung zur Barrierefreiheit erstellt am (JJJJ-MM-TT)"),
    "enforcement_body": _l("Schlichtungsstelle"), "enforcement_url": _l("Webadresse der Schlichtungsstelle"),
}
MAX_UPLOAD = 512 * 1024
# Input types for the page (phones get the right keyboard).
INPUT_TYPES = {"email": "email", "phone": "tel", "url": "url", "tile_url": "url", "int": "number", "date": "date"}

def _profile_form_class() -> type[Form]:
    fields = {name: StringField(filters=[cleaned]) for name in profile.FIELD_NAMES}
    fields.update({f"legal_{name}": StringField(filters=[cleaned]) for name in legal.FIELD_NAMES})
    fields["name"] = StringField(filters=[cleaned])
    fields["contact_email"] = StringField(filters=[cleaned])
    # Whether the public sees a report's expected completion date (report page, Open311).
    fields["public_deadlines"] = Flag()
    # The languages the town offers besides German (checkboxes; unknown codes are ignored).
    fields["languages"] = Repeated()
    # Unticked boxes send nothing: this hidden field tells "no language ticked" from a form that
    # has no language boxes (a page loaded before they existed), which leaves the languages alone.
    fields["languages_shown"] = Flag()
    return type("TownProfileForm", (Form,), fields)


TownProfileForm = _profile_form_class()


def _problem(key: str, kind: str, label, ceilings: dict | None = None) -> DomainError:
    """A refused value, worded for the page (the checks' own words are English, for files)."""
    if kind in ("int", "float"):
        low, high = LOW_HIGH[key]
        low, high = (f"{v:g}".replace(".", ",") for v in (low, min(high, (ceilings or {}).get(key, high))))
        message = _l("„%(label)s“: Bitte geben Sie eine Zahl von %(low)s bis %(high)s an.", label=label, low=low,
                     high=high)
    elif key == "mail_sender_name":
        message = _l("„%(label)s“: ein Name ohne die Zeichen < > \" @ , ;", label=label)
    elif kind == "email":
        message = _l("„%(label)s“: Bitte geben Sie eine gültige E-Mail-Adresse an.", label=label)
    elif kind == "phone":
        message = _l("„%(label)s“: Bitte geben Sie eine Telefonnummer an (Ziffern, Leerzeichen und + - / ( )).",
                     label=label)
    elif kind == "url":
        message = _l("„%(label)s“: Bitte geben Sie eine Webadresse an, die mit https:// beginnt.", label=label)
    elif kind == "tile_url":
        message = _l("„%(label)s“: Bitte geben Sie eine Kachel-Adresse wie https://host/{z}/{x}/{y}.png an.",
                     label=label)
    elif kind == "colour":
        message = _l("„%(label)s“: Bitte geben Sie eine Farbe wie #005a9c an, auf der weiße Schrift mindestens "
                     "4,5:1 Kontrast hat (die dunkle Farbe zudem 3:1 zum gelben Fokusrahmen).", label=label)
    elif kind == "date":
        message = _l("„%(label)s“: Bitte geben Sie ein Datum wie 2026-11-25 an.", label=label)
    elif kind == "lines":
        message = _l("„%(label)s“: höchstens 500 Zeichen, ohne Steuerzeichen.", label=label)
    else:
        message = _l("„%(label)s“: höchstens 500 Zeichen in einer Zeile, ohne Steuerzeichen.", label=label)
    return DomainError(message, key)


def _number(kind: str, raw: str):
    """A typed number (German decimal comma allowed); the raw text when it is none, for the check to refuse."""
    if not raw:
        return None
    try:
        return int(raw) if kind == "int" else float(raw.replace(",", "."))
    except ValueError:
        return raw


def read_form(form: Form) -> tuple[dict, dict, dict]:
    """(town columns, profile, legal) from the page's form; raises ValidationFailed naming each field."""
    errors: list[DomainError] = []
    town = {"name": form.name.data or "", "contact_email": form.contact_email.data or None,
            "public_deadlines": bool(form.public_deadlines.data),
            "languages": [code for code in installation_languages()
                          if code == DEFAULT_LOCALE or code in (form.languages.data or [])]
            if form.languages_shown.data else None}
    if not town["name"] or len(town["name"]) > 200:
        errors.append(DomainError(_l("Bitte geben Sie den Namen der Stadt an (höchstens 200 Zeichen)."), "name"))
    if town["contact_email"] and not is_email(town["contact_email"]):
        errors.append(_problem("contact_email", "email", PROFILE_FIELDS["contact_email"]))
    raw = {}
    for name in profile.FIELD_NAMES:
        value = getattr(form, name).data or ""
        raw[name] = _number(KIND[name], value) if KIND[name] in ("int", "float") else value
    ceilings = limits.ceilings(current_app.config)
    try:
        values = profile.clean_profile(raw, ceilings)
    except profile.ProfileError as exc:
        errors += [_problem(key, KIND[key], PROFILE_FIELDS[key], ceilings) for key in exc.problems]
        values = {}
    try:
        legal_values = legal.merged_legal({}, {name: getattr(form, f"legal_{name}").data or None
                                               for name in legal.FIELD_NAMES})
    except legal.LegalSettingsError as exc:
        errors += [_problem(f"legal_{p.field}", LEGAL_KIND[p.field], LEGAL_LABELS[p.field])
                   for p in getattr(exc, "problems", [exc])]
        legal_values = {}
    if errors:
        raise ValidationFailed(errors)
    return town, values, legal_values


def _changed_keys(before: dict, after: dict) -> dict:
    return {k: [before.get(k), after.get(k)] for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)}


def limit_hints() -> dict[str, str]:
    """Under each limit field: what an empty field means and the most it may be."""
    ceilings = limits.ceilings(current_app.config)
    per_day = limits.installation_reports_per_day(str(current_app.config["INTAKE_RATE_LIMIT"]))
    hints = {
        "max_photos_per_report": gettext("Leer: %(n)s, die Voreinstellung der Installation und zugleich das "
                                         "Höchste.", n=ceilings["max_photos_per_report"]),
        "max_photo_mb": gettext("Leer: %(n)s MB, die Voreinstellung der Installation und zugleich das Höchste.",
                                n=ceilings["max_photo_mb"]),
    }
    if per_day:
        hints["reports_per_day"] = gettext("Über eine Internetverbindung (Formular und App zusammen). Leer: %(n)s, "
                                           "die Voreinstellung der Installation und zugleich das Höchste.", n=per_day)
    else:
        hints["reports_per_day"] = gettext("Über eine Internetverbindung (Formular und App zusammen). Leer: keine "
                                           "Grenze außer der der Installation.")
    return hints


def language_choices(jurisdiction: Jurisdiction) -> list[dict]:
    """The page's checkboxes: each language of the installation but German (always offered),
    ticked when the town offers it (a town that never chose offers all)."""
    offered = town_choice(jurisdiction.languages, installation_languages())
    return [{"code": code, "name": LANGUAGE_NAMES[code], "checked": code in offered}
            for code in installation_languages() if code != DEFAULT_LOCALE]


def update_profile(admin: StaffUser, form: Form) -> dict:
    """Save the profile page (flushes); returns the audited changes (empty: nothing changed)."""
    town, values, legal_values = read_form(form)
    jurisdiction = db.session.get(Jurisdiction, admin.jurisdiction_id)
    languages = town.pop("languages")
    changes = _changed_keys({"name": jurisdiction.name, "contact_email": jurisdiction.contact_email,
                             "public_deadlines": jurisdiction.public_deadlines}, town)
    # Compared as offered: a town that never chose (all the installation's) and keeps all is unchanged.
    if languages is not None and list(town_choice(jurisdiction.languages, installation_languages())) != languages:
        changes["languages"] = [jurisdiction.languages, languages]
    changes.update(_changed_keys(dict(jurisdiction.profile or {}), values))
    old_legal = dict(jurisdiction.legal or {})
    if old_legal != legal_values:
        changes["legal"] = [old_legal, legal_values]
    if not changes:
        return {}
    jurisdiction.name, jurisdiction.contact_email = town["name"], town["contact_email"]
    jurisdiction.public_deadlines = town["public_deadlines"]
    if "languages" in changes:
        jurisdiction.languages = languages
    jurisdiction.profile, jurisdiction.legal = values, legal_values
    jurisdiction.profile_version = (jurisdiction.profile_version or 1) + 1
    db.session.flush()
    audit.record("town_profile_update", staff=admin, target=f"town:{jurisdiction.slug}", changes=changes)
    forget_town(jurisdiction.id)
    return changes


_CREST_REFUSALS = {
    "too_large": _l("Das Wappen ist zu groß: höchstens 512 KB und 2048 × 2048 Bildpunkte."),
    "not_svg_or_png": _l("Bitte laden Sie das Wappen als SVG- oder PNG-Datei hoch."),
    "bad_svg": _l("Die SVG-Datei ließ sich nicht lesen oder enthält keine Zeichnung."),
    "bad_png": _l("Die PNG-Datei ließ sich nicht lesen."),
}


def _crest_label(data: bytes | None, media_type: str | None) -> str | None:
    return f"{media_type} sha256:{hashlib.sha256(data).hexdigest()[:12]}" if data else None


def set_crest(admin: StaffUser, data: bytes | None) -> None:
    """Store an uploaded crest, sanitised (media/crest.py); None removes it. Flushes, audited."""
    from media.crest import CrestRejected, clean_crest

    media_type = None
    if data is not None:
        if not data:
            raise DomainError(_l("Bitte wählen Sie eine Datei aus."), "crest")
        try:
            data, media_type = clean_crest(data)
        except CrestRejected as exc:
            raise DomainError(_CREST_REFUSALS[exc.code], "crest") from None
    jurisdiction = db.session.get(Jurisdiction, admin.jurisdiction_id)
    before = _crest_label(jurisdiction.crest, jurisdiction.crest_type)
    after = _crest_label(data, media_type)
    if before == after:
        return
    jurisdiction.crest, jurisdiction.crest_type = data, media_type
    jurisdiction.profile_version = (jurisdiction.profile_version or 1) + 1
    db.session.flush()
    audit.record("town_crest_update", staff=admin, target=f"town:{jurisdiction.slug}",
                 changes={"crest": [before, after]})
    forget_town(jurisdiction.id)
