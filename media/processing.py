"""Validate, decode, orient, strip and resize uploaded photos.

Bytes go in; either JPEG variants without any metadata come out, or
:class:`~media.errors.PhotoRejected` says in plain words why not. The original
upload is never part of the result: it is the one thing that carries the
citizen's EXIF (GPS, camera serial, maker notes), so only re-encoded pixels are
meant to be stored.

Speed matters because this runs once per upload on small machines: a JPEG is
decoded at reduced scale (libjpeg's DCT scaling via ``Image.draft``) just large
enough for the biggest variant, the thumbnail is derived from the display
image, and the EXIF orientation is applied with ``transpose`` to the small
images rather than to the full-size decode. ``bench/bench_media.py`` keeps
that honest.
"""

from __future__ import annotations

import functools
import hashlib
import io
import logging
import math
from dataclasses import dataclass
from typing import Final

from PIL import ExifTags, Image, ImageCms, ImageFile, UnidentifiedImageError

from media.errors import PhotoRejected

log = logging.getLogger(__name__)

THUMB_LONG_SIDE: Final = 320
DISPLAY_LONG_SIDE: Final = 1600
JPEG_QUALITY: Final = 82
OUTPUT_CONTENT_TYPE: Final = "image/jpeg"

# Largest first: the thumbnail is resized from the display image, not from the
# (much larger) decode.
_VARIANT_LONG_SIDES: Final[tuple[tuple[str, int], ...]] = (
    ("display", DISPLAY_LONG_SIDE),
    ("thumb", THUMB_LONG_SIDE),
)

_PILLOW_FORMAT: Final = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "heif": "HEIF"}

# ISO-BMFF brands that mean "HEVC-coded HEIF", which libde265 can decode.
# ``mif1``/``msf1`` alone are not enough: AVIF files carry them too.
_HEVC_BRANDS: Final = frozenset(
    {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}
)

# Same mapping as PIL.ImageOps.exif_transpose; spelled out because we apply it
# to the resized images, not to the decoded original.
_ORIENTATION_TRANSPOSE: Final = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

_SUPPORTED_FORMATS_DE: Final = "JPEG, PNG, WebP oder HEIC"
_SUPPORTED_FORMATS_EN: Final = "JPEG, PNG, WebP or HEIC"


@dataclass(frozen=True)
class PhotoLimits:
    """What an upload may be. The defaults fit any phone or compact camera."""

    max_bytes: int = 15 * 1024 * 1024
    max_pixels: int = 50_000_000
    max_side: int = 12000
    min_side: int = 16


@dataclass(frozen=True)
class Variant:
    """One stored rendition of a photo: JPEG bytes without metadata."""

    name: str
    data: bytes
    content_type: str
    width: int
    height: int


@dataclass(frozen=True)
class ProcessedPhoto:
    """The result of :func:`process_photo`.

    ``variants`` has the keys ``"thumb"`` (long side at most 320 px) and
    ``"display"`` (long side at most 1600 px); small photos are never
    enlarged. ``width``/``height`` are those of the original as a viewer shows
    it (EXIF orientation applied). ``gps`` is ``(lat, lon)`` read from the
    upload's EXIF before it was discarded, for offering as the pin position.
    ``sha256`` is the hex digest of the uploaded bytes (duplicate detection).
    """

    variants: dict[str, Variant]
    source_type: str
    width: int
    height: int
    gps: tuple[float, float] | None
    sha256: str


# --------------------------------------------------------------------------
# public functions


def read_gps(data: bytes) -> tuple[float, float] | None:
    """Return ``(lat, lon)`` from the EXIF GPS block of an image, or None.

    Only headers are parsed, no pixels decoded. Never raises: a missing,
    void, out-of-range or garbled position, or bytes that are no supported
    image at all, all give None.
    """
    try:
        source_type = _sniff_type(data)
        if source_type not in _PILLOW_FORMAT:
            return None
        if source_type == "heif":
            _register_heif_opener()
        with Image.open(io.BytesIO(data), formats=[_PILLOW_FORMAT[source_type]]) as im:
            # Not im.getexif(): for a PNG whose eXIf chunk is not in the header
            # that would decode the whole image just to find it.
            raw = im.info.get("exif")
            if not isinstance(raw, bytes) or not raw:
                return None
            exif = Image.Exif()
            exif.load(raw)
            return _gps_from_exif(exif)
    except Exception:  # noqa: BLE001 - best effort by contract; see docstring
        return None


