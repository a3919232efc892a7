"""The town's face on every page and in every mail: its names, crest, colours, mail sender,
signature, contact and map, mapped onto KERN UX design tokens.

They come from the town's profile (``jurisdictions.profile``, set on the admin page
"Stadtprofil" or in the town file; fields: app/jurisdictions/profile.py); a key the profile
does not set falls back to the installation's settings (``TOWN_*``, ``MAIL_FROM``, ``TILE_*``,
``RETENTION_*``).

``town`` in every template: ``town.name`` ("Stadt Harsewinkel", the header),
``town.short_name`` ("Harsewinkel", after "in"), ``town.in_sentence`` ("der Stadt
Harsewinkel", after "von", "bei" and as a genitive). The colours reach the pages as
``/stadt.css``: KERN's action, accent and brand tokens set to the town's colours (the CSP
allows no inline styles, and one cached file serves every page).

``current_town()`` is read on every page and mail, so it is cheap: the request's town row (one
indexed query, once per request) and a per-process cache of the built ``Town`` keyed by the
row's ``profile_version``, which every change of the profile raises.
"""
from __future__ import annotations

import hashlib
import mimetypes
import re
import time
from dataclasses import dataclass, replace
from email.headerregistry import Address
from email.utils import parseaddr
from pathlib import Path

from flask import Blueprint, Flask, Response, abort, current_app, g, has_request_context, request, url_for

from app.config import PROJECT_ROOT
from app.jurisdictions.profile import colour_problem, contrast, luminance  # noqa: F401  (re-exported)
from app.towncontext import current_town_id

bp = Blueprint("branding", __name__)
WORKER_RECHECK_SECONDS = 1.0


@dataclass(frozen=True)
class Town:
    name: str
    short_name: str
    in_sentence: str
    # TOWN_CREST's file, shown only while there is no town row; a town's crest is in its row
    # (migration 2410 copied TOWN_CREST there), so removing it on the profile page removes it.
    crest: Path | None
    colour: str
    colour_dark: str
    website: str
    mail_sender_name: str = ""
    mail_sender_address: str = "maengelmelder@localhost"
    mail_signature: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    contact_address: str = ""
    opening_hours: str = ""
    map_center: tuple[float, float] = (51.962, 8.229)
    map_zoom: int = 14
    tile_url: str = ""
    tile_attribution: str = ""  # plain text from the profile; empty: the setting (HTML allowed there)
    retention_closed_days: int = 90
    retention_unconfirmed_days: int = 7
    crest_type: str | None = None  # the database crest's media type, if the profile has one
    # The town's choice among the installation's languages (None: all of them); app.i18n reads it.
    languages: tuple[str, ...] | None = None
    jurisdiction_id: int | None = None
    version: int = 0
    css_version: str = ""

    def in_sentence_for(self, locale: str) -> str:
        """The name after "von", "in", "bei" or as a genitive: "der Stadt Harsewinkel" in German,
        the short name in English ("in Harsewinkel"), where the article would read wrong."""
        return self.in_sentence if locale == "de" else self.short_name

    @property
    def has_crest(self) -> bool:
        return bool(self.crest or self.crest_type)

    @property
    def crest_url(self) -> str | None:
        return url_for("branding.crest", v=self.version) if self.has_crest else None

    @property
    def stylesheet_url(self) -> str:
        return url_for("branding.stylesheet", v=self.css_version)

    @property
    def mail_from(self) -> Address:
        """The sender of every mail: the town's name for it and its address."""
        return Address(display_name=self.mail_sender_name, addr_spec=self.mail_sender_address)

    @property
    def contact_lines(self) -> list[str]:
        """The signature's contact block: address, phone, e-mail, opening hours (set ones only)."""
        lines = [line for line in self.contact_address.splitlines() if line.strip()]
        if self.contact_phone:
            lines.append(self.contact_phone)
        if self.contact_email:
            lines.append(self.contact_email)
        return lines + [line for line in self.opening_hours.splitlines() if line.strip()]

    @property
    def signature_lines(self) -> list[str]:
        return [line for line in self.mail_signature.splitlines() if line.strip()]


def short_town_name(name: str) -> str:
    """"Stadt Harsewinkel" -> "Harsewinkel": the name after "in" ("in Harsewinkel", never
    "in Stadt Harsewinkel")."""
    return re.sub(r"^(Stadt|Gemeinde|Hansestadt|Kreisstadt|Große Kreisstadt)\s+", "", name.strip())


