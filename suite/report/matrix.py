"""The matrix view: claims by stacks, each cell a verdict and a measured mean, changes between neighbours flagged.

Built from run folders alone (each stack's run and the matrix manifest naming them), so it renders
where nothing can run. A cell is a claim of the stack's run as ``suite.report.stability`` reads it (the
same verdict and mean the published site's stability page counts), so the two never disagree. ``claims_table`` takes any list of labelled run folders, so a page that is
not a matrix (a site of many runs) can draw the same table. A cell is flagged when its verdict
differs from the stack to its left, or when its mean lies outside that neighbour's 95 % interval:
on neighbouring releases that is where a change of the stack shows.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from pathlib import Path

from suite.judge import verdict as verdicts
from suite.report import matrix_picture, stability
from suite.stacks import declared, manifest

#: The versions a column's header shows, as the stack's records have them installed.
SHOWN_VERSIONS = (*declared.PACKAGE_AXES, "python")
#: Characters of an error's first line a cell shows (the whole line is its tooltip).
ERROR_CHARS = 120
#: Verdicts a cell's neighbour comparison reads (a skipped or missing cell compares with nothing).
COMPARED = (verdicts.REPRODUCED, verdicts.NOT_REPRODUCED, verdicts.ERROR, verdicts.TIMEOUT, verdicts.UNJUDGED)


@dataclass
class Column:
    """One stack (or run): its label, its run folder, and the versions installed there as its records say."""

    label: str
    run: str = ""
    state: str = ""
    reason: str = ""
    versions: dict[str, str] = field(default_factory=dict)
    stack_id: str = ""


@dataclass
class Cell:
    verdict: str = ""  # "" when the stack did not run this claim
    mean: float = math.nan
    ci95: float = math.nan
    n: int = 0
    error: str = ""  # an ERROR's (or TIMEOUT's) first line
    change: str = ""  # why it differs from the stack to its left; "" when it does not

    def describe_mean(self) -> str:
        if self.n == 0 or not self.verdict:
            return ""
        if not math.isfinite(self.mean):
            return str(self.mean)
        spread = f" ± {self.ci95:.3g}" if math.isfinite(self.ci95) else ""
        return f"{self.mean:.4g}{spread}"


@dataclass
class Row:
    benchmark: str
    metric: str
    cells: list[Cell]


@dataclass
class ClaimTable:
    columns: list[Column]
    rows: list[Row]


def claims_table(columns: list[Column]) -> ClaimTable:
    """Claims (benchmark x metric) by the columns' runs, with the neighbour changes flagged."""
    per_column = [_cells_of_run(column) for column in columns]
    metrics: dict[str, list[str]] = {}  # benchmark -> its metrics' rows, in the order the stacks show them
    for cells in per_column:
        for benchmark, metric in cells:
            known = metrics.setdefault(benchmark, [])
            if metric and metric not in known:
                known.append(metric)
    order = [(benchmark, metric) for benchmark, known in metrics.items() for metric in (known or [""])]
    rows = []
    for benchmark, metric in order:
        row = [cells.get((benchmark, metric)) or cells.get((benchmark, "")) or Cell() for cells in per_column]
        row = [Cell(**vars(cell)) for cell in row]  # a benchmark-wide cell may fill several metrics' rows
        for left, cell in zip(row, row[1:]):
            cell.change = neighbour_change(left, cell)
        rows.append(Row(benchmark, metric, row))
    return ClaimTable(columns, rows)


def neighbour_change(left: Cell, cell: Cell) -> str:
    """Why ``cell`` differs from the stack to its left: a verdict that flips, or a mean outside its 95 % CI."""
    if left.verdict not in COMPARED or cell.verdict not in COMPARED:
        return ""
    if left.verdict != cell.verdict:
        return f"verdict {left.verdict} -> {cell.verdict}"
    if math.isfinite(left.ci95) and math.isfinite(cell.mean) and abs(cell.mean - left.mean) > left.ci95:
        return f"mean {cell.mean:.4g} outside the left stack's {left.mean:.4g} ± {left.ci95:.3g}"
    return ""