def process_photo(data: bytes, limits: PhotoLimits = PhotoLimits()) -> ProcessedPhoto:
    """Validate an uploaded photo and derive metadata-free JPEG variants from it.

    The type is decided from the content's magic bytes (there is no file name
    to trust); JPEG, PNG, WebP and HEIC/HEIF are accepted. Dimensions are
    checked from the header before any pixel is decoded, then the whole file is
    decoded so that truncated uploads are refused rather than stored half grey.
    EXIF orientation is applied to the pixels; colours in a non-sRGB ICC
    profile are converted to sRGB; transparency is composited on white.

    Raises:
        PhotoRejected: with ``code`` one of ``too_large``, ``not_an_image``,
            ``unsupported_type``, ``bad_dimensions``, ``too_many_pixels``,
            ``decompression_bomb``, ``truncated`` (also used for otherwise
            corrupt files).
        RuntimeError: if ``PIL.ImageFile.LOAD_TRUNCATED_IMAGES`` has been
            switched on somewhere in the process: truncated uploads could then
            no longer be told apart from whole ones.
        MemoryError: is not turned into a rejection; within the limits it
            means the server, not the photo, is the problem.
    """
    if ImageFile.LOAD_TRUNCATED_IMAGES:
        # With this global set, Pillow pads a cut-off JPEG with grey instead of
        # raising, and we would store broken photos without noticing.
        raise RuntimeError(
            "media.process_photo needs PIL.ImageFile.LOAD_TRUNCATED_IMAGES to be False"
        )
    if len(data) > limits.max_bytes:
        raise _too_large(len(data), limits)

    source_type = _sniff_type(data)
    if source_type not in _PILLOW_FORMAT:
        raise _not_supported(source_type)
    if source_type == "heif":
        _register_heif_opener()

    im = _open(data, source_type)
    with im:
        original_size = im.size
        _check_dimensions(original_size, limits)
        _decode(im, source_type)
        exif = _exif_of(im)
        orientation = _orientation(exif)
        gps = _gps_from_exif(exif)
        icc_profile = im.info.get("icc_profile")
        # Still inside the with: for RGB sources ``pixels`` is ``im`` itself.
        pixels = _flatten_to_rgb_or_l(im)
        variants = _make_variants(pixels, original_size, orientation, icc_profile)

    width, height = original_size
    if orientation in (5, 6, 7, 8):
        width, height = height, width
    return ProcessedPhoto(
        variants=variants,
        source_type=source_type,
        width=width,
        height=height,
        gps=gps,
        sha256=hashlib.sha256(data).hexdigest(),
    )


# --------------------------------------------------------------------------
# type detection and opening


def _sniff_type(data: bytes) -> str:
    """Name the container from magic bytes: one of the accepted types, the
    name of a known but unaccepted image format, or "" for anything else."""
    head = data[:32]
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp":
        box_size = int.from_bytes(head[:4], "big")
        brands = {data[8:12]}
        brands.update(data[i : i + 4] for i in range(16, min(box_size, 256), 4))
        if brands & _HEVC_BRANDS:
            return "heif"
        if brands & {b"avif", b"avis"}:
            return "AVIF"
        return "MP4/MOV"  # the same container is used by videos
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "TIFF"
    # "BM" alone is too common at the start of text; byte 14 is the size of
    # the DIB header, which has one of a few fixed values.
    if head.startswith(b"BM") and head[14:15] in (b"\x0c", b"(", b"4", b"8", b"@", b"l", b"|"):
        return "BMP"
    if head.startswith((b"\xff\x0a", b"\x00\x00\x00\x0cJXL \r\n\x87\n")):
        return "JPEG XL"
    if head.startswith(b"8BPS"):
        return "PSD"
    return ""


