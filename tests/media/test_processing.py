"""media.processing: real image files made with Pillow / pillow_heif in the tests."""

from __future__ import annotations

import hashlib
import io
import pickle
import random
import struct
import subprocess
import sys
import warnings
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image, ImageCms, ImageFile, ImageOps, JpegImagePlugin, PngImagePlugin

from media import PhotoLimits, PhotoRejected, ProcessedPhoto, process_photo, read_gps

RED = (255, 0, 0)
GREEN = (0, 255, 0)
BLUE = (0, 0, 255)
YELLOW = (255, 255, 0)
WHITE = (255, 255, 255)

# Berlin, Rotes Rathaus: 52°31'12" N, 13°24'36" E
LAT_DMS, LON_DMS = (52.0, 31.0, 12.0), (13.0, 24.0, 36.0)
LAT, LON = 52.52, 13.41

SECRETS = (b"SECRET-MAKER-NOTE", b"SECRET-USER-COMMENT", b"SECRET-XMP", b"SECRET-COM", b"SECRET-SERIAL")
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="SECRET-XMP"/>'
    b"</rdf:RDF></x:xmpmeta>"
)
SRGB_ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


# --------------------------------------------------------------------------
# helpers that make and inspect images


def full_exif(orientation: int = 6, gps: dict[int, object] | None = None) -> Image.Exif:
    """EXIF as a phone writes it: orientation, position, maker note, comment, serial."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "Phonemaker"
    exif[0x8769] = {
        0x927C: b"Nikon\x00" + SECRETS[0],  # MakerNote
        0x9286: b"ASCII\x00\x00\x00" + SECRETS[1],  # UserComment
        0xA431: SECRETS[4].decode(),  # BodySerialNumber
    }
    exif[0x8825] = gps if gps is not None else {1: "N", 2: LAT_DMS, 3: "E", 4: LON_DMS}
    return exif


def encode(img: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def halves(size: tuple[int, int], left: tuple[int, int, int] = RED, right: tuple[int, int, int] = BLUE) -> Image.Image:
    img = Image.new("RGB", size, left)
    img.paste(right, (size[0] // 2, 0, size[0], size[1]))
    return img


def quadrants(size: tuple[int, int]) -> Image.Image:
    width, height = size
    img = Image.new("RGB", size, RED)
    img.paste(GREEN, (width // 2, 0, width, height // 2))
    img.paste(BLUE, (0, height // 2, width // 2, height))
    img.paste(YELLOW, (width // 2, height // 2, width, height))
    return img


def noise(size: tuple[int, int], seed: int = 1) -> Image.Image:
    return Image.frombytes("RGB", size, random.Random(seed).randbytes(size[0] * size[1] * 3))


def colour_at(img: Image.Image, fx: float, fy: float) -> tuple[int, int, int]:
    pixel = img.convert("RGB").getpixel((int(img.width * fx), int(img.height * fy)))
    assert isinstance(pixel, tuple)
    return pixel[0], pixel[1], pixel[2]


def close(actual: tuple[int, int, int], expected: tuple[int, int, int], tolerance: int = 40) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected))


def jpeg_markers(data: bytes) -> list[int]:
    """Marker bytes of every segment before the first scan."""
    assert data[:2] == b"\xff\xd8"
    markers, pos = [], 2
    while pos < len(data):
        assert data[pos] == 0xFF, f"no marker at {pos}"
        marker = data[pos + 1]
        markers.append(marker)
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        pos += 2 + length
    return markers


# SOI-less list: APP0 (JFIF), DQT, SOF0/SOF2, DHT, DRI, SOS. Anything else
# (APP1 EXIF/XMP, APP2 ICC, APP13 IPTC, APP14, COM) would be metadata.
ALLOWED_MARKERS = {0xE0, 0xDB, 0xC0, 0xC2, 0xC4, 0xDD, 0xDA}


def assert_clean(photo: ProcessedPhoto) -> None:
    assert set(photo.variants) == {"thumb", "display"}
    for variant in photo.variants.values():
        data = variant.data
        assert variant.content_type == "image/jpeg"
        assert set(jpeg_markers(data)) <= ALLOWED_MARKERS, [hex(m) for m in jpeg_markers(data)]
        for needle in (b"Exif", b"http://ns.adobe.com/xap", b"ICC_PROFILE", b"Photoshop", *SECRETS):
            assert needle not in data, needle
        with Image.open(io.BytesIO(data)) as img:
            assert img.format == "JPEG"
            assert (img.width, img.height) == (variant.width, variant.height)
            assert len(img.getexif()) == 0
            assert not {"exif", "xmp", "icc_profile", "comment", "photoshop", "adobe"} & set(img.info)
            img.load()


def assert_rejected(data: bytes, code: str, limits: PhotoLimits = PhotoLimits()) -> PhotoRejected:
    with pytest.raises(PhotoRejected) as caught:
        process_photo(data, limits)
    rejection = caught.value
    assert rejection.code == code, rejection
    assert rejection.message and rejection.message != rejection.message_en
    assert rejection.message_en
    return rejection


# --------------------------------------------------------------------------
# accepted photos: metadata, orientation, GPS


@pytest.fixture(scope="module")
def phone_jpeg() -> bytes:
    """Left half red, right half blue as stored; tagged "rotate 90° clockwise"."""
    return encode(
        halves((2400, 1800)),
        "JPEG",
        quality=92,
        exif=full_exif(orientation=6),
        xmp=XMP,
        icc_profile=SRGB_ICC,
        comment=SECRETS[3],
    )


def test_jpeg_with_everything_comes_out_clean_and_upright(phone_jpeg: bytes) -> None:
    photo = process_photo(phone_jpeg)

    assert_clean(photo)
    assert photo.source_type == "jpeg"
    assert (photo.width, photo.height) == (1800, 2400)  # portrait, as a viewer shows it
    assert photo.gps == pytest.approx((LAT, LON))
    assert photo.sha256 == hashlib.sha256(phone_jpeg).hexdigest()
    display, thumb = photo.variants["display"], photo.variants["thumb"]
    assert (display.width, display.height) == (1200, 1600)
    assert (thumb.width, thumb.height) == (240, 320)
    for variant in (display, thumb):
        with Image.open(io.BytesIO(variant.data)) as img:
            # Rotating 90° clockwise puts the stored left (red) half on top.
            assert close(colour_at(img, 0.5, 0.1), RED)
            assert close(colour_at(img, 0.5, 0.9), BLUE)


def test_read_gps_gives_the_position_of_the_upload(phone_jpeg: bytes) -> None:
    assert read_gps(phone_jpeg) == pytest.approx((LAT, LON))


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("size", [(2000, 1000), (300, 150)], ids=["reduced-decode", "small"])
def test_every_exif_orientation_matches_pillows_exif_transpose(orientation: int, size: tuple[int, int]) -> None:
    data = encode(quadrants(size), "JPEG", quality=95, exif=full_exif(orientation))
    with Image.open(io.BytesIO(data)) as original:
        expected = ImageOps.exif_transpose(original)

    photo = process_photo(data)

    assert (photo.width, photo.height) == expected.size
    for variant in photo.variants.values():
        with Image.open(io.BytesIO(variant.data)) as img:
            assert img.width / img.height == pytest.approx(expected.width / expected.height, rel=0.01)
            for fx in (0.25, 0.75):
                for fy in (0.25, 0.75):
                    assert close(colour_at(img, fx, fy), colour_at(expected, fx, fy)), (orientation, fx, fy)


def test_large_jpeg_is_decoded_at_reduced_scale(monkeypatch: pytest.MonkeyPatch, phone_jpeg: bytes) -> None:
    # The speed of the whole pipeline rests on this (bench/bench_media.py).
    requested: list[tuple[int, int] | None] = []
    original_draft = JpegImagePlugin.JpegImageFile.draft

    def spy(self: JpegImagePlugin.JpegImageFile, mode: str | None, size: tuple[int, int] | None) -> object:
        requested.append(size)
        return original_draft(self, mode, size)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    process_photo(phone_jpeg)
    # Pre-rotation layout: 2400x1800 is stored landscape, so the request is too.
    assert requested == [(1600, 1200)]


def test_small_photos_are_not_enlarged() -> None:
    photo = process_photo(encode(noise((200, 100)), "JPEG"))
    assert {name: (v.width, v.height) for name, v in photo.variants.items()} == {
        "display": (200, 100),
        "thumb": (200, 100),
    }


def test_png_text_chunks_dropped_and_transparency_on_white() -> None:
    img = Image.new("RGBA", (400, 300), (0, 0, 0, 0))  # transparent black on the left
    img.paste((0, 0, 255, 255), (200, 0, 400, 300))
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", SECRETS[3].decode())
    info.add_text("Author", SECRETS[1].decode(), zip=True)
    info.add_itxt("XML:com.adobe.xmp", XMP.decode())
    data = encode(img, "PNG", pnginfo=info, exif=full_exif(orientation=1))
    assert SECRETS[3] in data

    photo = process_photo(data)

    assert_clean(photo)
    assert photo.source_type == "png"
    assert photo.gps == pytest.approx((LAT, LON))
    with Image.open(io.BytesIO(photo.variants["display"].data)) as out:
        assert close(colour_at(out, 0.25, 0.5), WHITE)
        assert close(colour_at(out, 0.75, 0.5), BLUE)


def test_palette_png_with_transparent_index_goes_on_white() -> None:
    img = halves((300, 200), RED, BLUE).convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    red_index = img.getpixel((10, 10))
    data = encode(img, "PNG", transparency=red_index)

    with Image.open(io.BytesIO(process_photo(data).variants["display"].data)) as out:
        assert close(colour_at(out, 0.25, 0.5), WHITE)
        assert close(colour_at(out, 0.75, 0.5), BLUE)


def test_webp_with_exif_and_xmp() -> None:
    data = encode(halves((600, 400)), "WEBP", quality=90, exif=full_exif(orientation=6), xmp=XMP)
    assert SECRETS[0] in data and b"SECRET-XMP" in data

    photo = process_photo(data)

    assert_clean(photo)
    assert photo.source_type == "webp"
    assert photo.gps == pytest.approx((LAT, LON))
    assert read_gps(data) == pytest.approx((LAT, LON))
    assert (photo.width, photo.height) == (400, 600)
    with Image.open(io.BytesIO(photo.variants["display"].data)) as out:
        assert close(colour_at(out, 0.5, 0.1), RED)
        assert close(colour_at(out, 0.5, 0.9), BLUE)


@pytest.fixture(scope="module")
def heic_photo() -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    try:
        return encode(halves((640, 480)), "HEIF", quality=90, exif=full_exif(orientation=6).tobytes(), xmp=XMP)
    except Exception as exc:  # noqa: BLE001 - any failure means "no HEVC encoder here"
        pytest.skip(f"this libheif cannot encode HEIF ({exc!r}), so no HEIC test file can be made")


def test_heic_is_accepted_oriented_and_stripped(heic_photo: bytes) -> None:
    photo = process_photo(heic_photo)

    assert_clean(photo)
    assert photo.source_type == "heif"
    assert photo.gps == pytest.approx((LAT, LON))
    assert read_gps(heic_photo) == pytest.approx((LAT, LON))
    assert (photo.width, photo.height) == (480, 640)
    with Image.open(io.BytesIO(photo.variants["display"].data)) as out:
        # Rotated exactly once: libheif applies the rotation, the EXIF tag is not applied again.
        assert close(colour_at(out, 0.5, 0.1), RED)
        assert close(colour_at(out, 0.5, 0.9), BLUE)


def grey_with_alpha() -> bytes:
    """Black everywhere; transparent on the left, opaque on the right."""
    alpha = halves((300, 200), (0, 0, 0), WHITE).convert("L")
    return encode(Image.merge("LA", [Image.new("L", (300, 200), 0), alpha]), "PNG")


BLACK = (0, 0, 0)
GREY_156 = (156, 156, 156)  # 40000 / 256


def test_truncated_heic_is_refused(heic_photo: bytes) -> None:
    assert_rejected(heic_photo[: int(len(heic_photo) * 0.6)], "truncated")


@pytest.mark.parametrize(
    ("make", "expected_left", "expected_right"),
    [
        pytest.param(lambda: encode(halves((300, 200)).convert("CMYK"), "JPEG", quality=95), RED, BLUE, id="cmyk-jpeg"),
        pytest.param(lambda: encode(halves((300, 200)).convert("L"), "JPEG"), (76, 76, 76), (29, 29, 29), id="grey-jpeg"),
        pytest.param(lambda: encode(Image.new("I;16", (300, 200), 40000), "PNG"), GREY_156, GREY_156, id="16-bit-png"),
        pytest.param(lambda: encode(halves((300, 200), WHITE, BLACK).convert("1"), "PNG"), WHITE, BLACK, id="1-bit-png"),
        pytest.param(grey_with_alpha, WHITE, BLACK, id="grey-alpha-png"),
    ],
)
def test_unusual_modes_become_plain_jpeg(
    make: Callable[[], bytes], expected_left: tuple[int, int, int], expected_right: tuple[int, int, int]
) -> None:
    photo = process_photo(make())
    assert_clean(photo)
    with Image.open(io.BytesIO(photo.variants["display"].data)) as out:
        assert out.mode in ("RGB", "L")
        assert close(colour_at(out, 0.25, 0.5), expected_left)
        assert close(colour_at(out, 0.75, 0.5), expected_right)


def _profile_with_red_and_blue_swapped() -> bytes:
    """The sRGB profile with the red and blue primaries exchanged (and renamed
    so it is not mistaken for sRGB): pixels stored as pure red *mean* blue."""
    profile = bytearray(SRGB_ICC)
    (count,) = struct.unpack(">I", profile[128:132])
    entries = {}
    for index in range(count):
        at = 132 + 12 * index
        entries[bytes(profile[at : at + 4])] = at
    red, blue = entries[b"rXYZ"], entries[b"bXYZ"]
    red_entry, blue_entry = profile[red + 4 : red + 12], profile[blue + 4 : blue + 12]
    profile[red + 4 : red + 12], profile[blue + 4 : blue + 12] = blue_entry, red_entry
    return bytes(profile).replace(b"\x00s\x00R\x00G\x00B", b"\x00X\x00R\x00G\x00B")


def test_colours_of_a_non_srgb_profile_are_converted_before_it_is_dropped() -> None:
    data = encode(halves((400, 300)), "PNG", icc_profile=_profile_with_red_and_blue_swapped())

    photo = process_photo(data)

    assert_clean(photo)
    with Image.open(io.BytesIO(photo.variants["display"].data)) as out:
        assert close(colour_at(out, 0.25, 0.5), BLUE, tolerance=60)
        assert close(colour_at(out, 0.75, 0.5), RED, tolerance=60)


def test_a_garbage_icc_profile_is_just_dropped() -> None:
    photo = process_photo(encode(halves((400, 300)), "JPEG", icc_profile=b"not a profile" * 20))
    assert_clean(photo)
    with Image.open(io.BytesIO(photo.variants["display"].data)) as out:
        assert close(colour_at(out, 0.25, 0.5), RED)


# --------------------------------------------------------------------------
# polyglots and hidden payloads


def test_data_after_the_jpeg_end_never_reaches_the_output() -> None:
    # Phones legitimately append data after EOI (MPF depth maps, Samsung
    # trailers), so this is accepted, and re-encoding drops it.
    payload = b"PK\x03\x04" + zlib.compress(b"<script>alert(1)</script>") + b"<html><script>alert(2)</script>"
    photo = process_photo(encode(noise((400, 300)), "JPEG") + payload)
    assert_clean(photo)
    for variant in photo.variants.values():
        assert b"PK\x03\x04" not in variant.data and b"<script>" not in variant.data


def test_html_in_a_jpeg_comment_never_reaches_the_output() -> None:
    photo = process_photo(encode(noise((400, 300)), "JPEG", comment=b"<script>alert(1)</script>"))
    assert_clean(photo)
    assert all(b"<script>" not in variant.data for variant in photo.variants.values())


# --------------------------------------------------------------------------
# refusals


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims the given size; its pixel data is not
    nearly enough for it, so only a dimension check can give the right answer."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 4096))
        + chunk(b"IEND", b"")
    )


def small_jpeg() -> bytes:
    return encode(noise((400, 300)), "JPEG")


def big_jpeg() -> bytes:
    return encode(noise((2400, 1800)), "JPEG", quality=90)


def gifar() -> bytes:
    return encode(halves((64, 48)), "GIF") + b"\n/*<script>alert(1)</script>*/PK\x03\x04"


def cut(data: bytes, fraction: float) -> bytes:
    return data[: int(len(data) * fraction)]


HTML = b"<html><script>alert(1)</script></html>\n"

REFUSALS = [
    pytest.param(lambda: b"Hallo, dies ist eine Textdatei namens foto.jpg\n" * 20, "not_an_image", id="text-named-jpg"),
    pytest.param(lambda: b"", "not_an_image", id="empty"),
    pytest.param(lambda: HTML + small_jpeg(), "not_an_image", id="html-jpeg-polyglot"),
    pytest.param(lambda: b"%PDF-1.7\n" + small_jpeg(), "not_an_image", id="pdf-jpeg-polyglot"),
    pytest.param(gifar, "unsupported_type", id="gif-with-script"),
    pytest.param(lambda: encode(halves((64, 48)), "GIF"), "unsupported_type", id="gif"),
    pytest.param(lambda: encode(halves((64, 48)), "TIFF"), "unsupported_type", id="tiff"),
    pytest.param(lambda: encode(halves((64, 48)), "BMP"), "unsupported_type", id="bmp"),
    pytest.param(lambda: b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + bytes(64), "unsupported_type", id="avif"),
    pytest.param(lambda: b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + bytes(64), "unsupported_type", id="mp4"),
    pytest.param(lambda: b"\xff\xd8\xff\xe0" + HTML, "truncated", id="jpeg-magic-then-html"),
    pytest.param(lambda: cut(small_jpeg(), 0.6), "truncated", id="jpeg-cut-at-60%"),
    pytest.param(lambda: cut(big_jpeg(), 0.6), "truncated", id="reduced-decode-jpeg-cut-at-60%"),
    pytest.param(lambda: big_jpeg()[:-2], "truncated", id="reduced-decode-jpeg-without-eoi"),
    pytest.param(
        lambda: cut(encode(noise((2400, 1800)), "JPEG", progressive=True), 0.6),
        "truncated",
        id="progressive-jpeg-cut-at-60%",
    ),
    pytest.param(lambda: cut(encode(noise((400, 300)), "PNG"), 0.6), "truncated", id="png-cut"),
    pytest.param(lambda: cut(encode(noise((400, 300)), "WEBP"), 0.6), "truncated", id="webp-cut"),
    pytest.param(lambda: png_claiming(30000, 30000), "decompression_bomb", id="bomb-30000x30000"),
    pytest.param(lambda: png_claiming(9000, 9000), "too_many_pixels", id="81-megapixels"),
    pytest.param(lambda: png_claiming(1, 20000), "bad_dimensions", id="1x20000-header"),
    pytest.param(lambda: encode(Image.new("RGB", (1, 20000)), "PNG"), "bad_dimensions", id="1x20000-real"),
    pytest.param(lambda: encode(Image.new("RGB", (8, 8)), "JPEG"), "bad_dimensions", id="8x8"),
    pytest.param(lambda: b"\xff\xd8\xff" + bytes(15 * 1024 * 1024), "too_large", id="over-15-MiB"),
]


@pytest.mark.parametrize(("make", "code"), REFUSALS)
def test_refusals(make: Callable[[], bytes], code: str) -> None:
    assert_rejected(make(), code)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_pixels_between_pillows_warning_and_error_are_refused() -> None:
    # 121 MP: Pillow only warns; our own limit must refuse it before decoding.
    assert_rejected(png_claiming(11000, 11000), "too_many_pixels")


def test_pillows_bomb_warning_is_a_rejection_where_warnings_are_errors() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        assert_rejected(png_claiming(11000, 11000), "decompression_bomb")


def test_limits_are_configurable() -> None:
    data = small_jpeg()
    assert_rejected(data, "too_large", PhotoLimits(max_bytes=len(data) - 1))
    assert_rejected(data, "too_many_pixels", PhotoLimits(max_pixels=400 * 300 - 1))
    assert_rejected(data, "bad_dimensions", PhotoLimits(max_side=399))
    assert_rejected(data, "bad_dimensions", PhotoLimits(min_side=301))
    assert process_photo(data, PhotoLimits(max_bytes=len(data), max_pixels=400 * 300, max_side=400, min_side=300))


def test_messages_name_the_limit_in_german() -> None:
    rejection = assert_rejected(b"\xff\xd8\xff" + bytes(16 * 1024 * 1024), "too_large")
    assert "höchstens 15 MB" in rejection.message
    assert rejection.message_for("de_DE") == rejection.message
    assert rejection.message_for("en-GB") == rejection.message_en


def test_mutated_files_are_processed_or_rejected_never_crash() -> None:
    rng = random.Random(42)
    sources = [encode(noise((64, 48), seed=2), fmt) for fmt in ("JPEG", "PNG", "WEBP")]
    for source in sources:
        for _ in range(40):
            data = bytearray(source)
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            try:
                process_photo(bytes(data))
            except PhotoRejected:
                pass
            assert read_gps(bytes(data)) in (None, pytest.approx((LAT, LON)))


def test_refuses_to_run_when_pillow_is_told_to_accept_truncated_files(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    with pytest.raises(RuntimeError, match="LOAD_TRUNCATED_IMAGES"):
        process_photo(small_jpeg())


# --------------------------------------------------------------------------
# read_gps on its own


@pytest.mark.parametrize(
    ("gps", "expected"),
    [
        ({1: "S", 2: (33.0, 51.0, 36.0), 3: "W", 4: (151.0, 12.0, 36.0)}, (-33.86, -151.21)),
        ({1: b"N\x00", 2: (52.52, 0.0, 0.0), 3: b"E\x00", 4: (13.41, 0.0, 0.0)}, (LAT, LON)),
        ({1: "N", 2: LAT_DMS, 3: "E", 4: LON_DMS, 9: "V"}, None),  # receiver said "void"
        ({1: "N", 2: (0.0, 0.0, 0.0), 3: "E", 4: (0.0, 0.0, 0.0)}, None),  # no fix yet
        ({2: LAT_DMS, 4: LON_DMS}, None),  # hemisphere missing
        ({1: "N", 2: (95.0, 0.0, 0.0), 3: "E", 4: LON_DMS}, None),  # out of range
        ({1: "N", 2: LAT_DMS}, None),  # no longitude
        ({1: "N", 2: LAT_DMS, 3: "X", 4: LON_DMS}, None),  # hemisphere nonsense
    ],
)
def test_read_gps_edge_cases(gps: dict[int, object], expected: tuple[float, float] | None) -> None:
    data = encode(noise((64, 48)), "JPEG", exif=full_exif(orientation=1, gps=gps))
    result = read_gps(data)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not an image at all",
        b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00garbage!",
        encode(noise((64, 48)), "JPEG"),  # no EXIF
        encode(noise((64, 48)), "GIF"),
        png_claiming(30000, 30000),
    ],
    ids=["empty", "text", "broken-exif", "no-exif", "gif", "bomb"],
)
def test_read_gps_returns_none_instead_of_raising(data: bytes) -> None:
    assert read_gps(data) is None


# --------------------------------------------------------------------------
# the error type and the package boundary


def test_photo_rejected_speaks_both_languages_and_survives_pickling() -> None:
    rejection = PhotoRejected("truncated", "Das Foto ist beschädigt.", "The photo is damaged.")
    assert rejection.message_for("de") == "Das Foto ist beschädigt."
    assert rejection.message_for("en_US") == "The photo is damaged."
    assert rejection.message_for("fr") == "Das Foto ist beschädigt."  # the service's language
    assert "truncated" in str(rejection)
    copy = pickle.loads(pickle.dumps(rejection))
    assert (copy.code, copy.message, copy.message_en) == (rejection.code, rejection.message, rejection.message_en)


def test_media_imports_neither_flask_nor_the_database() -> None:
    code = (
        "import sys, media, media.processing, media.storage;"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'flask', 'sqlalchemy', 'app', 'pillow_heif', 'boto3'}))"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    # pillow_heif is loaded on the first HEIC only; boto3 only for S3Storage.
    assert result.stdout.strip() == "[]"
