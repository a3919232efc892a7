"""A town's profile: how it names itself, its colours, who its mails come from and how they are
signed, how citizens reach it, where its map starts and which tiles it shows, how long it keeps
reporter data, and lower limits than the installation's for what citizens send.

The values live on the town's row (``jurisdictions.profile``, one JSONB object; the crest in
``jurisdictions.crest``), set on the admin page "Stadtprofil" or in the town file's
``[town.profile]`` table. A key that is not set falls back to the installation's settings
(``TOWN_*``, ``MAIL_FROM``, ``TILE_*``, ``RETENTION_*``: app/branding.py), so a town only states
what differs. ``clean_profile`` checks every value and names each refused key at once; no Flask,
no database here.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from app.validation import is_email


@dataclass(frozen=True)
class ProfileField:
    name: str
    kind: str  # text, lines, email, phone, url, colour, tile_url, float, int
    help: str
    low: float | None = None
    high: float | None = None


FIELDS: tuple[ProfileField, ...] = (
    ProfileField("short_name", "text", "short name, after 'in': Harsewinkel"),
    ProfileField("name_in_sentence", "text", "the name after 'von' or as a genitive: der Stadt Harsewinkel"),
    ProfileField("colour", "colour", "main colour (#rrggbb, white text on it at 4.5:1)"),
    ProfileField("colour_dark", "colour", "dark colour of the header (#rrggbb, 4.5:1 with white, 3:1 with the focus ring)"),
    ProfileField("website", "url", "the town's website (https://...)"),
    ProfileField("mail_sender_name", "text", "name mails come from: Mängelmelder der Stadt Harsewinkel"),
    ProfileField("mail_sender_address", "email", "address mails come from (the relay must accept it)"),
    ProfileField("mail_signature", "lines", "signature under every mail, a few lines"),
    ProfileField("contact_phone", "phone", "phone number citizens may call"),
    ProfileField("contact_email", "email", "e-mail address citizens may write to"),
    ProfileField("contact_address", "lines", "postal address of the office"),
    ProfileField("opening_hours", "lines", "opening hours, a few lines"),
    ProfileField("map_lat", "float", "latitude of the map's start view (WGS 84)", 47.0, 55.5),
    ProfileField("map_lon", "float", "longitude of the map's start view (WGS 84)", 5.5, 15.5),
    ProfileField("map_zoom", "int", "zoom level of the map's start view (10 to 18)", 10, 18),
    ProfileField("tile_url", "tile_url", "map tiles: https://host/{z}/{x}/{y}.png"),
    ProfileField("tile_attribution", "text", "what the tile source must be credited with (plain text)"),
    ProfileField("retention_closed_days", "int", "days after closing before reporter data is removed", 7, 3650),
    ProfileField("retention_unconfirmed_days", "int", "days an unconfirmed report is kept", 1, 90),
    # Lower than the installation's settings, never higher (app/jurisdictions/limits.py gives the ceilings).
    ProfileField("max_photos_per_report", "int", "photos one report may have (at most MAX_PHOTOS_PER_REPORT)", 1, 100),
    ProfileField("max_photo_mb", "int", "megabytes one photo may have (at most MAX_PHOTO_BYTES)", 1, 1000),
    ProfileField("reports_per_day", "int", "reports a day from one internet connection (at most the per-day "
                 "part of INTAKE_RATE_LIMIT)", 1, 10000),
)
FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)
_FIELD = {f.name: f for f in FIELDS}
MAX_LENGTH = 500
_HEX = re.compile(r"#[0-9a-fA-F]{6}")
_PHONE_RE = re.compile(r"^\+?\(?\d[\d /()\-–]{3,40}\d(\s*\([^()\n]{1,40}\))?$")
_URL_RE = re.compile(r"^https?://[^\s<>\"']+$")
# Tiles over https from one host (the pages' Content-Security-Policy names that host).
_TILE_RE = re.compile(r"^https://[A-Za-z0-9.\-]+(:\d+)?/[^\s<>\"']*\{z\}[^\s<>\"']*\{x\}[^\s<>\"']*\{y\}[^\s<>\"']*$")
# White text on the town's colours needs 4.5:1 (WCAG 1.4.3); the yellow focus ring 3:1 on the header (1.4.11).
WHITE = (255, 255, 255)
FOCUS_YELLOW = (255, 191, 71)


def rgb(value: str) -> tuple[int, int, int]:
    return int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16)


def luminance(colour: tuple[float, float, float]) -> float:
    """WCAG 2.x relative luminance of an sRGB colour (0-255 channels)."""
    def channel(v: float) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(v) for v in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    """WCAG 2.x contrast ratio of two colours (1 to 21)."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def colour_problem(name: str, value: str) -> str | None:
    """Why ``value`` cannot be the town's colour ``name`` (colour or colour_dark), or None."""
    if not _HEX.fullmatch(value):
        return f"{value!r} is not a colour like #005a9c"
    if contrast(rgb(value), WHITE) < 4.5:
        return f"{value} has less than 4.5:1 contrast with white text (WCAG 1.4.3)"
    if name in ("colour_dark", "TOWN_COLOR_DARK") and contrast(rgb(value), FOCUS_YELLOW) < 3:
        return f"{value} is too light for the focus ring (3:1)"
    return None