def _not_supported(sniffed: str) -> PhotoRejected:
    if not sniffed:
        return PhotoRejected(
            "not_an_image",
            f"Die Datei ist kein Foto. Bitte laden Sie ein Foto im Format {_SUPPORTED_FORMATS_DE} hoch.",
            f"The file is not a photo. Please upload a photo in {_SUPPORTED_FORMATS_EN} format.",
        )
    return PhotoRejected(
        "unsupported_type",
        f"Das Bildformat {sniffed} wird nicht unterstützt. "
        f"Bitte laden Sie ein Foto im Format {_SUPPORTED_FORMATS_DE} hoch.",
        f"The image format {sniffed} is not supported. "
        f"Please upload a photo in {_SUPPORTED_FORMATS_EN} format.",
    )


@functools.cache
def _register_heif_opener() -> None:
    # Imported and registered on first use so that JPEG-only processes do not
    # load libheif. Two threads racing here register the same plugin twice,
    # which is harmless. We only ever use the primary image, so thumbnails,
    # depth and auxiliary images are not even parsed.
    import pillow_heif

    pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)


def _open(data: bytes, source_type: str) -> ImageFile.ImageFile:
    """Parse the header with the one Pillow plugin the magic bytes named."""
    try:
        return Image.open(io.BytesIO(data), formats=[_PILLOW_FORMAT[source_type]])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # The warning arrives as an exception only where warnings are turned
        # into errors. We do not switch that on ourselves: warnings.catch_warnings
        # changes process-wide state and is not thread-safe. Without it, the
        # dimension check right after opening refuses the same images anyway,
        # because our pixel limit is below Pillow's warning threshold.
        raise _bomb() from None
    except MemoryError:
        raise
    except UnidentifiedImageError:
        raise _corrupt() from None
    except Exception:  # noqa: BLE001 - Pillow's parsers raise many types on bad input
        # The magic bytes said this is our format, so a header Pillow cannot
        # read means a damaged file rather than a different kind of file.
        raise _corrupt() from None


def _check_dimensions(size: tuple[int, int], limits: PhotoLimits) -> None:
    width, height = size
    if min(width, height) < limits.min_side or max(width, height) > limits.max_side:
        raise PhotoRejected(
            "bad_dimensions",
            f"Das Bild hat ungewöhnliche Abmessungen ({width} × {height} Bildpunkte). "
            f"Jede Seite muss zwischen {limits.min_side} und {limits.max_side} Bildpunkte lang sein.",
            f"The image has unusual dimensions ({width} × {height} pixels). "
            f"Each side must be between {limits.min_side} and {limits.max_side} pixels long.",
        )
    if width * height > limits.max_pixels:
        megapixels = _de_number(width * height / 1e6)
        max_megapixels = _de_number(limits.max_pixels / 1e6)
        raise PhotoRejected(
            "too_many_pixels",
            f"Das Foto hat zu viele Bildpunkte ({megapixels} Megapixel, erlaubt sind "
            f"höchstens {max_megapixels}). Bitte verkleinern Sie es vor dem Hochladen.",
            f"The photo has too many pixels ({width * height / 1e6:.1f} megapixels, at most "
            f"{limits.max_pixels / 1e6:.1f} allowed). Please make it smaller before uploading.",
        )


def _decode(im: ImageFile.ImageFile, source_type: str) -> None:
    """Decode all pixel data (at reduced scale for big JPEGs) or reject."""
    if source_type == "jpeg" and max(im.size) > DISPLAY_LONG_SIDE:
        # libjpeg picks the largest 1/8 … 1/1 scale that is still at least this
        # size. Long-side fitting does not depend on orientation, so the size
        # is already right for the stored (pre-rotation) pixel layout. The
        # whole entropy-coded stream is still read, so truncation is detected.
        im.draft("RGB", _fit(im.size, DISPLAY_LONG_SIDE))
    try:
        im.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _bomb() from None
    except MemoryError:
        raise
    except Exception:  # noqa: BLE001 - OSError, SyntaxError, ValueError, EOFError, ...
        raise _corrupt() from None


