"""The README and the manual in docs/: short README, its two commands first, no dead link, every page in the site.

Fast checks only; `tox -e docs` builds the site with `mkdocs build --strict` (links, anchors, nav).
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))

# [text](target) and ![alt](target); a target ends at whitespace or ')' (an optional "title" after it)
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.DOTALL | re.MULTILINE)
CODE_SPAN = re.compile(r"`[^`\n]*`")


def code_blocks(text: str) -> list[str]:
    """The contents of the fenced code blocks, in order."""
    return re.findall(r"^```[^\n]*\n(.*?)^```", text, re.DOTALL | re.MULTILINE)


def relative_links(text: str) -> list[str]:
    """Link targets outside code, without those to other sites, mail addresses or this page's anchors."""
    prose = CODE_SPAN.sub("", FENCE.sub("", text))
    targets = []
    for target in LINK.findall(prose):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE) or target.startswith("#"):
            continue
        targets.append(target)
    return targets


def test_readme_fits_a_screen_or_two():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 150, f"README.md has {len(lines)} lines; the rest belongs in docs/"


def test_readme_starts_with_the_run_and_test_commands():
    """CI runs the second line of the first block (.ci/run): it must stay the test command."""
    text = README.read_text(encoding="utf-8")
    assert text.startswith("```"), "README.md must open with its two commands"
    commands = [line for line in code_blocks(text)[0].splitlines() if line.strip()]
    assert len(commands) == 2, commands
    assert "python -m suite run all" in commands[0]
    assert "tox" in commands[1]


def test_usage_is_the_same_in_the_readme_and_the_manual():
    def usage(path: Path) -> str:
        text = path.read_text(encoding="utf-8")
        after = text.split("\n## Usage\n", 1)
        assert len(after) == 2, f"{path.name} has no '## Usage' section"
        return code_blocks(after[1])[0]

    assert usage(README) == usage(DOCS / "index.md")


def test_the_manual_has_pages():
    assert DOCS / "index.md" in PAGES
    assert DOCS / "gate.md" in PAGES


@pytest.mark.parametrize("path", [README, *PAGES], ids=lambda path: path.relative_to(ROOT).as_posix())
def test_relative_links_point_to_files(path: Path):
    dead = []
    for target in relative_links(path.read_text(encoding="utf-8")):
        file = target.split("#", 1)[0]
        if not (path.parent / file).exists():
            dead.append(target)
    assert not dead, f"{path.relative_to(ROOT)} links to files that do not exist: {dead}"


def nav_pages(entry) -> list[str]:
    """The page files of a MkDocs nav: strings, {title: page} and {section: [entries]}."""
    if isinstance(entry, str):
        return [entry]
    if isinstance(entry, dict):
        return [page for value in entry.values() for page in nav_pages(value)]
    return [page for item in entry for page in nav_pages(item)]


def test_mkdocs_nav_lists_every_page():
    yaml = pytest.importorskip("yaml")  # installed with mkdocs (the test and docs extras)
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    listed = nav_pages(config["nav"])
    missing = [page.name for page in PAGES if page.name not in listed]
    assert not missing, f"mkdocs.yml's nav does not list {missing}"
    absent = [page for page in listed if not (DOCS / page).is_file()]
    assert not absent, f"mkdocs.yml's nav lists pages that do not exist: {absent}"
