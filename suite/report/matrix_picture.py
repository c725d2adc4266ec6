"""The matrix report's heatmap picture: claims by stacks, each square coloured by its verdict, changes ringed.

Why a picture beside the table: a matrix of 28 benchmarks on five stacks is a table too wide to
read at once, while a picture shows in one look where a verdict flips or a mean moves. Each square
is coloured by the claim's verdict on that stack; where both it and the stack to its left measured a
mean, it is annotated with the shift in units of the left stack's 95 % half-interval (``+3.2``: the
mean moved 3.2 half-intervals up), and a square whose verdict flips or whose mean left that interval
(``matrix.neighbour_change``) is ringed in orange. Drawn with matplotlib as a PNG data URI, so the page
stays one self-contained file.
"""

from __future__ import annotations

import math

from suite.judge import verdict as verdicts
from suite.report import drawing

#: A verdict's colour, the page's own (its CSS variables): green reproduced, red not, purple error...
VERDICT_COLOURS = {
    verdicts.REPRODUCED: "#2e7d32", verdicts.NOT_REPRODUCED: "#c62828", verdicts.ERROR: "#6a1b9a",
    verdicts.TIMEOUT: "#ef6c00", verdicts.SKIPPED: "#757575", verdicts.UNJUDGED: "#90a4ae",
}
#: A square whose claim did not run on that stack.
NOT_RUN = "#eceff1"
CHANGED = "#ff8f00"


def shift_in_intervals(left, cell) -> float:
    """How far ``cell``'s mean moved from ``left``'s, in units of ``left``'s 95 % half-interval (nan when either
    has no mean, or the left one no interval)."""
    if not (math.isfinite(left.mean) and math.isfinite(cell.mean) and math.isfinite(left.ci95)) or left.ci95 <= 0:
        return math.nan
    return (cell.mean - left.mean) / left.ci95


def heatmap_uri(table) -> str | None:
    """The table (a ``matrix.ClaimTable``) as a PNG data URI, or None when it has no row or no stack."""
    if not table.rows or not table.columns:
        return None
    plt = drawing.pyplot()
    from matplotlib.patches import Patch, Rectangle

    rows, columns = len(table.rows), len(table.columns)
    figure, axis = plt.subplots(figsize=(2.2 + 1.25 * columns, 1.4 + 0.26 * rows))
    for y, row in enumerate(table.rows):
        for x, cell in enumerate(row.cells):
            colour = VERDICT_COLOURS.get(cell.verdict, NOT_RUN) if cell.verdict else NOT_RUN
            axis.add_patch(Rectangle((x - 0.46, y - 0.42), 0.92, 0.84, facecolor=colour,
                                     edgecolor=CHANGED if cell.change else "none", linewidth=2.2 if cell.change else 0))
            shift = shift_in_intervals(row.cells[x - 1], cell) if x else math.nan
            if math.isfinite(shift):
                axis.text(x, y, f"{round(shift, 1) + 0.0:+.1f}", ha="center", va="center", fontsize=6.5, color="white")
    axis.set_xlim(-0.5, columns - 0.5)
    axis.set_ylim(rows - 0.5, -0.5)
    axis.set_xticks(range(columns), [column.label for column in table.columns], rotation=30, ha="right", fontsize=7)
    axis.set_yticks(range(rows), [f"{row.benchmark} · {row.metric}" if row.metric else row.benchmark
                                  for row in table.rows], fontsize=7)
    axis.tick_params(length=0)
    axis.grid(False)
    for side in axis.spines.values():
        side.set_visible(False)
    shown = [name for name in VERDICT_COLOURS if any(cell.verdict == name for row in table.rows for cell in row.cells)]
    legend = [Patch(facecolor=VERDICT_COLOURS[name], label=name) for name in shown]
    legend.append(Patch(facecolor="white", edgecolor=CHANGED, linewidth=2, label="changed from the stack to its left"))
    axis.legend(handles=legend, loc="lower left", bbox_to_anchor=(0, 1.01), ncol=min(4, len(legend)), fontsize=7,
                frameon=False)
    return drawing.to_data_uri(figure)