def _name_forms(name: str, short: str = "", in_sentence: str = "") -> tuple[str, str]:
    short = short.strip() or short_town_name(name)
    # "Stadt X" / "Gemeinde X" take "der" in a sentence ("von der Stadt X"); a bare name takes none.
    return short, in_sentence.strip() or (f"der {name}" if short != name else name)


def town_from_config(config) -> Town:
    """The town's branding from settings; raises ValueError naming a setting that is wrong."""
    name = config["TOWN_NAME"].strip()
    short, in_sentence = _name_forms(name, config["TOWN_SHORT_NAME"], config["TOWN_NAME_IN_SENTENCE"])
    crest = None
    if config["TOWN_CREST"]:
        crest = Path(config["TOWN_CREST"])
        crest = crest if crest.is_absolute() else PROJECT_ROOT / crest
        if not crest.is_file() or mimetypes.guess_type(crest.name)[0] not in ("image/svg+xml", "image/png"):
            raise ValueError(f"TOWN_CREST: {crest} is not an SVG or PNG file")
    for setting in ("TOWN_COLOR", "TOWN_COLOR_DARK"):
        problem = colour_problem(setting, config[setting])
        if problem:
            raise ValueError(f"{setting}: {problem}")
    sender_name, sender_address = parseaddr(config["MAIL_FROM"])
    town = Town(name=name, short_name=short, in_sentence=in_sentence, crest=crest,
                colour=config["TOWN_COLOR"].lower(), colour_dark=config["TOWN_COLOR_DARK"].lower(),
                website=config["TOWN_WEBSITE"].strip(), mail_sender_name=sender_name,
                mail_sender_address=sender_address or "maengelmelder@localhost", tile_url=config["TILE_URL"],
                retention_closed_days=int(config["RETENTION_CLOSED_DAYS"]),
                retention_unconfirmed_days=int(config["RETENTION_UNCONFIRMED_DAYS"]))
    return _with_css_version(town)


def _with_css_version(town: Town) -> Town:
    return replace(town, css_version=hashlib.sha256(town_css(town).encode()).hexdigest()[:10])


_PROFILE_KEYS = ("colour", "colour_dark", "website", "mail_sender_address", "mail_signature", "contact_phone",
                 "contact_address", "opening_hours", "map_zoom", "tile_url", "tile_attribution",
                 "retention_closed_days", "retention_unconfirmed_days")


def town_from_profile(defaults: Town, jurisdiction) -> Town:
    """``defaults`` (the settings' town) overlaid with the town row's name and profile."""
    profile = jurisdiction.profile or {}
    name = jurisdiction.name
    settings_town = name == defaults.name
    if settings_town:
        short, in_sentence = _name_forms(name, profile.get("short_name") or defaults.short_name,
                                         profile.get("name_in_sentence") or defaults.in_sentence)
    else:  # another town than the settings describe: its own name forms, never the settings'
        short, in_sentence = _name_forms(name, profile.get("short_name", ""), profile.get("name_in_sentence", ""))
    values = {key: profile[key] for key in _PROFILE_KEYS if profile.get(key) not in (None, "")}
    if profile.get("mail_sender_name"):
        values["mail_sender_name"] = profile["mail_sender_name"]
    elif "mail_sender_address" in values or not settings_town:
        values["mail_sender_name"] = f"Mängelmelder {in_sentence}"
    values["contact_email"] = profile.get("contact_email") or jurisdiction.contact_email or ""
    if "map_lat" in profile and "map_lon" in profile:
        values["map_center"] = (float(profile["map_lat"]), float(profile["map_lon"]))
    languages = tuple(jurisdiction.languages) if jurisdiction.languages is not None else None
    town = replace(defaults, name=name, short_name=short, in_sentence=in_sentence, jurisdiction_id=jurisdiction.id,
                   version=jurisdiction.profile_version, crest_type=jurisdiction.crest_type, crest=None,
                   languages=languages, **values)
    return _with_css_version(town)


def town_css(town: Town) -> str:
    """KERN tokens set to the town's colours (loaded after KERN's stylesheet)."""
    return (":root{"
            f"--town-colour:{town.colour};--town-colour-dark:{town.colour_dark};"
            f"--kern-color-action-default:{town.colour};--kern-color-action-default-contextual:{town.colour};"
            f"--kern-color-accent:{town.colour};--kern-color-decorative-brand:{town.colour_dark};"
            f"--kern-color-decorative-brand-contextual:{town.colour_dark}"
            "}\n")


def _cache() -> dict:
    return current_app.extensions.setdefault("town_cache", {})


