"""The forest plot on top of the report: did each judged claim hold, and by how much, at one glance.

One row per judged reference, grouped by source document. Every row shares one axis,
the position relative to the reference's own bounds:

* two-sided bounds: (ours − centre of the bounds) / half-width, so the accepted band is
  [-1, 1] (the bounds are centred on the reported number, which then sits at 0);
* one-sided claims (≥ or ≤ a threshold): the threshold at -1 (≥) or +1 (≤) and the
  reported number at 0, so the accepted side runs off the plot;
* per-seed rules (every seed, a fraction of seeds, divergence): the single seeds as
  open circles and the count that decides, instead of a mean that is not judged.

Our mean is a dot with its Student-t 95 % interval as a bar, coloured by verdict;
values beyond the axis are clipped to its edge as a triangle. A reader sees which
claims hold comfortably, which are marginal (near ±1) and which fail.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

#: Half the width of the x axis: rows further out are drawn at the edge as triangles.
AXIS_LIMIT = 3.0
COLOURS = {"REPRODUCED": "#2e7d32", "NOT REPRODUCED": "#c62828"}
BAND = "#2e7d32"


@dataclass
class Row:
    """One judged reference, as plain data (what ``report`` knows about it)."""

    group: str  # the source document's title
    label: str  # "002-a dlwp_dense512 · test_accuracy"
    verdict: str
    kind: str  # between, at_least, at_most, diverges
    per_seed: bool
    rule: str  # "", or "1 of 3 seeds in [0.62, 0.75], needs ≥ 20 %"
    low: float | None = None
    high: float | None = None
    threshold: float | None = None
    reported: float | None = None
    mean: float = math.nan
    ci95: float = math.nan
    values: list[float] = field(default_factory=list)


def position(row: Row, value: float | None) -> float:
    """``value`` on the shared axis of ``row`` (NaN when it has no place: missing, or a non-finite value)."""
    if value is None or not math.isfinite(value):
        return math.nan
    if row.kind == "between":
        centre, half_width = (row.low + row.high) / 2, (row.high - row.low) / 2
        return (value - centre) / half_width if half_width > 0 else math.copysign(math.inf, value - centre)
    if row.kind in ("at_least", "at_most"):
        sign = 1.0 if row.kind == "at_least" else -1.0
        gap = sign * ((row.reported if row.reported is not None else math.nan) - row.threshold)
        # Without a reported number beyond the threshold, a tenth of the threshold (or 0.1) is one unit.
        scale = gap if math.isfinite(gap) and gap > 0 else max(abs(row.threshold) * 0.1, 0.1)
        return -sign + (value - row.threshold) / scale
    return math.nan


def draw(rows: list[Row]) -> str | None:
    """The plot as an SVG data URI, or None when no reference was judged."""
    if not rows:
        return None
    from suite.report import drawing

    plt = drawing.pyplot()
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    groups: dict[str, list[Row]] = {}
    for row in rows:
        groups.setdefault(row.group, []).append(row)
    lines = sum(len(members) + 1 for members in groups.values())
    figure, axis = plt.subplots(figsize=(10.5, 0.27 * lines + 1.3))
    y = 0.0
    ticks, labels = [], []
    for group, members in groups.items():
        axis.text(-AXIS_LIMIT - 0.05, y, group, ha="left", va="center", fontsize=9.5, fontweight="bold",
                  color="#1d2329")
        y += 1
        for row in members:
            _draw_row(axis, row, y)
            ticks.append(y)
            labels.append(row.label)
            y += 1
    axis.axvline(0, color="#90a4ae", linewidth=0.8, zorder=1)
    for edge in (-1, 1):
        axis.axvline(edge, color=BAND, linewidth=0.6, linestyle=":", zorder=1)
    axis.set_xlim(-AXIS_LIMIT - 0.1, AXIS_LIMIT + 0.1)
    axis.set_ylim(y - 0.4, -0.8)
    axis.set_yticks(ticks)
    axis.set_yticklabels(labels, fontsize=8.5)
    axis.tick_params(axis="x", labelsize=7.5)
    axis.grid(axis="y", visible=False)
    axis.set_xlabel("ours relative to the bounds: (ours − centre) / half-width, accepted band [-1, 1]; "
                    "one-sided: threshold at ∓1, reported at 0", fontsize=8)
    handles = [
        Line2D([], [], marker="o", color=COLOURS["REPRODUCED"], linestyle="-", markersize=5,
               label="our mean ± 95 % CI, reproduced"),
        Line2D([], [], marker="o", color=COLOURS["NOT REPRODUCED"], linestyle="-", markersize=5,
               label="not reproduced"),
        Line2D([], [], marker="o", markerfacecolor="none", color="#455a64", linestyle="none", markersize=5,
               label="single seeds (per-seed rule)"),
        Line2D([], [], marker="|", color="#37474f", linestyle="none", markersize=8, label="reported number"),
        Patch(facecolor=BAND, alpha=0.14, label="accepted (two-sided)"),
        Patch(facecolor=BAND, alpha=0.06, hatch="///", edgecolor=BAND, label="accepted side (one-sided)"),
    ]
    axis.legend(handles=handles, fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3,
                frameon=False)
    return drawing.to_data_uri(figure, vector=True)


def _draw_row(axis, row: Row, y: float) -> None:
    colour = COLOURS.get(row.verdict, "#546e7a")
    if row.kind == "between":
        axis.fill_between([-1, 1], y - 0.42, y + 0.42, color=BAND, alpha=0.14, linewidth=0, zorder=0)
    elif row.kind == "at_least":
        axis.fill_between([-1, AXIS_LIMIT + 0.1], y - 0.42, y + 0.42, facecolor=BAND, alpha=0.06, hatch="///",
                          edgecolor=BAND, linewidth=0, zorder=0)
    elif row.kind == "at_most":
        axis.fill_between([-AXIS_LIMIT - 0.1, 1], y - 0.42, y + 0.42, facecolor=BAND, alpha=0.06, hatch="///",
                          edgecolor=BAND, linewidth=0, zorder=0)
    reported = position(row, row.reported)
    if math.isfinite(reported) and abs(reported) <= AXIS_LIMIT:
        axis.plot([reported], [y], marker="|", color="#37474f", markersize=9, zorder=2)
    note = row.rule
    if row.per_seed:
        for value in row.values:
            x = position(row, value)
            if row.kind == "diverges" or not math.isfinite(value):
                # A diverged seed has no place on a bounded axis: it sits at the right edge.
                axis.plot([AXIS_LIMIT], [y], marker=">", color=colour, markersize=6, zorder=3)
            else:
                _point(axis, x, y, colour, hollow=True)
    elif math.isfinite(row.mean):
        x = position(row, row.mean)
        if math.isfinite(row.ci95):
            low, high = position(row, row.mean - row.ci95), position(row, row.mean + row.ci95)
            axis.plot([_clip(low), _clip(high)], [y, y], color=colour, linewidth=2.0, alpha=0.8, zorder=3,
                      solid_capstyle="butt")
            for end, marker in ((low, "<"), (high, ">")):
                if abs(end) > AXIS_LIMIT:  # an interval wider than the axis (few seeds): say it goes on
                    axis.plot([_clip(end)], [y], marker=marker, color=colour, markersize=4, alpha=0.8, zorder=3)
        _point(axis, x, y, colour, hollow=False)
        if row.kind in ("at_least", "at_most"):
            note = f"one-sided {'≥' if row.kind == 'at_least' else '≤'} {row.threshold:.4g}"
        if abs(x) > AXIS_LIMIT:  # off the axis: say where it is
            note = (note + "; " if note else "") + f"ours {row.mean:.4g}, off the axis"
    else:
        note = note or f"mean {row.mean}"
    if note:
        axis.text(AXIS_LIMIT + 0.25, y, note, ha="left", va="center", fontsize=8, color=colour, clip_on=False)


def _clip(x: float) -> float:
    return max(-AXIS_LIMIT, min(AXIS_LIMIT, x))


def _point(axis, x: float, y: float, colour: str, *, hollow: bool) -> None:
    if not math.isfinite(x) and not math.isinf(x):
        return
    if abs(x) > AXIS_LIMIT:
        axis.plot([_clip(x)], [y], marker=">" if x > 0 else "<", color=colour, markersize=7, zorder=4)
        return
    axis.plot([x], [y], marker="o", markersize=5 if hollow else 6, color=colour, zorder=4,
              markerfacecolor="none" if hollow else colour, markeredgewidth=1.2, linestyle="none")
