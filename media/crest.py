"""A town's crest or logo, made safe to serve from the town's own host.

SVG is parsed with defusedxml (no entities, no external DTDs) and rebuilt from an allow-list of
drawing elements and presentation attributes: scripts, event handlers (``on*``), ``style``,
``foreignObject``, links and references to anything but the file's own ``#id`` are left out. The
output is the rebuilt tree, so cleaning it again gives the same bytes (the town file's round
trip relies on that). PNG is decoded and written again without any metadata chunk.
"""
from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

from defusedxml import ElementTree as SafeET
from PIL import Image

MAX_BYTES = 512 * 1024
MAX_PIXELS = 2048 * 2048
SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"

ELEMENTS = frozenset({
    "svg", "g", "path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "title", "desc", "defs",
    "linearGradient", "radialGradient", "stop", "clipPath", "mask", "use", "symbol",
})
ATTRIBUTES = frozenset({
    "id", "d", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "fx", "fy", "width", "height",
    "points", "viewBox", "preserveAspectRatio", "transform", "fill", "fill-opacity", "fill-rule", "stroke",
    "stroke-width", "stroke-linecap", "stroke-linejoin", "stroke-miterlimit", "stroke-dasharray",
    "stroke-dashoffset", "stroke-opacity", "opacity", "clip-path", "clip-rule", "mask", "offset", "stop-color",
    "stop-opacity", "gradientUnits", "gradientTransform", "spreadMethod", "clipPathUnits", "maskUnits",
    "maskContentUnits", "href", "role", "aria-label", "aria-hidden", "version",
})
# A value may point at the file's own elements (url(#a), #a) and nowhere else.
_URL = re.compile(r"url\(\s*([^)]*)\)", re.IGNORECASE)
_LOCAL = re.compile(r"^['\"]?#[A-Za-z_][\w.\-]*['\"]?$")


class CrestRejected(ValueError):
    """Not a crest we serve; ``code`` says why (the app words it for the admin)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def clean_crest(data: bytes) -> tuple[bytes, str]:
    """``(bytes to store, media type)`` for an uploaded SVG or PNG; raises ``CrestRejected``
    (``too_large``, ``not_svg_or_png``, ``bad_svg``, ``bad_png``)."""
    if len(data) > MAX_BYTES:
        raise CrestRejected("too_large")
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _clean_png(data), "image/png"
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<?xml", b"<svg", b"<!--")) and b"<svg" in data[:4096].lower():
        return _clean_svg(data), "image/svg+xml"
    raise CrestRejected("not_svg_or_png")


def _local_name(tag: str) -> tuple[str | None, str]:
    if tag.startswith("{"):
        namespace, _, name = tag[1:].partition("}")
        return namespace, name
    return None, tag


def _safe_value(name: str, value: str) -> bool:
    if any(ord(c) < 32 and c not in "\t\n\r" for c in value):
        return False
    if name == "href":
        return bool(_LOCAL.match(value.strip()))
    for target in _URL.findall(value):
        if not _LOCAL.match(target.strip()):
            return False
    lowered = value.lower()
    return "javascript:" not in lowered and "data:" not in lowered and "expression(" not in lowered


def _copy(source: ET.Element, target: ET.Element) -> None:
    for child in source:
        namespace, name = _local_name(child.tag) if isinstance(child.tag, str) else (None, "")
        if namespace not in (SVG_NS, None) or name not in ELEMENTS or name == "svg":
            continue
        _copy(child, _element(child, name, parent=target))


def _element(source: ET.Element, name: str, parent: ET.Element | None) -> ET.Element:
    attributes = {}
    for key, value in source.attrib.items():
        namespace, attr = _local_name(key)
        if namespace not in (None, XLINK_NS) or (namespace == XLINK_NS and attr != "href"):
            continue
        if attr in ATTRIBUTES and _safe_value(attr, value):
            attributes[attr] = value
    tag = f"{{{SVG_NS}}}{name}"
    element = ET.Element(tag, attributes) if parent is None else ET.SubElement(parent, tag, attributes)
    if name in ("title", "desc") and source.text:
        element.text = source.text.strip()
    return element


def _clean_svg(data: bytes) -> bytes:
    try:
        root = SafeET.fromstring(data, forbid_dtd=True)
    except Exception:  # defusedxml refuses entities and DTDs, ElementTree malformed XML
        raise CrestRejected("bad_svg") from None
    if _local_name(root.tag) != (SVG_NS, "svg"):
        raise CrestRejected("bad_svg")
    clean = _element(root, "svg", parent=None)
    _copy(root, clean)
    if not len(clean):
        raise CrestRejected("bad_svg")
    ET.register_namespace("", SVG_NS)
    return ET.tostring(clean, encoding="utf-8", xml_declaration=False) + b"\n"


def _clean_png(data: bytes) -> bytes:
    try:
        with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
            if image.width * image.height > MAX_PIXELS:
                raise CrestRejected("too_large")
            image.load()
            mode = "RGBA" if image.mode in ("RGBA", "LA", "P", "PA") else "RGB"
            pixels = image.convert(mode)
    except CrestRejected:
        raise
    except Exception:
        raise CrestRejected("bad_png") from None
    out = io.BytesIO()
    pixels.save(out, format="PNG", optimize=False)  # no pnginfo: no text, time or EXIF chunk
    return out.getvalue()
