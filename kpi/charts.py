"""Server-side SVG charts for the KPI pages (no JavaScript, no internet).

Each function returns a small, self-contained ``<svg>`` string marked safe; labels
are escaped. Colours are plain CSS values so the page works offline.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

LINE = "#1f6feb"
TARGET = "#d29922"
BAR = "#2da44e"
GRID = "#d0d7de"
TEXT = "#57606a"


def _fmt(value: Decimal | float | None) -> str:
    if value is None:
        return "—"
    number = float(value)
    return f"{number:.0f}" if abs(number) >= 100 else f"{number:.1f}"


def line_chart(
    points: list[tuple[str, Decimal | None]],
    *,
    target: Decimal | None = None,
    title: str = "",
    width: int = 320,
    height: int = 140,
) -> SafeString:
    """A trend line over labelled points (gaps where a value is None)."""
    pad_l, pad_r, pad_t, pad_b = 34, 8, 18, 22
    plot_w, plot_h = width - pad_l - pad_r, height - pad_t - pad_b
    values = [float(v) for _l, v in points if v is not None]
    if target is not None:
        values.append(float(target))
    low = min(values, default=0.0)
    high = max(values, default=1.0)
    low = min(low, 0.0)
    if high <= low:
        high = low + 1.0
    step = plot_w / max(len(points) - 1, 1)

    def xy(index: int, value: float) -> tuple[float, float]:
        y = pad_t + plot_h - (value - low) / (high - low) * plot_h
        return pad_l + index * step, y

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="kpi-chart" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{pad_l}" y1="{pad_t + plot_h}" x2="{width - pad_r}" '
        f'y2="{pad_t + plot_h}" stroke="{GRID}"/>',
        f'<text x="{pad_l - 4}" y="{pad_t + 4}" font-size="10" fill="{TEXT}" '
        f'text-anchor="end">{_fmt(high)}</text>',
        f'<text x="{pad_l - 4}" y="{pad_t + plot_h}" font-size="10" fill="{TEXT}" '
        f'text-anchor="end">{_fmt(low)}</text>',
    ]
    if target is not None:
        _x, ty = xy(0, float(target))
        parts.append(
            f'<line x1="{pad_l}" y1="{ty:.1f}" x2="{width - pad_r}" y2="{ty:.1f}" '
            f'stroke="{TARGET}" stroke-dasharray="4 3"/>'
        )
    segment: list[str] = []
    segments: list[list[str]] = []
    for index, (label, value) in enumerate(points):
        if value is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        x, y = xy(index, float(value))
        segment.append(f"{x:.1f},{y:.1f}")
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{LINE}">'
            f"<title>{escape(label)}: {_fmt(value)}</title></circle>"
        )
    if segment:
        segments.append(segment)
    for seg in segments:
        if len(seg) > 1:
            parts.append(
                f'<polyline fill="none" stroke="{LINE}" stroke-width="2" '
                f'points="{" ".join(seg)}"/>'
            )
    for index, (label, _v) in enumerate(points):
        if index in (0, len(points) - 1) or index % 3 == 0:
            x, _y = xy(index, low)
            parts.append(
                f'<text x="{x:.1f}" y="{height - 6}" font-size="9" fill="{TEXT}" '
                f'text-anchor="middle">{escape(label[-5:])}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))


def bar_chart(
    items: list[tuple[str, int]], *, title: str = "", width: int = 360
) -> SafeString:
    """Horizontal bars with counts and shares."""
    row_h, label_w = 22, 110
    height = max(row_h * len(items) + 8, 30)
    total = sum(count for _l, count in items) or 1
    top = max((count for _l, count in items), default=1) or 1
    bar_space = width - label_w - 70
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="kpi-chart" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        f"<title>{escape(title)}</title>",
    ]
    for index, (label, count) in enumerate(items):
        y = 4 + index * row_h
        length = bar_space * count / top
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 14}" font-size="11" fill="{TEXT}" '
            f'text-anchor="end">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{length:.1f}" height="14" '
            f'fill="{BAR}"/>'
            f'<text x="{label_w + length + 4:.1f}" y="{y + 14}" font-size="11" '
            f'fill="{TEXT}">{count} ({100 * count / total:.0f}%)</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))
