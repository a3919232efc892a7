"""Benchmark photo processing against the product issue's figures.

Usage::

    python bench/bench_media.py [--repeat N] [--markdown FILE]

Builds a 12-megapixel photo-like JPEG (about 4.6 MB, quality 95, EXIF
orientation 6 and a GPS position) in memory and reports the median time of

(a) the naive Pillow way: full decode, ``ImageOps.exif_transpose`` on the full
    image, each variant resized from it and saved as WebP at default effort;
(b) the reduced-decode reference from the issue: ``draft`` at the display size,
    resize before rotating, thumb from display, JPEG output;
(c) ``media.process_photo`` (which also validates, reads EXIF, hashes, ...).

The target is c/b <= 1.3; the exit status is 1 when it is missed. The three
pipelines are interleaved run by run, so a busy machine slows them alike.
With ``--markdown FILE`` the table replaces the part of FILE between
``<!-- bench_media:start -->`` and ``<!-- bench_media:end -->`` (the markers
and table are appended if missing; the file is created if needed).
"""

from __future__ import annotations

import argparse
import io
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageOps

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import write_section  # noqa: E402

from media.processing import (  # noqa: E402 - after the sys.path line above
    DISPLAY_LONG_SIDE,
    JPEG_QUALITY,
    THUMB_LONG_SIDE,
    process_photo,
)

TARGET_RATIO = 1.3
VARIANT_SIDES = (DISPLAY_LONG_SIDE, THUMB_LONG_SIDE)


def make_photo(width: int = 4000, height: int = 3000, seed: int = 1234) -> bytes:
    """A deterministic photo-like JPEG: smooth gradients plus grain, which
    compresses about like a phone photo (a flat test card would be ~10x too
    small and decode unrealistically fast)."""
    rng = random.Random(seed)

    def grain() -> Image.Image:
        half = Image.frombytes("L", (width // 2, height // 2), rng.randbytes(width * height // 4))
        return half.resize((width, height), Image.Resampling.BILINEAR)

    horizontal = Image.linear_gradient("L").resize((width, height))
    radial = Image.radial_gradient("L").resize((width, height))
    vertical = horizontal.transpose(Image.Transpose.ROTATE_90).resize((width, height))
    photo = Image.merge("RGB", [Image.blend(g, grain(), 0.18) for g in (horizontal, radial, vertical)])

    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display", as phones held upright write it
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)}
    buffer = io.BytesIO()
    photo.save(buffer, format="JPEG", quality=95, exif=exif)
    return buffer.getvalue()


def _fit(size: tuple[int, int], long_side: int) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, long_side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def naive(data: bytes) -> list[bytes]:
    """(a) What one writes first."""
    with Image.open(io.BytesIO(data)) as im:
        oriented = ImageOps.exif_transpose(im)
        outputs = []
        for side in VARIANT_SIDES:
            buffer = io.BytesIO()
            oriented.resize(_fit(oriented.size, side), Image.Resampling.LANCZOS).save(buffer, format="WEBP")
            outputs.append(buffer.getvalue())
        return outputs


_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def reduced(data: bytes) -> list[bytes]:
    """(b) The issue's reference: reduced decode, resize then rotate, JPEG."""
    with Image.open(io.BytesIO(data)) as im:
        original = im.size
        orientation = im.getexif().get(0x0112, 1)
        im.draft("RGB", _fit(original, DISPLAY_LONG_SIDE))
        im.load()
        method = _TRANSPOSE.get(orientation)
        outputs = []
        source: Image.Image = im
        for side in VARIANT_SIDES:
            source = source.resize(_fit(original, side), Image.Resampling.LANCZOS)
            oriented = source.transpose(method) if method is not None else source
            buffer = io.BytesIO()
            oriented.save(buffer, format="JPEG", quality=JPEG_QUALITY, progressive=True)
            outputs.append(buffer.getvalue())
        return outputs


def seconds(function: Callable[[bytes], object], data: bytes) -> float:
    started = time.perf_counter()
    function(data)
    return time.perf_counter() - started


def run(repeat: int) -> tuple[str, float]:
    data = make_photo()
    pipelines = (naive, reduced, process_photo)
    for pipeline in pipelines:
        pipeline(data)  # warm-up: plugin imports, allocator
    # Interleave the three so that load from other processes on the machine
    # hits them alike instead of spoiling one.
    rounds = [[seconds(pipeline, data) * 1000 for pipeline in pipelines] for _ in range(repeat)]
    a, b, c = (statistics.median(column) for column in zip(*rounds))
    table = "\n".join(
        [
            f"Photo processing, 4000×3000 JPEG of {len(data) / 1e6:.1f} MB, EXIF orientation 6; "
            f"median of {repeat} runs; Python {platform.python_version()}, "
            f"Pillow {Image.__version__}, {platform.machine()}.",
            "",
            "| pipeline | ms | (c) ÷ this row |",
            "|---|---:|---:|",
            f"| (a) naive: full decode, exif_transpose, WebP | {a:.0f} | {c / a:.2f} |",
            f"| (b) reference: draft, resize, transpose, JPEG | {b:.0f} | {c / b:.2f} |",
            f"| (c) media.process_photo | {c:.0f} | 1.00 |",
            "",
            f"Target: c/b ≤ {TARGET_RATIO} — {'met' if c / b <= TARGET_RATIO else 'NOT MET'}.",
        ]
    )
    return table, c / b


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs per pipeline (default 7)")
    parser.add_argument("--markdown", type=Path, help="write the table into this Markdown file")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    table, ratio = run(args.repeat)
    print(table)
    if args.markdown:
        write_section(args.markdown, "bench_media", table)
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    raise SystemExit(main())
