"""Small SVG charts rendered on the server: no chart library, no JavaScript, no
inline style (the CSP forbids it) - colours are SVG presentation attributes.

Every chart is ``role="img"`` with a title and description; the page shows the
same figures as a table, which is what screen readers should use.
"""
from __future__ import annotations

import math
import textwrap
from typing import Callable
from xml.sax.saxutils import escape, quoteattr

BLUE = "#005a9c"
GREEN = "#2e7d32"
TEXT = "#1b1b1b"
GRID = "#c8c8c8"


TICKS = 4  # grid lines above the zero line


def _count_axis_top(value: float) -> int:
    """The axis top for counts: ``TICKS`` steps of a whole 1, 2 or 5 × 10^k, together at
    least ``value``. Every grid line is then a whole number: a chart of reports never
    labels a line "0.25" or "12.5"."""
    needed = max(value / TICKS, 1)
    magnitude = 10 ** math.floor(math.log10(needed))
    step = next(f * magnitude for f in (1, 2, 5, 10) if needed <= f * magnitude)
    return int(step) * TICKS


# The pictures are about a phone's width (400 units): text of 14 units reads at 11.5-12.5 px on a
# phone, where pictures 640 wide drew it at 6-7 px. map.css keeps them at most 28rem wide.
# direction="ltr" on each picture: on an Arabic (right-to-left) page the inherited direction would
# anchor a label's start at its right end and push it out of the picture; Arabic words themselves
# still read right to left.
WIDTH = 400
FONT = 14
CHAR_W = 7.6  # a generous average width of a character at FONT, for fitting labels


def grouped_columns(chart_id: str, title: str, description: str, labels: list[str],
                    series: list[tuple[str, str, list[int]]], width: int = WIDTH, height: int = 240,
                    number: Callable[[int], str] = str) -> str:
    """Columns of counts per label, one colour per series: [(name, colour, values)].
    ``number`` writes an axis value in the reader's language (thousands separator). Where the
    labels would overlap, every k-th is written, always the last (the current month)."""
    left, right, top, bottom = 52, 8, 30, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _count_axis_top(max((v for _, _, values in series for v in values), default=0))
    group_w = plot_w / max(len(labels), 1)
    bar_w = max(2.0, (group_w - 4) / max(len(series), 1))
    label_w = max((len(label) for label in labels), default=0) * CHAR_W + 8
    every = max(1, math.ceil(label_w / group_w))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" direction="ltr" viewBox="0 0 {width} {height}" role="img" '
             f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
             f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(description)}</desc>']
    for i in range(TICKS + 1):
        value = top_value * i // TICKS
        y = top + plot_h - plot_h * i / TICKS
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="{FONT}" fill="{TEXT}">'
                     f'{escape(number(value))}</text>')
    for g, label in enumerate(labels):
        x0 = left + g * group_w + 2
        for s, (_name, colour, values) in enumerate(series):
            value = values[g]
            h = plot_h * value / top_value if top_value else 0
            parts.append(f'<rect x="{x0 + s * bar_w:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 1:.1f}" '
                         f'height="{h:.1f}" fill="{colour}"/>')
        if (len(labels) - 1 - g) % every == 0:
            # Centred under its group, but kept inside the picture at both ends.
            centre = min(max(x0 + group_w / 2 - 2, left + label_w / 2 - 4), width - label_w / 2)
            parts.append(f'<text x="{centre:.1f}" y="{height - bottom + 18}" text-anchor="middle" '
                         f'font-size="{FONT}" fill="{TEXT}">{escape(label)}</text>')
    x = left
    for name, colour, _values in series:
        parts.append(f'<rect x="{x}" y="6" width="14" height="14" fill="{colour}"/>'
                     f'<text x="{x + 19}" y="18" font-size="{FONT}" fill="{TEXT}">{escape(name)}</text>')
        x += 19 + len(name) * CHAR_W + 24
    parts.append("</svg>")
    return "".join(parts)


def horizontal_bars(chart_id: str, title: str, description: str, rows: list[tuple[str, float, str]],
                    colour: str = BLUE, width: int = WIDTH) -> str:
    """One bar per row: [(label, value, value as text)]. Each label stands above its bar, wrapped
    at word boundaries and never cut; the value follows the bar."""
    line_h, bar_h, gap, top = 18, 14, 12, 4
    values_w = max((len(shown) for _, _, shown in rows), default=0) * CHAR_W + 10
    plot_w = width - values_w
    top_value = max((v for _, v, _ in rows), default=0) or 1
    chars = int(width / CHAR_W) - 6  # a margin for capitals and wider scripts (Cyrillic, Arabic)
    parts, y = [], top
    for label, value, shown in rows:
        lines = textwrap.wrap(label, chars) or [""]  # a word longer than a line is broken, not cut
        parts.append(f'<text x="2" y="{y + FONT}" font-size="{FONT}" fill="{TEXT}">' + "".join(
            f'<tspan x="2" dy="{0 if i == 0 else line_h}">{escape(line)}</tspan>' for i, line in enumerate(lines))
            + '</text>')
        bar_y = y + len(lines) * line_h + 2
        w = plot_w * value / top_value
        parts.append(f'<rect x="0" y="{bar_y}" width="{w:.1f}" height="{bar_h}" fill={quoteattr(colour)}/>')
        parts.append(f'<text x="{w + 5:.1f}" y="{bar_y + 12}" font-size="{FONT}" fill="{TEXT}">{escape(shown)}</text>')
        y = bar_y + bar_h + gap
    head = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" direction="ltr" viewBox="0 0 {width} {y}" role="img" '
            f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
            f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(description)}</desc>']
    return "".join(head + parts + ["</svg>"])