def _cells_of_run(column: Column) -> dict[tuple[str, str], Cell]:
    """The column's run as the claim stability reads it (``stability.judged_run``): one cell per claim."""
    if not column.run:
        return {}
    path = manifest.run_path(column.run) if not Path(column.run).is_dir() else Path(column.run)
    if not path.exists():
        column.reason = column.reason or f"its run folder {path} is missing"
        return {}
    run = stability.judged_run(path)
    column.versions = {name: run.environment[name] for name in SHOWN_VERSIONS if run.environment.get(name)}
    column.stack_id = run.environment.get("stack", column.stack_id)
    return {(claim.benchmark, claim.metric): Cell(claim.verdict, claim.mean, claim.ci95, claim.n, claim.error)
            for claim in run.claims}


def columns_of_matrix(path: Path) -> list[Column]:
    """The stacks of a matrix manifest, in its order (the stacks that never ran too, with why)."""
    state = manifest.read(path)
    return [Column(entry["label"], entry.get("run", ""), entry.get("state", ""), entry.get("reason", ""),
                   stack_id=entry.get("stack_id", "")) for entry in state["stacks"]]


def claims_by_stacks(path: Path) -> ClaimTable:
    """The claims-by-stacks table of the matrix at ``path`` (a matrix folder)."""
    return claims_table(columns_of_matrix(path))


def render(path: Path) -> Path:
    """Write ``matrix.html`` into the matrix folder; return its path."""
    state = manifest.read(path)
    table = claims_by_stacks(path)
    page = path / "matrix.html"
    page.write_text(build_html(state, table), encoding="utf-8")
    return page


_STYLE = """
:root { --ok: #2e7d32; --bad: #c62828; --err: #6a1b9a; --tmo: #ef6c00; --skip: #757575; --nj: #546e7a;
        --line: #e3e6ea; --muted: #5f6b76; --bg: #f6f7f9; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #1d2329;
       background: var(--bg); font-size: 14px; line-height: 1.45; }
main { max-width: 1440px; margin: 0 auto; padding: 0 1.25rem 3rem; }
header.top { background: #1d2329; color: #fff; padding: .8rem 1.25rem; }
header.top h1 { font-size: 1.3rem; margin: 0; } header.top .sub { color: #b8c2cc; font-size: .85rem; }
h2 { font-size: 1.15rem; margin: 1.6rem 0 .6rem; }
table { border-collapse: collapse; background: #fff; font-size: .82rem; }
th, td { border: 1px solid var(--line); padding: .3rem .45rem; text-align: left; vertical-align: top; }
th { background: #eef1f4; font-weight: 600; }
th .v { display: block; font-weight: 400; color: var(--muted); font-size: .75rem; white-space: nowrap; }
td.cell { min-width: 9rem; border-left: 6px solid var(--line); }
td.cell .m { font-variant-numeric: tabular-nums; display: block; }
td.cell .e { color: var(--err); display: block; font-size: .75rem; overflow-wrap: anywhere; }
td.changed { outline: 2px solid #ff8f00; outline-offset: -2px; }
td.changed .c { color: #b26a00; display: block; font-size: .72rem; }
td.cell.v-REPRODUCED { border-left-color: var(--ok); } td.cell.v-NOT-REPRODUCED { border-left-color: var(--bad); }
td.cell.v-ERROR { border-left-color: var(--err); } td.cell.v-TIMEOUT { border-left-color: var(--tmo); }
td.cell.v-SKIPPED { border-left-color: var(--skip); } td.cell.v-NOT-JUDGED { border-left-color: var(--nj); }
img.heatmap { max-width: 100%; background: #fff; border: 1px solid var(--line); }
.note { color: var(--muted); font-size: .85rem; max-width: 60rem; }
ul.stacks li { margin: .2rem 0; }
"""


