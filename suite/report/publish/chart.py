"""The benchmark page's picture: each judged metric over runs, the band each run was judged against behind its point.

Drawn as SVG text by hand rather than with matplotlib: a few dozen rectangles, dots and labels
per picture, so writing them costs microseconds instead of a figure's tenth of a second, and the
same points give the same bytes (no ids, no dates), which keeps republished pages identical.

One picture per tier, one panel per metric. x: the runs in date order (labelled by date), or by
stack when the runs come from a matrix; colour: the backend; a filled dot reproduced, a hollow one
did not; the grey bar behind a dot is the band stored with that run (the documented band for the
full tier, the backend's baseline band for the quick tier; an arrow-ended bar for a one-sided claim).
"""

from __future__ import annotations

import math
from html import escape

from suite import backends

#: Colours of the backends (colour-blind safe, after Okabe and Ito), given in the registry's order so a
#: backend keeps its colour on every page; backends no longer registered take the spare ones in turn.
BACKEND_COLOURS = ("#d55e00", "#0072b2", "#009e73")
SPARE_COLOURS = ("#cc79a7", "#e69f00", "#56b4e9", "#000000")
WIDTH = 760
PANEL_HEIGHT = 150
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 22, 6
LABELS_HEIGHT = 64
LEGEND_HEIGHT = 22


def colour(backend: str, known: list[str]) -> str:
    """The colour of ``backend`` among the ``known`` backends of a picture."""
    registered = backends.names()
    if backend in registered and registered.index(backend) < len(BACKEND_COLOURS):
        return BACKEND_COLOURS[registered.index(backend)]
    others = [name for name in known if name not in registered[:len(BACKEND_COLOURS)]]
    return SPARE_COLOURS[others.index(backend) % len(SPARE_COLOURS)] if backend in others else SPARE_COLOURS[-1]


def stored_number(value) -> float | None:
    """A stored number as a float (infinities stored as names), None when absent."""
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def height_of(panels: int) -> int:
    """The picture's height in pixels for a number of metric panels."""
    return LEGEND_HEIGHT + panels * (PANEL_HEIGHT + TOP + BOTTOM) + LABELS_HEIGHT


def nice_ticks(low: float, high: float, count: int = 4) -> list[float]:
    span = high - low
    raw = span / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step) * step
    return [round(first + i * step, 12) for i in range(int((high - first) / step + 1e-9) + 1)]


def _label(value: float) -> str:
    return f"{value:.4g}"


def picture(x_labels: list[str], panels: list[dict], backends: list[str]) -> str:
    """The SVG of one tier: ``panels`` is one dict per metric, ``{"metric", "points": [...]}``.

    A point is ``{"slot": index into x_labels, "backend", "mean", "low", "high", "verdict"}``.
    """
    slots = max(len(x_labels), 1)
    plot_width = WIDTH - LEFT - RIGHT
    slot_width = plot_width / slots
    height = height_of(len(panels))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
             f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="11">',
             f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>']
    parts += _legend(backends)
    top = LEGEND_HEIGHT
    for panel in panels:
        parts += _panel(panel, top, slot_width, backends)
        top += PANEL_HEIGHT + TOP + BOTTOM
    every = max(1, math.ceil(slots / 40))
    for index, label in enumerate(x_labels):
        if index % every:
            continue
        x = LEFT + (index + 0.5) * slot_width
        shown = label if len(label) <= 26 else label[:25] + "…"
        parts.append(f'<text x="{x:.1f}" y="{top + 8}" text-anchor="end" font-size="10" fill="#37474f" '
                     f'transform="rotate(-40 {x:.1f} {top + 8})">{escape(shown)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _legend(backends: list[str]) -> list[str]:
    parts, x = [], LEFT
    for backend in backends:
        parts.append(f'<circle cx="{x + 5}" cy="11" r="4.5" fill="{colour(backend, backends)}"/>'
                     f'<text x="{x + 14}" y="15">{escape(backend)}</text>')
        x += 24 + 7 * len(backend)
    parts.append(f'<circle cx="{x + 5}" cy="11" r="4" fill="#ffffff" stroke="#37474f" stroke-width="2"/>'
                 f'<text x="{x + 14}" y="15">hollow: not reproduced</text>'
                 f'<rect x="{x + 160}" y="4" width="10" height="14" fill="#b0bec5"/>'
                 f'<text x="{x + 176}" y="15">band judged against</text>')
    return parts


def _panel(panel: dict, top: float, slot_width: float, backends: list[str]) -> list[str]:
    points = panel["points"]
    numbers = [v for p in points for v in (stored_number(p["mean"]), stored_number(p["low"]), stored_number(p["high"]))
               if v is not None and math.isfinite(v)]
    low, high = (min(numbers), max(numbers)) if numbers else (0.0, 1.0)
    if high - low < 1e-12:
        pad = abs(high) * 0.1 or 1.0
        low, high = low - pad, high + pad
    pad = (high - low) * 0.08
    low, high = low - pad, high + pad
    area_top, area_bottom = top + TOP, top + TOP + PANEL_HEIGHT

    def y_of(value: float) -> float:
        return area_bottom - (value - low) / (high - low) * PANEL_HEIGHT

    parts = [f'<text x="{LEFT}" y="{top + 15}" font-weight="bold">{escape(panel["metric"])}</text>',
             f'<rect x="{LEFT}" y="{area_top}" width="{WIDTH - LEFT - RIGHT}" height="{PANEL_HEIGHT}" '
             f'fill="#fafbfc" stroke="#cfd8dc"/>']
    for tick in nice_ticks(low, high):
        y = y_of(tick)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eceff1"/>'
                     f'<text x="{LEFT - 5}" y="{y + 4:.1f}" text-anchor="end" fill="#546e7a">{_label(tick)}</text>')
    half = min(slot_width * 0.35, 9)
    for point in points:
        x = LEFT + (point["slot"] + 0.5) * slot_width
        band_low, band_high = stored_number(point["low"]), stored_number(point["high"])
        if band_low is not None or band_high is not None:
            y_top = area_top if band_high is None else max(area_top, y_of(band_high))
            y_bottom = area_bottom if band_low is None else min(area_bottom, y_of(band_low))
            parts.append(f'<rect x="{x - half:.1f}" y="{y_top:.1f}" width="{2 * half:.1f}" '
                         f'height="{max(y_bottom - y_top, 1):.1f}" fill="#b0bec5" fill-opacity="0.75"/>')
        mean = stored_number(point["mean"])
        if mean is None:
            continue
        paint = colour(point["backend"], backends)
        reproduced = point["verdict"] == "REPRODUCED"
        fill = paint if reproduced else "#ffffff"
        if math.isfinite(mean):
            parts.append(f'<circle cx="{x:.1f}" cy="{y_of(mean):.1f}" r="4" fill="{fill}" stroke="{paint}" '
                         f'stroke-width="2"/>')
        else:  # a diverged mean: a marker at the edge it left by, named
            y = area_top + 6 if mean > 0 or math.isnan(mean) else area_bottom - 6
            parts.append(f'<path d="M{x - 4:.1f},{y + 3:.1f} L{x + 4:.1f},{y + 3:.1f} L{x:.1f},{y - 4:.1f} Z" '
                         f'fill="{fill}" stroke="{paint}" stroke-width="2"/>'
                         f'<text x="{x + 6:.1f}" y="{y + 4:.1f}" font-size="9">{escape(str(point["mean"]))}</text>')
    return parts
