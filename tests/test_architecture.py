"""The shape of ``suite/``: no import circle, layers that only import downwards, every module says its job.

Read from the source with ``ast`` (nothing is imported), so a circle hidden in a function-level
import counts as much as one at the top of a file. An import of ``suite.a.b`` is an edge to that
module; the implicit import of its parent packages is Python's bookkeeping, not a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from suite.constants import PROJECT_ROOT

SUITE = PROJECT_ROOT / "suite"


def module_name(path: Path, root: Path = SUITE) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def suite_modules(root: Path = SUITE) -> dict[str, Path]:
    return {module_name(path, root): path for path in sorted(root.rglob("*.py"))}


def imports_of(path: Path, name: str, known: set[str], package: str) -> set[str]:
    """The modules of ``known`` that ``path`` imports anywhere in its code (module or function level)."""
    found = set()
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                anchor = name.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join(anchor + ([base] if base else []))
            # ``from a import b``: b is a module of its own when one of that name exists, else a name in a
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for target in targets:
            if not target.startswith(package):
                continue
            # ``import suite.a.b.name`` of something that is not a module: the nearest module that is.
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph(root: Path = SUITE) -> dict[str, set[str]]:
    modules = suite_modules(root)
    package = root.name
    return {name: imports_of(path, name, set(modules), package) for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as ``[a, b, ..., a]``, or None (depth-first search, three colours)."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start)
            if found:
                return found
    return None


def docstring_problem(path: Path) -> str | None:
    """Why the module's opening docstring does not name its job, or None when it does."""
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")), clean=True)
    if not docstring:
        return "no opening docstring"
    first = docstring.strip().splitlines()[0].strip()
    if len(first.split()) < 3:
        return f"its first line {first!r} is too short to name a job"
    if not first.endswith("."):
        return f"its first line {first!r} is not a sentence ending with a period"
    return None


def test_no_import_circle_in_suite():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import circle in suite/: " + " -> ".join(cycle)


#: The layers of ``suite/``, lowest first: a module may import its own layer and those below it.
#: A second executor or front end plugs in above the run layer without touching what is below.
LAYERS = (
    ("base", ("suite.constants", "suite.errors", "suite.text", "suite.files", "suite.reference", "suite.artefacts",
              "suite.sources", "suite.training", "suite.training_jax", "suite.backends", "suite.native_log",
              "suite.schema")),
    ("data", ("suite.data",)),
    ("judge", ("suite.judge",)),
    ("catalogue", ("suite", "suite.registry", "suite.catalogue")),
    ("records", ("suite.records",)),
    ("run", ("suite.run",)),
    ("report", ("suite.report",)),
    ("front ends", ("suite.cli", "suite.results", "suite.__main__")),
)
#: Layers side by side: listed one above the other, yet neither imports the other. The report is
#: built from run folders alone (``suite.records``), so it works where nothing can run, and the run
#: layer never shapes a page.
APART = (("run", "report"),)


def layer_of(module: str) -> int:
    """The rank of ``module``'s layer: the longest prefix among ``LAYERS`` decides."""
    best, rank = -1, None
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), index
    if rank is None:
        raise AssertionError(f"{module} is in no layer of LAYERS")
    return rank


def is_against_layers(importer: str, imported: str) -> bool:
    """True when ``importer`` may not import ``imported``: a layer above it, or a layer kept apart from its own."""
    rank_a, rank_b = layer_of(importer), layer_of(imported)
    return rank_b > rank_a or {LAYERS[rank_a][0], LAYERS[rank_b][0]} in [set(pair) for pair in APART]


def imports_against_layers(graph: dict[str, set[str]]) -> list[str]:
    return [f"{a} ({LAYERS[layer_of(a)][0]}) imports {b} ({LAYERS[layer_of(b)][0]})"
            for a, targets in sorted(graph.items()) for b in sorted(targets) if is_against_layers(a, b)]


def test_layers_only_import_downwards():
    against = imports_against_layers(import_graph())
    assert not against, "imports against the layering:\n" + "\n".join(against)


def test_an_upward_import_is_found():
    graph = {"suite.data.cache": {"suite.run.session"}, "suite.run.session": {"suite.files"}, "suite.files": set()}
    assert imports_against_layers(graph) == ["suite.data.cache (data) imports suite.run.session (run)"]


def test_the_report_importing_the_run_layer_is_found():
    graph = {"suite.report.page": {"suite.run.session", "suite.records.layout"}, "suite.run.session": set(),
             "suite.records.layout": {"suite.constants"}, "suite.constants": set()}
    assert imports_against_layers(graph) == ["suite.report.page (report) imports suite.run.session (run)"]


def test_the_run_layer_importing_the_report_is_found():
    graph = {"suite.run.session": {"suite.report.page"}, "suite.report.page": set()}
    assert imports_against_layers(graph) == ["suite.run.session (run) imports suite.report.page (report)"]


def test_every_module_opens_with_a_docstring_naming_its_job():
    problems = [f"{name}: {problem}" for name, path in suite_modules().items()
                if (problem := docstring_problem(path))]
    assert not problems, "modules that do not say their job:\n" + "\n".join(problems)


# -- the checks themselves can fail ---------------------------------------------------------------
def _write(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.mark.parametrize("how", ["module level", "function level", "from-package", "relative"])
def test_a_circle_is_found(tmp_path, how):
    a_imports = {
        "module level": "import pkg.layer.b\n",
        "function level": "def f():\n    from pkg.layer import b\n",
        "from-package": "from pkg.layer import b\n",
        "relative": "from . import b\n",
    }[how]
    root = _write(tmp_path / "pkg", {
        "__init__.py": '"""A package."""\n',
        "layer/__init__.py": '"""A layer."""\n',
        "layer/a.py": '"""Module a does a."""\n' + a_imports,
        "layer/b.py": '"""Module b does b."""\nfrom pkg.c import helper\n',
        "c.py": '"""Module c does c."""\n\ndef helper():\n    from pkg.layer.a import f\n',
    })
    cycle = find_cycle(import_graph(root))
    assert cycle is not None and cycle[0] == cycle[-1] and "pkg.layer.a" in cycle, cycle


def test_no_circle_when_imports_only_go_down(tmp_path):
    root = _write(tmp_path / "pkg", {
        "__init__.py": '"""A package."""\nfrom pkg.a import f\n',
        "a.py": '"""Module a does a."""\nfrom pkg import b\n\ndef f():\n    import os\n',
        "b.py": '"""Module b does b."""\nimport json\n',
    })
    assert find_cycle(import_graph(root)) is None


@pytest.mark.parametrize("text, problem", [
    ("import os\n", "no opening docstring"),
    ('"""Helpers"""\n', "too short"),
    ('"""Helpers for the run layer and more\n\nDetails."""\n', "period"),
])
def test_a_module_without_its_job_is_named(tmp_path, text, problem):
    path = tmp_path / "m.py"
    path.write_text(text)
    assert problem in (docstring_problem(path) or "")