def forget_town(jurisdiction_id: int) -> None:
    """Drop this process's cached face of a town (after its profile changed here; other
    processes see the raised ``profile_version`` on their next request)."""
    _cache().pop(jurisdiction_id, None)
    g.pop("_mm_town", None)
    if has_request_context():
        request.environ.pop("mm.town", None)


def town_of(jurisdiction) -> Town:
    """The face of ``jurisdiction`` (a town row), built once per profile version and process.

    The version decides; the row's few profile values are compared as well (a dict of a dozen
    keys), so a version number reused after a rolled-back change can never serve a stale face."""
    key = (jurisdiction.profile_version, jurisdiction.name, jurisdiction.contact_email, jurisdiction.crest_type,
           dict(jurisdiction.profile or {}), jurisdiction.languages and tuple(jurisdiction.languages))
    cached = _cache().get(jurisdiction.id)
    if cached is None or cached[0] != key:
        cached = (key, town_from_profile(current_app.extensions["town"], jurisdiction))
        _cache()[jurisdiction.id] = cached
    return cached[1]


def current_town() -> Town:
    """The town of this request (or, without a request, the default town) with its profile.

    Once per request: the town row is looked up through ``jurisdiction_by_slug(None)``, the one
    place that decides the request's town. Without a town row (an empty installation) or with
    the database down, the settings' town (an error page must not fail on its own header).
    """
    # Kept with the request itself, not in ``g``: an app context (and its ``g``) may outlive
    # one request (tests, CLI), a request's town may not.
    if has_request_context() and "mm.town" in request.environ:
        return request.environ["mm.town"]
    if not has_request_context():
        # A worker composes many mails in one app context (sender, text and HTML part each ask):
        # one look-up per second and town, not three per mail. Keyed by the town the mail is for
        # (``using_town``): one batch holds several towns' mails.
        cached = g.get("_mm_town")
        if cached is not None and cached[1] == current_town_id() \
                and time.monotonic() - cached[0] < WORKER_RECHECK_SECONDS:
            return cached[2]
    from sqlalchemy.exc import SQLAlchemyError

    from app.errors import NotFound, forget_failed_transaction
    from app.jurisdictions.queries import jurisdiction_by_slug

    try:
        town = town_of(jurisdiction_by_slug(None))
    except (NotFound, SQLAlchemyError) as exc:
        if isinstance(exc, SQLAlchemyError):
            forget_failed_transaction()  # the request's own look-ups then answer the 503
        town = current_app.extensions["town"]
        if has_request_context() and g.get("jurisdiction_id", 0) is None:
            # A host of no town (issue 21): a neutral face, no town's name (it is not theirs).
            town = replace(town, name="Mängelmelder", short_name="", in_sentence="", crest=None, website="")
    if has_request_context():
        request.environ["mm.town"] = town
    else:
        g._mm_town = (time.monotonic(), current_town_id(), town)
    return town


@bp.get("/stadt.css")
def stylesheet():
    response = Response(town_css(current_town()), mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=86400"  # the URL carries the version
    return response


@bp.get("/wappen")
def crest():
    town = current_town()
    if town.crest_type:
        from app.db import db
        from app.jurisdictions.models import Jurisdiction

        data, mimetype = db.session.get(Jurisdiction, town.jurisdiction_id).crest, town.crest_type
    elif town.crest is not None:
        data, mimetype = town.crest.read_bytes(), mimetypes.guess_type(town.crest.name)[0]
    else:
        abort(404)
    response = Response(data, mimetype=mimetype)
    # Pages link the crest with the profile's version: a new crest is a new address.
    response.headers["Cache-Control"] = "public, max-age=86400" if request.args.get("v") else "no-cache"
    if mimetype == "image/svg+xml":
        # Sanitised on upload (media/crest.py); opened on its own it may still run nothing.
        response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


def init_app(app: Flask) -> None:
    from app.outbox.messages import register_sender

    app.extensions["town"] = town_from_config(app.config)
    # app.i18n (infrastructure) asks through this which languages the current town offers.
    app.extensions["town_languages"] = lambda: current_town().languages
    app.register_blueprint(bp)
    register_sender(app, lambda: current_town().mail_from)

    @app.context_processor
    def _town():
        # Footer links to pages other features add (Leichte Sprache, Gebärdensprache) appear
        # only once their endpoint exists: never a link to a 404.
        town = current_town()
        return {"town": town, "town_in_sentence": town.in_sentence_for(g.get("locale", "de")),
                "has_endpoint": lambda name: name in app.view_functions}
