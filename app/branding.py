"""The town's face on every page: its names, crest and colours (from settings until the town
profile holds them), mapped onto KERN UX design tokens.

``town`` in every template: ``town.name`` ("Stadt Harsewinkel", the header),
``town.short_name`` ("Harsewinkel", after "in"), ``town.in_sentence`` ("der Stadt
Harsewinkel", after "von", "bei" and as a genitive). The colours reach the pages as
``/stadt.css``: KERN's action, accent and brand tokens set to the town's colours (the CSP
allows no inline styles, and one cached file serves every page).
"""
from __future__ import annotations

import hashlib
import mimetypes
import re
from dataclasses import dataclass, replace
from pathlib import Path

from flask import Blueprint, Flask, Response, abort, current_app, g, has_request_context, url_for

from app.config import PROJECT_ROOT

bp = Blueprint("branding", __name__)

_HEX = re.compile(r"#[0-9a-fA-F]{6}")
# White text on the town's colours (buttons, header) needs 4.5:1 (WCAG 1.4.3), and the yellow
# focus ring (#ffbf47) 3:1 on the header (WCAG 1.4.11).
WHITE = (255, 255, 255)
FOCUS_YELLOW = (255, 191, 71)


def _rgb(value: str) -> tuple[int, int, int]:
    return int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16)


def luminance(rgb: tuple[float, float, float]) -> float:
    """WCAG 2.x relative luminance of an sRGB colour (0-255 channels)."""
    def channel(v: int) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    """WCAG 2.x contrast ratio of two colours (1 to 21)."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@dataclass(frozen=True)
class Town:
    name: str
    short_name: str
    in_sentence: str
    crest: Path | None
    colour: str
    colour_dark: str
    website: str

    def in_sentence_for(self, locale: str) -> str:
        """The name after "von", "in", "bei" or as a genitive: "der Stadt Harsewinkel" in German,
        the short name in English ("in Harsewinkel"), where the article would read wrong."""
        return self.in_sentence if locale == "de" else self.short_name

    @property
    def crest_url(self) -> str | None:
        return url_for("branding.crest") if self.crest else None

    @property
    def stylesheet_url(self) -> str:
        return url_for("branding.stylesheet", v=current_app.extensions["town_css_version"])


def short_town_name(name: str) -> str:
    """"Stadt Harsewinkel" -> "Harsewinkel": the name after "in" ("in Harsewinkel", never
    "in Stadt Harsewinkel")."""
    return re.sub(r"^(Stadt|Gemeinde|Hansestadt|Kreisstadt|Große Kreisstadt)\s+", "", name.strip())


def town_from_config(config) -> Town:
    """The town's branding from settings; raises ValueError naming a setting that is wrong."""
    name = config["TOWN_NAME"].strip()
    short = config["TOWN_SHORT_NAME"].strip() or short_town_name(name)
    # "Stadt X" / "Gemeinde X" take "der" in a sentence ("von der Stadt X"); a bare name takes none.
    in_sentence = config["TOWN_NAME_IN_SENTENCE"].strip() or (f"der {name}" if short != name else name)
    crest = None
    if config["TOWN_CREST"]:
        crest = Path(config["TOWN_CREST"])
        crest = crest if crest.is_absolute() else PROJECT_ROOT / crest
        if not crest.is_file() or mimetypes.guess_type(crest.name)[0] not in ("image/svg+xml", "image/png"):
            raise ValueError(f"TOWN_CREST: {crest} is not an SVG or PNG file")
    for setting in ("TOWN_COLOR", "TOWN_COLOR_DARK"):
        value = config[setting]
        if not _HEX.fullmatch(value):
            raise ValueError(f"{setting}: {value!r} is not a colour like #005a9c")
        if contrast(_rgb(value), WHITE) < 4.5:
            raise ValueError(f"{setting}: {value} has less than 4.5:1 contrast with white text (WCAG 1.4.3)")
    if contrast(_rgb(config["TOWN_COLOR_DARK"]), FOCUS_YELLOW) < 3:
        raise ValueError(f"TOWN_COLOR_DARK: {config['TOWN_COLOR_DARK']} is too light for the focus ring (3:1)")
    return Town(name=name, short_name=short, in_sentence=in_sentence, crest=crest, colour=config["TOWN_COLOR"].lower(),
                colour_dark=config["TOWN_COLOR_DARK"].lower(), website=config["TOWN_WEBSITE"].strip())


def town_css(town: Town) -> str:
    """KERN tokens set to the town's colours (loaded after KERN's stylesheet)."""
    return (":root{"
            f"--town-colour:{town.colour};--town-colour-dark:{town.colour_dark};"
            f"--kern-color-action-default:{town.colour};--kern-color-action-default-contextual:{town.colour};"
            f"--kern-color-accent:{town.colour};--kern-color-decorative-brand:{town.colour_dark};"
            f"--kern-color-decorative-brand-contextual:{town.colour_dark}"
            "}\n")


def current_town() -> Town:
    """The face of this request's town (or of the town a mail is built for).

    The settings' town is the default town's; another hosted town shows its own name on the
    settings' colours (h18's town profile brings each town's crest and colours). A host of no
    town (its 404 page) gets a neutral face, an empty installation the settings' town."""
    if has_request_context() and "town" in g:
        return g.town
    from app.errors import NotFound
    from app.jurisdictions.queries import current_jurisdiction

    town = current_app.extensions["town"]
    try:
        jurisdiction = current_jurisdiction()
    except NotFound:
        jurisdiction = None
        if has_request_context() and g.get("jurisdiction_id", 0) is None:
            # A host of no town: a neutral face, no town's name (it is not theirs).
            town = replace(town, name="Mängelmelder", short_name="", in_sentence="", crest=None, website="")
    if jurisdiction is not None and jurisdiction.slug != current_app.config["DEFAULT_JURISDICTION"]:
        short = short_town_name(jurisdiction.name)
        town = replace(town, name=jurisdiction.name, short_name=short, crest=None, website="",
                       in_sentence=f"der {jurisdiction.name}" if short != jurisdiction.name else jurisdiction.name)
    if has_request_context():
        g.town = town
    return town


@bp.get("/stadt.css")
def stylesheet():
    response = Response(current_app.extensions["town_css"], mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=86400"  # the URL carries the version
    return response


@bp.get("/wappen")
def crest():
    town = current_town()
    if town.crest is None:
        abort(404)
    response = Response(town.crest.read_bytes(), mimetype=mimetypes.guess_type(town.crest.name)[0])
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def init_app(app: Flask) -> None:
    town = town_from_config(app.config)
    css = town_css(town)
    app.extensions["town"] = town
    app.extensions["town_css"] = css
    app.extensions["town_css_version"] = hashlib.sha256(css.encode()).hexdigest()[:10]
    app.register_blueprint(bp)

    @app.context_processor
    def _town():
        # Footer links to pages other features add (Leichte Sprache, Gebärdensprache) appear
        # only once their endpoint exists: never a link to a 404.
        town = current_town()
        return {"town": town, "town_in_sentence": town.in_sentence_for(g.get("locale", "de")),
                "has_endpoint": lambda name: name in app.view_functions}
