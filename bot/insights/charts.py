"""Server-drawn SVG charts (no script, no library, nothing from elsewhere: the desk's CSP stays strict).

Only shown numbers get a bar; a hidden one ("<11", "suppressed") is written as its label, with no bar, so a
chart never shows more than the table beside it."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

Label = int | str
PALETTE = ("#2456c7", "#d35400", "#8a6d00", "#2e7d32", "#6a1b9a")
FONT = 'font-family="system-ui, sans-serif" font-size="12"'


def _max(values: Sequence[Label]) -> int:
    return max([v for v in values if isinstance(v, int)] + [1])


def hbar(name: str, title: str, items: Sequence[tuple[str, Label]], width: int = 640) -> str:
    """One horizontal bar per item (label, value)."""
    label_w, row_h, top = 170, 22, 8
    height = top * 2 + row_h * max(len(items), 1)
    scale = (width - label_w - 90) / _max([v for _, v in items])
    parts = [f'<svg class="chart" data-chart="{escape(name)}" role="img" aria-label="{escape(title)}" '
             f'viewBox="0 0 {width} {height}" width="100%" xmlns="http://www.w3.org/2000/svg" {FONT}>',
             f"<title>{escape(title)}</title>"]
    if not items:
        parts.append(f'<text x="8" y="{top + 14}" fill="#5d6678">nothing to show for this period</text>')
    for n, (label, value) in enumerate(items):
        y = top + n * row_h
        parts.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end" fill="#1d2330">{escape(label)}</text>')
        if isinstance(value, int):
            w = max(1.0, value * scale)
            parts.append(f'<rect class="bar" data-label="{escape(label)}" data-value="{value}" x="{label_w}" '
                         f'y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" fill="{PALETTE[0]}"/>')
            parts.append(f'<text x="{label_w + w + 5:.1f}" y="{y + 15}" fill="#1d2330">{value}</text>')
        else:
            parts.append(f'<text class="hidden-count" x="{label_w + 4}" y="{y + 15}" fill="#5d6678">'
                         f'{escape(value)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def grouped_hbar(name: str, title: str, series: Sequence[str], items: Sequence[tuple[str, Sequence[Label]]],
                 width: int = 640) -> str:
    """Per item, one thin bar per series (e.g. per county: cards shown / nothing within reach / nothing open)."""
    label_w, bar_h, gap, top = 170, 12, 8, 28
    group_h = bar_h * len(series) + gap
    height = top + group_h * max(len(items), 1) + 8
    scale = (width - label_w - 90) / _max([v for _, values in items for v in values])
    parts = [f'<svg class="chart" data-chart="{escape(name)}" role="img" aria-label="{escape(title)}" '
             f'viewBox="0 0 {width} {height}" width="100%" xmlns="http://www.w3.org/2000/svg" {FONT}>',
             f"<title>{escape(title)}</title>"]
    x = 8
    for k, label in enumerate(series):  # legend
        parts.append(f'<rect x="{x}" y="6" width="10" height="10" fill="{PALETTE[k % len(PALETTE)]}"/>')
        parts.append(f'<text x="{x + 14}" y="15" fill="#1d2330">{escape(label)}</text>')
        x += 22 + 7 * len(label)
    if not items:
        parts.append(f'<text x="8" y="{top + 14}" fill="#5d6678">nothing to show for this period</text>')
    for n, (label, values) in enumerate(items):
        y0 = top + n * group_h
        parts.append(f'<text x="{label_w - 6}" y="{y0 + group_h / 2 + 2:.0f}" text-anchor="end" '
                     f'fill="#1d2330">{escape(label)}</text>')
        for k, value in enumerate(values):
            y = y0 + k * bar_h
            if isinstance(value, int):
                w = max(1.0, value * scale)
                parts.append(f'<rect class="bar" data-label="{escape(label)}" data-series="{escape(series[k])}" '
                             f'data-value="{value}" x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h - 2}" '
                             f'fill="{PALETTE[k % len(PALETTE)]}"/>')
                parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + 10}" font-size="10" fill="#1d2330">'
                             f'{value}</text>')
            else:
                parts.append(f'<text class="hidden-count" x="{label_w + 4}" y="{y + 10}" font-size="10" '
                             f'fill="#5d6678">{escape(value)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def vbar(name: str, title: str, items: Sequence[tuple[str, Label]], width: int = 640, height: int = 220) -> str:
    """One column per item (e.g. per week), labels under the axis."""
    left, bottom, top = 30, 46, 14
    n = max(len(items), 1)
    step = (width - left - 10) / n
    scale = (height - bottom - top) / _max([v for _, v in items])
    parts = [f'<svg class="chart" data-chart="{escape(name)}" role="img" aria-label="{escape(title)}" '
             f'viewBox="0 0 {width} {height}" width="100%" xmlns="http://www.w3.org/2000/svg" {FONT}>',
             f"<title>{escape(title)}</title>",
             f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="#d8dce4"/>']
    for k, (label, value) in enumerate(items):
        x = left + k * step
        base = height - bottom
        if isinstance(value, int):
            h = max(1.0, value * scale)
            parts.append(f'<rect class="bar" data-label="{escape(label)}" data-value="{value}" '
                         f'x="{x + step * 0.15:.1f}" y="{base - h:.1f}" width="{step * 0.7:.1f}" '
                         f'height="{h:.1f}" fill="{PALETTE[0]}"/>')
            parts.append(f'<text x="{x + step / 2:.1f}" y="{base - h - 3:.1f}" text-anchor="middle" '
                         f'font-size="10" fill="#1d2330">{value}</text>')
        else:
            parts.append(f'<text class="hidden-count" x="{x + step / 2:.1f}" y="{base - 4}" text-anchor="middle" '
                         f'font-size="10" fill="#5d6678">{escape(value)}</text>')
        parts.append(f'<text x="{x + step / 2:.1f}" y="{base + 14}" text-anchor="middle" font-size="10" '
                     f'fill="#5d6678">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)
