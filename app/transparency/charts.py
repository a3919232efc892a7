"""Small SVG charts rendered on the server: no chart library, no JavaScript, no
inline style (the CSP forbids it) - colours are SVG presentation attributes.

Every chart is ``role="img"`` with a title and description; the page shows the
same figures as a table, which is what screen readers should use.
"""
from __future__ import annotations

import math
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


def grouped_columns(chart_id: str, title: str, description: str, labels: list[str],
                    series: list[tuple[str, str, list[int]]], width: int = 640, height: int = 260,
                    number: Callable[[int], str] = str) -> str:
    """Columns of counts per label, one colour per series: [(name, colour, values)].
    ``number`` writes an axis value in the reader's language (thousands separator)."""
    left, right, top, bottom = 48, 8, 28, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _count_axis_top(max((v for _, _, values in series for v in values), default=0))
    group_w = plot_w / max(len(labels), 1)
    bar_w = max(2.0, (group_w - 6) / max(len(series), 1))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" role="img" '
             f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
             f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(description)}</desc>']
    for i in range(TICKS + 1):
        value = top_value * i // TICKS
        y = top + plot_h - plot_h * i / TICKS
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="{TEXT}">'
                     f'{escape(number(value))}</text>')
    for g, label in enumerate(labels):
        x0 = left + g * group_w + 3
        for s, (_name, colour, values) in enumerate(series):
            value = values[g]
            h = plot_h * value / top_value if top_value else 0
            parts.append(f'<rect x="{x0 + s * bar_w:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 1:.1f}" '
                         f'height="{h:.1f}" fill="{colour}"/>')
        parts.append(f'<text x="{x0 + group_w / 2 - 3:.1f}" y="{height - bottom + 14}" text-anchor="middle" '
                     f'font-size="11" fill="{TEXT}">{escape(label)}</text>')
    for s, (name, colour, _values) in enumerate(series):
        x = left + s * 150
        parts.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{colour}"/>'
                     f'<text x="{x + 16}" y="16" font-size="12" fill="{TEXT}">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def horizontal_bars(chart_id: str, title: str, description: str, rows: list[tuple[str, float, str]],
                    colour: str = BLUE, width: int = 640) -> str:
    """One bar per row: [(label, value, value as text)]."""
    label_w, bar_h, gap, top = 210, 18, 8, 8
    height = top + len(rows) * (bar_h + gap) + 8
    plot_w = width - label_w - 70
    top_value = max((v for _, v, _ in rows), default=0) or 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" role="img" '
             f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
             f'<title id="{chart_id}-title">{escape(title)}</title><desc id="{chart_id}-desc">{escape(description)}</desc>']
    for i, (label, value, shown) in enumerate(rows):
        y = top + i * (bar_h + gap)
        w = plot_w * value / top_value
        parts.append(f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end" font-size="12" fill="{TEXT}">'
                     f'{escape(label[:34])}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill={quoteattr(colour)}/>')
        parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + 13}" font-size="12" fill="{TEXT}">{escape(shown)}</text>')
    parts.append("</svg>")
    return "".join(parts)