def _too_large(size: int, limits: PhotoLimits) -> PhotoRejected:
    mib, max_mib = size / 2**20, limits.max_bytes / 2**20
    return PhotoRejected(
        "too_large",
        f"Das Foto ist zu groß ({_de_number(mib)} MB, erlaubt sind höchstens "
        f"{_de_number(max_mib)} MB). Bitte laden Sie ein kleineres Foto hoch.",
        f"The photo is too large ({mib:.1f} MB, at most {max_mib:.1f} MB allowed). "
        "Please upload a smaller photo.",
    )


def _bomb() -> PhotoRejected:
    return PhotoRejected(
        "decompression_bomb",
        "Die Datei gibt vor, ein riesiges Bild zu enthalten, und wird aus Sicherheitsgründen "
        "nicht geöffnet. Bitte laden Sie ein gewöhnliches Foto hoch.",
        "The file claims to contain an enormous image and is not opened for safety reasons. "
        "Please upload an ordinary photo.",
    )


def _corrupt() -> PhotoRejected:
    return PhotoRejected(
        "truncated",
        "Das Foto ist unvollständig oder beschädigt. Bitte laden Sie es noch einmal hoch.",
        "The photo is incomplete or damaged. Please upload it again.",
    )


def _de_number(value: float) -> str:
    """15.0 -> "15", 4.66 -> "4,7" (German decimal comma)."""
    text = f"{value:.1f}".replace(".", ",")
    return text.removesuffix(",0")


# --------------------------------------------------------------------------
# EXIF: orientation and GPS


def _exif_of(im: Image.Image) -> Image.Exif:
    # A broken EXIF block must not cost the citizen the photo: we only lose
    # the orientation and the position hint.
    try:
        return im.getexif()
    except MemoryError:
        raise
    except Exception:  # noqa: BLE001 - Pillow's TIFF/EXIF parser has many failure types
        log.info("ignoring unreadable EXIF block", exc_info=True)
        return Image.Exif()


def _orientation(exif: Image.Exif) -> int:
    # pillow_heif has already applied HEIF's own rotation and reports 1 here,
    # so HEIC photos are not rotated twice.
    value = exif.get(ExifTags.Base.Orientation, 1)
    return value if isinstance(value, int) and value in _ORIENTATION_TRANSPOSE else 1


def _gps_from_exif(exif: Image.Exif) -> tuple[float, float] | None:
    try:
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    except Exception:  # noqa: BLE001 - a garbled GPS IFD just means "no position"
        return None
    if not gps:
        return None
    if _ascii(gps.get(ExifTags.GPS.GPSStatus)) == "V":
        return None  # "measurement void": the receiver had no fix
    lat = _degrees(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), "N", "S")
    lon = _degrees(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef), "E", "W")
    if lat is None or lon is None or abs(lat) > 90 or abs(lon) > 180:
        return None
    if lat == 0 and lon == 0:
        return None  # cameras without a fix write zeros; nobody reports defects at 0°N 0°E
    return round(lat, 7), round(lon, 7)


def _degrees(dms: object, ref: object, positive: str, negative: str) -> float | None:
    """(deg, min, sec) rationals plus a hemisphere letter -> signed degrees."""
    hemisphere = _ascii(ref)
    if hemisphere not in (positive, negative):
        # Without the hemisphere the sign is a guess; a wrong pin is worse
        # than none.
        return None
    if not isinstance(dms, tuple) or not 1 <= len(dms) <= 3:
        return None
    try:
        parts = [float(part) for part in dms]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not all(math.isfinite(part) and part >= 0 for part in parts):
        return None
    value = sum(part / 60**i for i, part in enumerate(parts))
    return -value if hemisphere == negative else value


def _ascii(value: object) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return value.strip("\x00 ").upper() if isinstance(value, str) else ""


# --------------------------------------------------------------------------
# pixels


