"""The catalogue ``sources/experiments.md``, read in one place: documents (titles, order) and experiment rows."""

from __future__ import annotations

import functools
import re

from suite.constants import PROJECT_ROOT

CATALOGUE = PROJECT_ROOT / "sources" / "experiments.md"
_HEADING = re.compile(r"^##\s+(\S+\.txt)\s+[—-]+\s+(.*)$")
_EXPERIMENT_ROW = re.compile(r"^\|\s*(\d{3}-[a-z]+)\s+([^|]*)\|([^|]*)\|([^|]*)\|\s*$")


@functools.lru_cache(maxsize=1)
def documents() -> dict[str, str]:
    """``{document file name: title}`` in catalogue order."""
    titles = {}
    if CATALOGUE.exists():
        for line in CATALOGUE.read_text(encoding="utf-8").splitlines():
            match = _HEADING.match(line.strip())
            if match:
                titles[match.group(1)] = match.group(2).strip()
    return titles


def title(document: str) -> str:
    return documents().get(document, document)


def order(document: str) -> int:
    names = list(documents())
    return names.index(document) if document in names else len(names)


@functools.lru_cache(maxsize=1)
def experiments() -> dict[str, dict[str, str]]:
    """``{"001-a": {"label": "linear on circles", "setup": ..., "reference": ...}}``: the catalogue's rows."""
    rows = {}
    if CATALOGUE.exists():
        for line in CATALOGUE.read_text(encoding="utf-8").splitlines():
            match = _EXPERIMENT_ROW.match(line.strip())
            if match:
                rows[match.group(1)] = {"label": match.group(2).strip(), "setup": match.group(3).strip(),
                                        "reference": match.group(4).strip().replace("**", "")}
    return rows
