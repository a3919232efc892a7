"""Helpers for the intake tests: real image files made here, the storage directory
as the place where nothing may be left behind, and a clean rate-limit budget."""
from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.db import db
from app.extensions import limiter
from app.reports.models import Photo, Report
from tests.factories import HARSEWINKEL

RED = (255, 0, 0)
BLUE = (0, 0, 255)
# Marienfeld-ish position inside Harsewinkel, written into the test photos' EXIF.
PHOTO_LAT, PHOTO_LON = 51.9375, 8.2841
SECRETS = (b"SECRET-MAKER-NOTE", b"SECRET-SERIAL", b"SECRET-XMP", b"SECRET-COMMENT", b"SECRET-PNG-TEXT")
XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="SECRET-XMP"/></rdf:RDF></x:xmpmeta>')


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60, 2)
    return (float(degrees), float(minutes), seconds)


def phone_exif(orientation: int = 6) -> Image.Exif:
    """EXIF as a phone writes it: orientation, GPS position, maker note, serial number."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "Phonemaker"
    exif[0x8769] = {0x927C: b"Maker\x00" + SECRETS[0], 0xA431: SECRETS[1].decode()}
    exif[0x8825] = {1: "N", 2: _dms(PHOTO_LAT), 3: "E", 4: _dms(PHOTO_LON)}
    return exif


def halves(size=(1200, 900)) -> Image.Image:
    """Left half red, right half blue, as stored (before the EXIF rotation)."""
    img = Image.new("RGB", size, RED)
    img.paste(BLUE, (size[0] // 2, 0, size[0], size[1]))
    return img


def encode(img: Image.Image, fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def jpeg_with_gps(size=(1200, 900), orientation: int = 6) -> bytes:
    return encode(halves(size), "JPEG", quality=90, exif=phone_exif(orientation), xmp=XMP, comment=SECRETS[3])


def png_with_metadata() -> bytes:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", SECRETS[4].decode())
    return encode(halves((600, 450)), "PNG", pnginfo=info, exif=phone_exif(1))


def webp_with_metadata() -> bytes:
    return encode(halves((600, 450)), "WEBP", quality=90, exif=phone_exif(1).tobytes(), xmp=XMP)


def heic_with_metadata() -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    try:
        return encode(halves((640, 480)), "HEIF", quality=90, exif=phone_exif(6).tobytes(), xmp=XMP)
    except Exception as exc:  # noqa: BLE001 - any failure means "no HEVC encoder here"
        pytest.skip(f"this libheif cannot encode HEIF ({exc!r}), so no HEIC test file can be made")


# ------------------------------------------------------------------ inspecting results

# APP0 (JFIF), DQT, SOF0/SOF2, DHT, DRI, SOS: anything else before the scan is metadata.
ALLOWED_JPEG_MARKERS = {0xE0, 0xDB, 0xC0, 0xC2, 0xC4, 0xDD, 0xDA}


def jpeg_markers(data: bytes) -> list[int]:
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    markers, pos = [], 2
    while pos < len(data):
        assert data[pos] == 0xFF, f"no marker at {pos}"
        marker = data[pos + 1]
        markers.append(marker)
        if marker == 0xDA:
            break
        (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
        pos += 2 + length
    return markers


def assert_no_metadata(data: bytes) -> Image.Image:
    """A JPEG with no EXIF/XMP/IPTC/ICC/comment segment and none of the secrets; returns it decoded."""
    assert set(jpeg_markers(data)) <= ALLOWED_JPEG_MARKERS, [hex(m) for m in jpeg_markers(data)]
    for needle in (b"Exif", b"http://ns.adobe.com/xap", b"Photoshop", b"ICC_PROFILE", *SECRETS):
        assert needle not in data, needle
    img = Image.open(io.BytesIO(data))
    img.load()
    assert len(img.getexif()) == 0
    assert not {"exif", "xmp", "icc_profile", "comment", "photoshop"} & set(img.info)
    return img


def colour_at(img: Image.Image, fx: float, fy: float) -> tuple[int, int, int]:
    return img.convert("RGB").getpixel((int(img.width * fx), int(img.height * fy)))


def close(actual, expected, tolerance: int = 40) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected))


def assert_upright(img: Image.Image) -> None:
    """The halves() image after EXIF orientation 6: portrait, red on top, blue below."""
    assert img.height > img.width
    assert close(colour_at(img, 0.5, 0.1), RED), colour_at(img, 0.5, 0.1)
    assert close(colour_at(img, 0.5, 0.9), BLUE), colour_at(img, 0.5, 0.9)


def stored_files(media_dir: Path) -> set[Path]:
    return {p for p in media_dir.rglob("*") if p.is_file()}


def report_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Report))


def photo_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Photo))


def form_data(token: str, **overrides) -> dict:
    data = {
        "csrf_token": token,
        "category": "gully",  # publishes description and photos at once
        "description": "Der Gully ist seit Tagen verstopft.",
        "lat": str(HARSEWINKEL[1]), "lon": str(HARSEWINKEL[0]),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture(autouse=True)
def fresh_rate_limit(app):
    """Every test starts with the full submission budget (limits are counted in Redis)."""
    with app.app_context():
        limiter.reset()
    yield
    with app.app_context():
        limiter.reset()



def _address_count(session) -> int:
    from sqlalchemy import text

    return session.execute(text("SELECT count(*) FROM addresses")).scalar()


@pytest.fixture
def demo_addresses(db_session):
    """The demo town's address list for the geocoder (rolled back with the test)."""
    from app.areas.addresses import load_demo_addresses
    from tests.factories import town

    if not _address_count(db_session):
        load_demo_addresses(db_session, town())
        db_session.flush()


@pytest.fixture
def committed_demo_addresses(committing):
    """The address list committed for a live server; removed again if this fixture added it."""
    from sqlalchemy import text

    from app.areas.addresses import load_demo_addresses
    from tests.factories import town

    added = not _address_count(db.session)
    if added:
        load_demo_addresses(db.session, town())
        db.session.commit()
    yield
    if added:
        db.session.rollback()
        db.session.execute(text("DELETE FROM addresses"))
        db.session.commit()
