"""The matrix's claims-by-stacks table as Markdown: what ``matrix report --markdown`` prints for a manual or an issue.

The same table as the HTML page (``suite.report.matrix.claims_table``), so a table pasted into the docs says
what the page says: each cell the verdict and the mean ± half its 95 % interval, a flagged cell marked with
a dagger and its reason listed under the table (a Markdown cell has no room for it).
"""

from __future__ import annotations

from suite.report.matrix import ClaimTable, Column, shorten, stacks_without_results

#: Characters of an ERROR's first line a Markdown cell keeps (the page's tooltip has the whole line).
ERROR_CHARS = 60
#: The mark of a cell that differs from the stack to its left.
CHANGED = "†"


def markdown_table(table: ClaimTable) -> str:
    """The table, then one line per flagged cell saying how it differs from its left neighbour."""
    lines = ["| benchmark | metric | " + " | ".join(column_title(column) for column in table.columns) + " |",
             "|---|---|" + "---|" * len(table.columns)]
    changes = []
    for row in table.rows:
        cells = []
        for column, cell in zip(table.columns, row.cells):
            if not cell.verdict:
                cells.append("—")
                continue
            text = cell.verdict
            if cell.describe_mean():
                text += f" {cell.describe_mean()}"
            if cell.error:
                text += f": {_escape(shorten(cell.error, ERROR_CHARS))}"
            if cell.change:
                text += f" {CHANGED}"
                changes.append(f"- {CHANGED} `{row.benchmark}` {row.metric or ''} on {column_title(column)}: "
                               f"{cell.change}")
            cells.append(text)
        lines.append(f"| {row.benchmark} | {row.metric or '—'} | " + " | ".join(cells) + " |")
    missing = [f"- {column.label}: {column.state}{': ' + column.reason if column.reason else ''}"
               for column in stacks_without_results(table)]
    text = "\n".join(lines) + "\n"
    if changes:
        text += "\nDiffers from the stack to its left:\n\n" + "\n".join(changes) + "\n"
    if missing:
        text += "\nStacks without results:\n\n" + "\n".join(missing) + "\n"
    return text


def column_title(column: Column) -> str:
    """The versions a stack's records say were installed (its label where it has no records)."""
    shown = [f"{name} {version}" for name, version in column.versions.items() if name != "python"]
    return ", ".join(shown) or column.label


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
