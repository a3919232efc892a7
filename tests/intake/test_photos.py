"""Photos through the real HTTP intake: every kind a phone makes comes out clean and
upright wherever it is stored or served; every bad file is refused with a message
that names the problem and leaves neither rows nor files behind."""
from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from app.reports.models import Report
from tests.conftest import csrf_token
from tests.intake.conftest import (
    assert_no_metadata, assert_upright, encode, form_data, halves, heic_with_metadata, jpeg_with_gps,
    photo_count, png_with_metadata, report_count, stored_files, webp_with_metadata,
)

KINDS = {
    "jpeg-gps-orientation-6": (jpeg_with_gps, "foto.jpg", True),
    "png": (png_with_metadata, "bild.png", False),
    "webp": (webp_with_metadata, "bild.webp", False),
    "heic": (heic_with_metadata, "IMG_0001.HEIC", True),
}


def _submit(client, photos, **fields):
    data = form_data(csrf_token(client), **fields)
    data["photos"] = [(io.BytesIO(content), name) for content, name in photos]
    return client.post("/melden", data=data, content_type="multipart/form-data")


@pytest.mark.parametrize("kind", list(KINDS))
def test_photo_is_stored_and_served_without_metadata_and_upright(client, db_session, media_dir, kind):
    make, name, rotated = KINDS[kind]
    content = make()
    before = stored_files(media_dir)

    response = _submit(client, [(content, name)])

    assert response.status_code == 303, response.get_data(as_text=True)
    token = response.headers["Location"].rsplit("/", 1)[1]
    report = db_session.query(Report).filter_by(tracking_token=token).one()
    [photo] = report.photos
    assert photo.published  # category "gully" publishes at once
    new_files = stored_files(media_dir) - before
    assert {p.name for p in new_files} == {"thumb.jpg", "display.jpg"}
    # The stored variants: the original upload is not among them.
    for path in new_files:
        data = path.read_bytes()
        assert data != content
        image = assert_no_metadata(data)
        if rotated:
            assert_upright(image)
        else:
            assert image.width > image.height
    # The served variants: public, and behind the reporter's private link.
    for variant in ("thumb", "display"):
        for url in (f"/fotos/{photo.id}/{variant}.jpg", f"/verfolgen/{token}/fotos/{photo.id}/{variant}.jpg"):
            served = client.get(url)
            assert served.status_code == 200 and served.mimetype == "image/jpeg", url
            image = assert_no_metadata(served.data)
            if rotated:
                assert_upright(image)
    if rotated:
        assert (photo.width, photo.height) == ((900, 1200) if kind.startswith("jpeg") else (480, 640))


def test_several_photos_keep_their_order(client, db_session, media_dir):
    photos = [(jpeg_with_gps(), "a.jpg"), (png_with_metadata(), "b.png"), (webp_with_metadata(), "c.webp")]
    response = _submit(client, photos)
    assert response.status_code == 303
    token = response.headers["Location"].rsplit("/", 1)[1]
    report = db_session.query(Report).filter_by(tracking_token=token).one()
    assert [p.source_type for p in report.photos] == ["jpeg", "png", "webp"]
    assert [p.position for p in report.photos] == [0, 1, 2]


def test_api_takes_a_full_size_original(client, db_session, media_dir):
    """API clients send the camera's file as it is: 12 megapixels, EXIF orientation 6."""
    original = jpeg_with_gps(size=(4000, 3000))
    response = client.post("/api/v1/intake/reports", headers={"Idempotency-Key": "api-full-size-0001"}, data={
        "category": "gully", "description": "Gully verstopft", "lat": "51.962", "lon": "8.229",
        "photos": (io.BytesIO(original), "DSC_0001.JPG"),
    }, content_type="multipart/form-data")
    assert response.status_code == 201, response.get_json()
    report = db_session.query(Report).filter_by(reference=response.get_json()["reference"]).one()
    [photo] = report.photos
    assert (photo.width, photo.height) == (3000, 4000)
    display = assert_no_metadata(client.get(f"/fotos/{photo.id}/display.jpg").data)
    assert max(display.size) == 1600
    assert_upright(display)


