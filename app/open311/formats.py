"""One response structure, two encodings: JSON and the spec's XML.

Views build plain Python values (dicts, lists, strings, numbers, booleans, None);
``render`` turns them into JSON or XML so both formats carry identical content.
In XML a list becomes repeated child elements named by ``ITEM_NAMES``, None an
empty element, booleans ``true``/``false``.
"""
from __future__ import annotations

import json
from datetime import datetime
from xml.etree.ElementTree import Element, SubElement, tostring
from zoneinfo import ZoneInfo

from flask import Response

from app.validation import clean_text

# List element name -> name of each item's element (as in the GeoReport v2 examples).
ITEM_NAMES = {
    "service_requests": "request",
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "service_request_updates": "request_update",
    "status_history": "update",
    "media_urls": "media_url",
}
MIMETYPES = {"json": "application/json", "xml": "text/xml"}
BERLIN = ZoneInfo("Europe/Berlin")


def w3c(moment: datetime | None) -> str | None:
    """A W3C datetime with the town's offset, e.g. ``2026-11-25T10:15:00+01:00``."""
    if moment is None:
        return None
    return moment.astimezone(BERLIN).replace(microsecond=0).isoformat()


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    # Safe on its own, whatever a row holds (older rows, paths that skipped intake): a
    # character XML 1.0 cannot carry would make the whole document unreadable for every client.
    return clean_text(str(value))


def _append(parent: Element, name: str, value) -> None:
    element = SubElement(parent, name)
    if isinstance(value, dict):
        for key, item in value.items():
            _append(element, key, item)
    elif isinstance(value, list):
        child = ITEM_NAMES.get(name, "item")
        for item in value:
            _append(element, child, item)
    else:
        element.text = _text(value)


def to_xml(root: str, value) -> bytes:
    """``value`` (a list or dict) as an XML document with root element ``root``."""
    element = Element(root)
    if isinstance(value, list):
        child = ITEM_NAMES.get(root, "item")
        for item in value:
            _append(element, child, item)
    else:
        for key, item in value.items():
            _append(element, key, item)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + tostring(element, encoding="unicode").encode()


def render(fmt: str, root: str, value, status: int = 200) -> Response:
    if fmt == "xml":
        body = to_xml(root, value)
    else:
        body = json.dumps(value, ensure_ascii=False).encode()
    response = Response(body, status=status, mimetype=MIMETYPES.get(fmt, "application/json"))
    return response


def error_body(status: int, description: str) -> list[dict]:
    return [{"code": status, "description": description}]
