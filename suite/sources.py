"""The source documents the experiments come from: titles and order, read from ``sources/experiments.md``."""

from __future__ import annotations

import functools
import re

from suite.constants import PROJECT_ROOT

CATALOGUE = PROJECT_ROOT / "sources" / "experiments.md"
_HEADING = re.compile(r"^##\s+(\S+\.txt)\s+[—-]+\s+(.*)$")


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


def path(document: str):
    return PROJECT_ROOT / "sources" / document