# ------------------------------------------------------------------ refusals


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge size (a decompression bomb's header)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00" * 4096)) + chunk(b"IEND", b""))


def _noise_jpeg(size=(800, 600)) -> bytes:
    import random

    return encode(Image.frombytes("RGB", size, random.Random(7).randbytes(size[0] * size[1] * 3)), "JPEG")


BAD_FILES = [
    # id, bytes, file name, words the German message must contain, English words
    pytest.param(lambda: b"Hallo, das ist Text.\n" * 50, "foto.jpg", "kein Foto", "not a photo", id="text-named-jpg"),
    pytest.param(lambda: b"<html><script>alert(1)</script></html>\n" + _noise_jpeg(), "x.jpg", "kein Foto",
                 "not a photo", id="html-jpeg-polyglot"),
    pytest.param(lambda: b"%PDF-1.7\n" + _noise_jpeg(), "scan.jpg", "kein Foto", "not a photo", id="pdf-jpeg-polyglot"),
    pytest.param(lambda: encode(halves((64, 48)), "GIF") + b"/*<script>alert(1)</script>*/PK\x03\x04", "a.gif",
                 "GIF", "GIF", id="gifar-polyglot"),
    pytest.param(lambda: _noise_jpeg()[:9000], "cut.jpg", "beschädigt", "damaged", id="truncated-jpeg"),
    pytest.param(lambda: encode(halves((400, 300)), "PNG")[:700], "cut.png", "beschädigt", "damaged",
                 id="truncated-png"),
    pytest.param(lambda: _png_claiming(30000, 30000), "bomb.png", "riesiges Bild", "enormous",
                 id="decompression-bomb"),
    pytest.param(lambda: _png_claiming(1, 11000), "strip.png", "Abmessungen", "dimensions", id="absurd-dimensions"),
    pytest.param(lambda: encode(Image.new("RGB", (8, 8)), "JPEG"), "tiny.jpg", "Abmessungen", "dimensions",
                 id="tiny-dimensions"),
    pytest.param(lambda: b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(64), "clip.heic", "MP4",
                 "MP4", id="video-named-heic"),
]


@pytest.mark.parametrize(("make", "name", "german", "english"), BAD_FILES)
def test_bad_file_is_refused_by_the_form_and_leaves_nothing_behind(client, db_session, media_dir, make, name,
                                                                     german, english):
    before_files, before_reports, before_photos = stored_files(media_dir), report_count(), photo_count()
    # A good photo first: it is processed and stored before the bad one is reached.
    response = _submit(client, [(jpeg_with_gps(), "gut.jpg"), (make(), name)])

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Foto 2:" in page and german in page
    assert 'id="photos-error"' in page and 'aria-invalid="true"' in page
    # What the citizen typed is kept.
    assert "Der Gully ist seit Tagen verstopft." in page
    assert (report_count(), photo_count()) == (before_reports, before_photos)
    assert stored_files(media_dir) == before_files


@pytest.mark.parametrize(("make", "name", "german", "english"), BAD_FILES)
def test_bad_file_is_refused_by_the_api_in_english(client, db_session, media_dir, make, name, german, english):
    before_files, before_reports = stored_files(media_dir), report_count()
    response = client.post("/api/v1/intake/reports?lang=en", headers={"Idempotency-Key": f"bad-file-{name}-0001"},
                           data={"category": "gully", "description": "Blocked drain", "lat": "51.962",
                                 "lon": "8.229", "photos": (io.BytesIO(make()), name)},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    [error] = response.get_json()["errors"]
    assert error["field"] == "photos" and error["message"].startswith("Photo 1:") and english in error["message"]
    assert report_count() == before_reports
    assert stored_files(media_dir) == before_files


def test_photo_over_the_byte_limit_is_refused_naming_the_limit(app, client, db_session, media_dir, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_PHOTO_BYTES", 50_000)
    big = _noise_jpeg((600, 400))
    assert len(big) > 50_000
    before = stored_files(media_dir)
    response = _submit(client, [(big, "gross.jpg")])
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Foto 1:" in page and "zu groß" in page
    assert stored_files(media_dir) == before and report_count() == 0


def test_a_request_over_the_total_size_limit_is_a_413_with_a_message(app, client, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 100_000)
    response = _submit(client, [(_noise_jpeg((800, 600)), "a.jpg"), (_noise_jpeg((800, 600)), "b.jpg")])
    assert response.status_code == 413
    assert "zu groß" in response.get_data(as_text=True)
    assert report_count() == 0


def test_more_photos_than_allowed_are_refused(app, client, db_session, media_dir):
    limit = app.config["MAX_PHOTOS_PER_REPORT"]
    before = stored_files(media_dir)
    response = _submit(client, [(png_with_metadata(), f"{i}.png") for i in range(limit + 1)])
    assert response.status_code == 400
    assert f"Höchstens {limit} Fotos" in response.get_data(as_text=True)
    assert stored_files(media_dir) == before and report_count() == 0