def build_html(state: dict, table: ClaimTable) -> str:
    """One self-contained page: the table, the stacks that did not run and why, what a verdict means here."""
    esc = html.escape
    head = "".join(
        f"<th>{esc(column.label)}" + "".join(f"<span class=v>{esc(name)} {esc(version)}</span>"
                                             for name, version in column.versions.items())
        + (f"<span class=v>{esc(column.state)}</span>" if not column.run else "") + "</th>"
        for column in table.columns)
    body = []
    for row in table.rows:
        cells = []
        for cell in row.cells:
            if not cell.verdict:
                cells.append("<td class=cell>—</td>")
                continue
            classes = f"cell v-{cell.verdict.replace(' ', '-')}" + (" changed" if cell.change else "")
            cells.append(f"<td class='{classes}' title='{esc(cell.change)}'><b>{esc(cell.verdict)}</b>"
                         f"<span class=m>{esc(cell.describe_mean())}</span>"
                         + (f"<span class=e title='{esc(cell.error)}'>{esc(shorten(cell.error))}</span>"
                            if cell.error else "")
                         + (f"<span class=c>{esc(cell.change)}</span>" if cell.change else "") + "</td>")
        body.append(f"<tr><th>{esc(row.benchmark)}</th><td>{esc(row.metric or '—')}</td>{''.join(cells)}</tr>")
    missing = [f"<li><b>{esc(column.label)}</b>: {esc(column.state)}{': ' + esc(column.reason) if column.reason else ''}</li>"
               for column in stacks_without_results(table)]
    tier = state.get("tier", "")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>keras-repro matrix · {esc(state.get('matrix_id', ''))}</title><style>{_STYLE}</style></head>
<body><header class=top><h1>Claims by stacks</h1>
<div class=sub>matrix {esc(state.get('matrix_id', ''))} · tier {esc(tier)} · {len(table.columns)} stacks ·
started {esc(state.get('started_at', ''))}</div></header><main>
<p class=note>Each cell: the verdict and the measured mean (± half its 95 % interval) on that stack, with the
versions installed there (read inside the stack by its workers). A cell outlined in orange differs from the stack to
its left: its verdict flips, or its mean lies outside that stack's 95 % interval. {_tier_note(tier)}</p>
{heatmap(table)}
<table><thead><tr><th>benchmark</th><th>metric</th>{head}</tr></thead><tbody>
{''.join(body)}
</tbody></table>
{'<h2>Stacks without results</h2><ul class=stacks>' + ''.join(missing) + '</ul>' if missing else ''}
</main></body></html>
"""


def stacks_without_results(table: ClaimTable) -> list[Column]:
    """The stacks that never ran, or whose run cannot be read: listed under the table, with why."""
    return [column for column in table.columns if not column.run or column.reason]


def heatmap(table: ClaimTable) -> str:
    """The whole matrix at a glance: ``matrix_picture``'s heatmap, embedded as a data URI."""
    uri = matrix_picture.heatmap_uri(table)
    if uri is None:
        return "<h2>Claims</h2>"
    return (f"<h2>At a glance</h2><img class=heatmap alt='claims by stacks, coloured by verdict' src='{uri}'>"
            "<p class=note>Each square: a claim on a stack, coloured by its verdict. The number is how far its mean "
            "moved from the stack to its left, in units of that stack's 95 % half-interval; a square ringed in orange "
            "differs from its left neighbour (its verdict flips, or its mean left that interval).</p><h2>Claims</h2>")


def shorten(text: str, limit: int = ERROR_CHARS) -> str:
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"


def _tier_note(tier: str) -> str:
    if tier == "quick":
        return ("The quick tier is judged against baselines calibrated on one stack: on another stack its statistical "
                "bounds still apply, while weights' bits are compared only where the gate's rule compares them "
                "(the same stack and machine).")
    if tier == "smoke":
        return "The smoke tier is not judged: it shows that every benchmark runs on every stack."
    return "The full tier is judged against the documented references on every stack."