class ProfileError(ValueError):
    """Refused profile values; ``problems`` maps each key to what is wrong (English, for the town
    file and the CLI; the admin page shows its own German messages per key)."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("\n".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


def clean_value(name: str, value: object, ceilings: Mapping[str, float] | None = None) -> object | None:
    """The value to store for ``name`` (None: not set); raises ValueError saying what is wrong.

    ``ceilings``: the installation's highest value per key (app/jurisdictions/limits.py)."""
    if name not in _FIELD:
        raise ValueError("unknown key (allowed: " + ", ".join(FIELD_NAMES) + ")")
    field = _FIELD[name]
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if field.kind in ("int", "float"):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or \
                (field.kind == "int" and not isinstance(value, int)):
            raise ValueError("must be a whole number" if field.kind == "int" else "must be a number")
        high = min(field.high, (ceilings or {}).get(name, field.high))
        if not field.low <= value <= high:
            allowed = " (the installation allows no more)" if high < field.high else ""
            raise ValueError(f"must lie between {field.low:g} and {high:g}{allowed}")
        return round(float(value), 6) if field.kind == "float" else int(value)
    if not isinstance(value, str):
        raise ValueError("must be a text (write it in quotes)")
    value = "\n".join(line.strip() for line in value.strip().splitlines()).strip()
    if len(value) > MAX_LENGTH:
        raise ValueError(f"at most {MAX_LENGTH} characters")
    if any(ord(c) < 32 and c != "\n" for c in value):
        raise ValueError("contains a control character")
    if field.kind != "lines" and "\n" in value:
        raise ValueError("must be a single line")
    if field.kind == "email" and not is_email(value):
        raise ValueError(f"{value!r} is not an e-mail address")
    if field.kind == "phone" and not _PHONE_RE.match(value):
        raise ValueError(f"{value!r} is not a phone number (digits, spaces, + - / ( ) only)")
    if field.kind == "url" and not _URL_RE.match(value):
        raise ValueError(f"{value!r} is not a web address starting with https://")
    if field.kind == "tile_url" and not _TILE_RE.match(value):
        raise ValueError(f"{value!r} is not a tile address like https://host/{{z}}/{{x}}/{{y}}.png")
    if field.kind == "colour":
        problem = colour_problem(name, value)
        if problem:
            raise ValueError(problem)
        value = value.lower()
    if name == "mail_sender_name" and any(c in value for c in '<>"@,;'):
        raise ValueError("a name without < > \" @ , ;")
    return value


def clean_profile(values: Mapping[str, object], ceilings: Mapping[str, float] | None = None) -> dict:
    """``values`` checked and cleaned, unset keys left out, in the fields' order; a limit key
    no higher than its ``ceilings`` value (the installation's, when the caller knows it).

    Raises ProfileError naming every refused key, so one correction round is enough.
    """
    result, problems = {}, {}
    for name, value in values.items():
        try:
            cleaned = clean_value(name, value, ceilings)
        except ValueError as exc:
            problems[name] = str(exc)
            continue
        if cleaned is not None:
            result[name] = cleaned
    if problems:
        raise ProfileError(problems)
    return {name: result[name] for name in FIELD_NAMES if name in result}
