"""A tiny server-side SVG chart helper for printed reports (no JavaScript, no library).

The charts are inline ``<svg>`` markup that WeasyPrint draws as vectors. Every ``<text>``
names a CJK font stack, since the labels are Chinese (see shared/PITFALLS.md). Labels and
numbers are escaped; the markup is built from numbers we computed and escaped strings only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# The report's palette: party red first, then muted colours that print well in grey too.
PALETTE = (
    "#b5121b",
    "#d9822b",
    "#e0b400",
    "#3f8f4f",
    "#2f6f9f",
    "#6b5b95",
    "#8c8c8c",
    "#c2185b",
)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float  # 0..max_value
    color: str = PALETTE[0]
    note: str = ""  # printed after the value, e.g. "12/20"


@dataclass(frozen=True)
class Slice:
    label: str
    value: int
    color: str


def _fmt(number: float) -> str:
    return f"{number:.1f}".rstrip("0").rstrip(".")


def _text(x: float, y: float, content: str, font: str, *, size: float = 9, **attrs: str) -> str:
    extra = "".join(f' {key.replace("_", "-")}="{escape(val)}"' for key, val in attrs.items())
    return (
        f'<text x="{_fmt(x)}" y="{_fmt(y)}" font-family="{escape(font)}" '
        f'font-size="{_fmt(size)}"{extra}>{escape(content)}</text>'
    )


def bar_chart(
    bars: Sequence[Bar],
    *,
    font: str,
    max_value: float = 100,
    unit: str = "%",
    width: float = 480,
    bar_height: float = 13,
    gap: float = 5,
    label_width: float = 120,
    thresholds: Sequence[tuple[float, str]] = (),
) -> SafeString:
    """Horizontal bars, one per row (label on the left, value at the bar's end). ``thresholds``
    draws dashed vertical lines (value, colour), e.g. the campaign's red and amber flags."""
    value_width = 70
    plot = width - label_width - value_width
    top = 14
    height = top + len(bars) * (bar_height + gap) + 4
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_fmt(width)}" '
        f'height="{_fmt(height)}" viewBox="0 0 {_fmt(width)} {_fmt(height)}">'
    ]
    # Scale: 0, 50 %, 100 % ticks.
    for fraction in (0, 0.5, 1):
        x = label_width + plot * fraction
        parts.append(
            f'<line x1="{_fmt(x)}" y1="{top - 3}" x2="{_fmt(x)}" y2="{_fmt(height - 2)}" '
            'stroke="#d0d0d0" stroke-width="0.5"/>'
        )
        parts.append(
            _text(
                x,
                top - 5,
                f"{_fmt(max_value * fraction)}{unit}",
                font,
                size=7,
                fill="#777",
                text_anchor="middle",
            )
        )
    for value, color in thresholds:
        x = label_width + plot * min(max(value / max_value, 0), 1)
        parts.append(
            f'<line x1="{_fmt(x)}" y1="{top - 2}" x2="{_fmt(x)}" y2="{_fmt(height - 2)}" '
            f'stroke="{escape(color)}" stroke-width="0.8" stroke-dasharray="3,2"/>'
        )
    for index, bar in enumerate(bars):
        y = top + index * (bar_height + gap)
        length = plot * min(max(bar.value / max_value, 0), 1) if max_value else 0
        label = bar.label if len(bar.label) <= 11 else bar.label[:10] + "…"
        parts.append(
            _text(
                label_width - 5,
                y + bar_height - 3,
                label,
                font,
                size=8.5,
                fill="#1f1f1f",
                text_anchor="end",
            )
        )
        parts.append(
            f'<rect x="{_fmt(label_width)}" y="{_fmt(y)}" width="{_fmt(plot)}" '
            f'height="{_fmt(bar_height)}" fill="#f3eeee"/>'
        )
        if length > 0:
            parts.append(
                f'<rect x="{_fmt(label_width)}" y="{_fmt(y)}" width="{_fmt(length)}" '
                f'height="{_fmt(bar_height)}" fill="{escape(bar.color)}"/>'
            )
        value_text = f"{_fmt(bar.value)}{unit}" + (f"  {bar.note}" if bar.note else "")
        parts.append(
            _text(
                label_width + plot + 4,
                y + bar_height - 3,
                value_text,
                font,
                size=8,
                fill="#333",
            )
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - built from escaped parts only


def donut_chart(
    slices: Sequence[Slice],
    *,
    font: str,
    center_label: str = "",
    center_value: str = "",
    size: float = 150,
    legend_width: float = 190,
) -> SafeString:
    """A donut of counts with a legend (label, count, share) on its right; empty slices are
    left out of the ring but kept in the legend."""
    total = sum(s.value for s in slices)
    radius = size / 2 - 4
    inner = radius * 0.58
    cx = cy = size / 2
    width = size + legend_width
    legend_rows = len(slices)
    height = max(size, 16 + legend_rows * 15)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_fmt(width)}" '
        f'height="{_fmt(height)}" viewBox="0 0 {_fmt(width)} {_fmt(height)}">'
    ]
    if total <= 0:
        parts.append(
            f'<circle cx="{_fmt(cx)}" cy="{_fmt(cy)}" r="{_fmt((radius + inner) / 2)}" '
            f'fill="none" stroke="#e5e5e5" stroke-width="{_fmt(radius - inner)}"/>'
        )
    else:
        angle = -math.pi / 2
        shown = [s for s in slices if s.value > 0]
        for s in shown:
            sweep = 2 * math.pi * s.value / total
            if len(shown) == 1:
                # A full ring: an arc cannot start and end at the same point.
                parts.append(
                    f'<circle cx="{_fmt(cx)}" cy="{_fmt(cy)}" r="{_fmt((radius + inner) / 2)}" '
                    f'fill="none" stroke="{escape(s.color)}" '
                    f'stroke-width="{_fmt(radius - inner)}"/>'
                )
                break
            end = angle + sweep
            large = 1 if sweep > math.pi else 0
            x1, y1 = cx + radius * math.cos(angle), cy + radius * math.sin(angle)
            x2, y2 = cx + radius * math.cos(end), cy + radius * math.sin(end)
            x3, y3 = cx + inner * math.cos(end), cy + inner * math.sin(end)
            x4, y4 = cx + inner * math.cos(angle), cy + inner * math.sin(angle)
            parts.append(
                f'<path d="M{_fmt(x1)},{_fmt(y1)} A{_fmt(radius)},{_fmt(radius)} 0 {large} 1 '
                f"{_fmt(x2)},{_fmt(y2)} L{_fmt(x3)},{_fmt(y3)} "
                f'A{_fmt(inner)},{_fmt(inner)} 0 {large} 0 {_fmt(x4)},{_fmt(y4)} Z" '
                f'fill="{escape(s.color)}" stroke="#fff" stroke-width="0.8"/>'
            )
            angle = end
    if center_value:
        parts.append(
            _text(
                cx,
                cy + 2,
                center_value,
                font,
                size=15,
                fill="#1f1f1f",
                text_anchor="middle",
                font_weight="bold",
            )
        )
    if center_label:
        parts.append(
            _text(cx, cy + 15, center_label, font, size=7.5, fill="#666", text_anchor="middle")
        )
    x = size + 12
    for index, s in enumerate(slices):
        y = 10 + index * 15
        share = f"{100 * s.value / total:.1f}%" if total else "—"
        parts.append(
            f'<rect x="{_fmt(x)}" y="{_fmt(y)}" width="9" height="9" fill="{escape(s.color)}"/>'
        )
        parts.append(_text(x + 14, y + 8, s.label, font, size=8.5, fill="#1f1f1f"))
        parts.append(
            _text(
                width - 4,
                y + 8,
                f"{s.value:,}  {share}",
                font,
                size=8.5,
                fill="#333",
                text_anchor="end",
            )
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - built from escaped parts only
