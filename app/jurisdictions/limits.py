"""What a citizen may send to a town: photos per report, the size of one photo and reports per
day from one internet connection (issue 21: towns in one installation set these differently).

The installation's settings are the default and the ceiling (``MAX_PHOTOS_PER_REPORT``,
``MAX_PHOTO_BYTES``, the per-day part of ``INTAKE_RATE_LIMIT``); a town's profile may set a
lower value (profile keys ``max_photos_per_report``, ``max_photo_mb``, ``reports_per_day``), never
a higher one: ``ceilings`` gives what the profile checks allow, ``town_limits`` what is enforced
(the lower of the two, so an installation that lowers its settings later still wins). No Flask,
no database here: the settings come in as a mapping.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

MIB = 1024 * 1024
# Without a per-day part in INTAKE_RATE_LIMIT, a town may still set one up to this many.
MAX_REPORTS_PER_DAY = 10_000
LIMIT_KEYS = ("max_photos_per_report", "max_photo_mb", "reports_per_day")


@dataclass(frozen=True)
class TownLimits:
    photos_per_report: int
    photo_bytes: int
    reports_per_day: int | None  # None: only the installation's INTAKE_RATE_LIMIT counts

    @property
    def photo_mb(self) -> int:
        return max(1, self.photo_bytes // MIB)


def installation_reports_per_day(rate_limit: str) -> int | None:
    """The per-day amount of a Flask-Limiter string ("30/minute;300/day" -> 300), if it has one."""
    from limits import parse_many

    try:
        items = parse_many(rate_limit)
    except ValueError:
        return None
    daily = [item.amount for item in items if item.GRANULARITY.name == "day" and item.multiples == 1]
    return min(daily) if daily else None


def ceilings(config: Mapping) -> dict[str, int]:
    """The highest value a town's profile may set per limit key: the installation's."""
    return {"max_photos_per_report": int(config["MAX_PHOTOS_PER_REPORT"]),
            "max_photo_mb": max(1, int(config["MAX_PHOTO_BYTES"]) // MIB),
            "reports_per_day": installation_reports_per_day(str(config["INTAKE_RATE_LIMIT"])) or MAX_REPORTS_PER_DAY}


def town_limits(profile: Mapping | None, config: Mapping) -> TownLimits:
    """The limits enforced for a town with ``profile`` (its JSONB profile) under ``config``."""
    profile = profile or {}
    photos = int(config["MAX_PHOTOS_PER_REPORT"])
    photo_bytes = int(config["MAX_PHOTO_BYTES"])
    if profile.get("max_photos_per_report"):
        photos = min(photos, int(profile["max_photos_per_report"]))
    if profile.get("max_photo_mb"):
        photo_bytes = min(photo_bytes, int(profile["max_photo_mb"]) * MIB)
    per_day = int(profile["reports_per_day"]) if profile.get("reports_per_day") else None
    return TownLimits(photos_per_report=photos, photo_bytes=photo_bytes, reports_per_day=per_day)
