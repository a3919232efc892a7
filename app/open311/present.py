"""Reports, categories and status changes as Open311 structures (public data only).

Never anything about the reporter; descriptions and photos only once published.
"""
from __future__ import annotations

from geoalchemy2.shape import to_shape

from app.jurisdictions.models import Category
from app.jurisdictions.texts import choice_name
from app.open311.formats import w3c
from app.open311.models import ServiceAttribute
from app.reports.models import Report, StatusChange
from app.reports.photos import photo_version
from app.reports.questions import Answer
from app.reports.status import STATUSES
from app.urls import absolute_url


def service(category: Category, locale: str, has_attributes: bool) -> dict:
    return {
        "service_code": category.code,
        "service_name": category.label(locale),
        "description": category.help_text(locale),
        "metadata": has_attributes,
        "type": "realtime",
        "keywords": "",
        "group": category.group_label(locale),
    }


def _value_name(value: dict, locale: str) -> str:
    return choice_name(value, locale)


def service_definition(category: Category, attributes: list[ServiceAttribute], locale: str) -> dict:
    return {
        "service_code": category.code,
        "attributes": [{
            "variable": a.variable,
            "code": a.code,
            "datatype": a.datatype,
            "required": a.required,
            "datatype_description": a.help(locale),
            "order": a.order,
            "description": a.label(locale),
            "values": [{"key": str(v.get("key")), "name": _value_name(v, locale)} for v in (a.values or [])],
        } for a in attributes],
    }


def _photo_urls(report: Report) -> list[str]:
    return [absolute_url("reports.photo", photo_id=p.id, variant="display", v=photo_version(p.variants["display"]))
            for p in report.photos if p.published and "display" in p.variants]


def _status_notes(report: Report) -> str | None:
    notes = [c.public_note for c in report.history if c.public_note]
    return notes[-1] if notes else None


def attributes(answers: list[Answer]) -> list[dict]:
    """The report's answers to its category's questions, as far as they are public: choices,
    numbers and dates (typed text may be about people and stays with staff). ``value`` is what
    a client would post (a key, keys, a number, a date); ``name`` is it in words."""
    return [{"code": a.code, "description": a.question, "datatype": a.datatype, "value": a.value, "name": a.text}
            for a in answers if a.public]


def request(report: Report, locale: str, extensions: bool = False, answers: list[Answer] | None = None) -> dict:
    point = to_shape(report.location)
    photos = _photo_urls(report)
    item = {
        "service_request_id": report.reference,
        "status": report.status_info.open311,
        "status_notes": _status_notes(report),
        "service_name": report.category.label(locale),
        "service_code": report.category.code,
        "description": report.shown_description,
        "agency_responsible": report.department.name,
        "service_notice": None,
        "requested_datetime": w3c(report.created_at),
        "updated_datetime": w3c(max(report.updated_at, report.status_changed_at)),
        # Only where the town shows its deadlines to the public, and only while the report is open.
        "expected_datetime": w3c(expected) if (expected := report.public_expected_completion) else None,
        "address": report.public_address,
        "address_id": None,
        "zipcode": None,
        "lat": round(point.y, 7),
        "long": round(point.x, 7),
        "media_url": photos[0] if photos else None,
        "attributes": attributes(answers or []),
    }
    if extensions:
        item["extended_attributes"] = {
            "detailed_status": report.status_info.open311_extended,
            "detailed_status_label": report.status_info.label(locale),
            "status_history": [{
                "status": _open311(change.new_status),
                "detailed_status": _extended(change.new_status),
                "updated_datetime": w3c(change.created_at),
                "description": change.public_note or None,
            } for change in report.history if _is_public(change.new_status)],
            "media_urls": photos,
        }
    return item


def _open311(code: str) -> str:
    return STATUSES[code].open311


def _extended(code: str) -> str:
    return STATUSES[code].open311_extended


def _is_public(code: str) -> bool:
    return code in STATUSES and STATUSES[code].public


def update(change: StatusChange) -> dict:
    """A status change as a mySociety ``request_update``."""
    return {
        "update_id": str(change.id),
        "service_request_id": change.report.reference,
        "status": _extended(change.new_status),
        "updated_datetime": w3c(change.created_at),
        "description": change.public_note or "",
        "media_url": None,
    }