def _flatten_to_rgb_or_l(im: Image.Image) -> Image.Image:
    """Bring any decoded mode to what a baseline JPEG can hold: RGB or L."""
    mode = im.mode
    if mode in ("RGB", "L"):
        return im
    if mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
        mode = im.mode
        if mode == "RGB":
            return im
    if mode in ("RGBA", "RGBa", "LA", "La", "PA"):
        rgba = im.convert("RGBA")
        # Transparent areas would otherwise come out black (or whatever junk
        # colour sits under alpha 0); white is what a browser page behind a
        # transparent PNG usually looks like.
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat if mode not in ("LA", "La") else flat.convert("L")
    if mode.startswith("I;16") or mode in ("I", "F"):
        # convert("L") clips at 255 instead of scaling 16-bit values down.
        wide = im.convert("I") if mode.startswith("I;16") else im
        return wide.point(lambda value: value * (1 / 256)).convert("L")
    if mode == "CMYK":
        icc_profile = im.info.get("icc_profile")
        transform = _to_srgb_transform(icc_profile, "CMYK") if icc_profile else None
        if transform is not None:
            return ImageCms.applyTransform(im, transform)
        return im.convert("RGB")
    return im.convert("RGB")


def _make_variants(
    pixels: Image.Image,
    original_size: tuple[int, int],
    orientation: int,
    icc_profile: object,
) -> dict[str, Variant]:
    transpose = _ORIENTATION_TRANSPOSE.get(orientation)
    transform = None
    if pixels.mode == "RGB" and isinstance(icc_profile, bytes) and icc_profile:
        transform = _to_srgb_transform(icc_profile, "RGB")

    variants: dict[str, Variant] = {}
    source = pixels
    for name, long_side in _VARIANT_LONG_SIDES:
        # Sizes come from the original dimensions, not from the draft-scaled
        # decode, so the aspect ratio is exact.
        size = _fit(original_size, long_side)
        resized = source if source.size == size else source.resize(size, Image.Resampling.LANCZOS)
        if transform is not None and source is pixels:
            # Colour-convert once, at display size; smaller variants inherit it.
            resized = ImageCms.applyTransform(resized, transform)
        source = resized
        oriented = resized.transpose(transpose) if transpose is not None else resized
        data = _encode_jpeg(oriented)
        variants[name] = Variant(name, data, OUTPUT_CONTENT_TYPE, oriented.width, oriented.height)
    return variants


def _encode_jpeg(im: Image.Image) -> bytes:
    # resize/transpose copy ``info``, and the JPEG encoder still picks some of
    # it up by default (the COM comment); with an empty dict nothing but
    # pixels can reach the output, whatever future Pillow versions carry over.
    im.info = {}
    buffer = io.BytesIO()
    im.save(buffer, format="JPEG", quality=JPEG_QUALITY, progressive=True)
    return buffer.getvalue()


def _fit(size: tuple[int, int], long_side: int) -> tuple[int, int]:
    """Scale ``size`` so its long side is at most ``long_side``; never enlarge."""
    width, height = size
    longest = max(width, height)
    if longest <= long_side:
        return width, height
    scale = long_side / longest
    return max(1, round(width * scale)), max(1, round(height * scale))


@functools.lru_cache(maxsize=16)
def _to_srgb_transform(icc_profile: bytes, mode: str) -> ImageCms.ImageCmsTransform | None:
    """A transform from the embedded profile to sRGB, or None if not needed or
    not possible (then the profile is simply dropped).

    Cached because phones embed the same few profiles (Display P3) in every
    photo; NOCACHE makes one transform safe to share between threads.
    """
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        expected_space = "CMYK" if mode == "CMYK" else "RGB "
        if source.profile.xcolor_space != expected_space:
            return None
        if mode == "RGB" and ImageCms.getProfileDescription(source).strip().startswith("sRGB"):
            return None  # already what a browser assumes for untagged JPEGs
        return ImageCms.buildTransform(
            source,
            ImageCms.createProfile("sRGB"),
            mode,
            "RGB",
            renderingIntent=ImageCms.Intent.PERCEPTUAL,
            flags=ImageCms.Flags.NOCACHE,
        )
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        log.info("ignoring unusable ICC profile", exc_info=True)
        return None
