"""The shape of ``suite/``: no import circle, layers that only import downwards, every module says its job,
and no dispatch on a backend's name outside ``suite/backends/``.

Read from the source with ``ast`` (nothing checked is imported; only the backends' registry is asked for
their names), so a circle hidden in a function-level import counts as much as one at the top of a file.
An import of ``suite.a.b`` is an edge to that module; the implicit import of its parent packages is
Python's bookkeeping, not a dependency.
"""

from __future__ import annotations

import ast
import textwrap
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
              "suite.sources", "suite.native_log", "suite.schema")),
    ("backends", ("suite.backends",)),
    ("data", ("suite.data",)),
    ("judge", ("suite.judge",)),
    ("catalogue", ("suite", "suite.registry", "suite.catalogue")),
    ("records", ("suite.records",)),
    ("run", ("suite.run",)),
    ("stacks", ("suite.stacks",)),
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


# -- no dispatch on a backend's name outside suite/backends/ -------------------------------------
#: The one place a backend's name may be compared or key a table: the package whose modules are the backends.
BACKENDS_PACKAGE = SUITE / "backends"


def backend_names() -> set[str]:
    """The registered backends' names and those the suite knows of without a path (``torch``)."""
    from suite import backends  # reads its own modules only: no framework is imported

    return set(backends.names()) | set(backends.WITHOUT_A_PATH)


def dispatches_on_backend_names(path: Path, names: set[str]) -> list[str]:
    """Where ``path`` decides by a backend's name: a comparison with one, a table (dict, tuple, list, set) holding
    one, a ``match`` case on one, or one as a parameter's default, as ``line: what``."""
    def named(node) -> bool:
        return isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names

    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            hit = next((operand for operand in operands if named(operand)), None)
            if hit is not None:
                found.append(f"{node.lineno}: compares with {hit.value!r}")
        elif isinstance(node, ast.Dict):
            hit = next((key for key in node.keys if key is not None and named(key)), None)
            if hit is not None:
                found.append(f"{node.lineno}: a table keyed by {hit.value!r}")
        elif isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            hit = next((element for element in node.elts if named(element)), None)
            if hit is not None:
                found.append(f"{node.lineno}: a table holding {hit.value!r}")
        elif isinstance(node, ast.MatchValue) and named(node.value):
            found.append(f"{node.lineno}: a match case on {node.value.value!r}")
        elif isinstance(node, ast.arguments):
            for default in [*node.defaults, *node.kw_defaults]:
                if default is not None and named(default):
                    found.append(f"{default.lineno}: a parameter defaulting to {default.value!r}")
    return found


def test_no_dispatch_on_a_backend_name_outside_the_backends_package():
    """A backend is asked (``suite.backends``), never named: adding one is adding a module there, not editing the
    engine wherever it once compared names."""
    names = backend_names()
    problems = [f"{path.relative_to(PROJECT_ROOT)}:{where}" for path in sorted(SUITE.rglob("*.py"))
                if BACKENDS_PACKAGE not in path.parents for where in dispatches_on_backend_names(path, names)]
    assert not problems, ("dispatch on a backend's name outside suite/backends/ (ask the backend, or use "
                          "constants.DEFAULT_BACKEND):\n" + "\n".join(problems))


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


def test_a_dispatch_on_a_backend_name_is_found(tmp_path):
    path = tmp_path / "m.py"
    path.write_text(textwrap.dedent("""\
        \"\"\"Module m decides by name.\"\"\"
        def f(backend, other="tensorflow"):
            if backend == "jax":
                return LABELS[backend]
            match backend:
                case "torch":
                    return 2
            return backend in ("jax", "tensorflow")
        LABELS = {"jax": "JAX"}
        FIELDS = ("python", "tensorflow")
        fine = "jax needs pip install" + str(versions["jax"])
    """))
    found = dispatches_on_backend_names(path, {"tensorflow", "jax", "torch"})
    assert sorted(found) == ["10: a table holding 'tensorflow'", "2: a parameter defaulting to 'tensorflow'",
                             "3: compares with 'jax'", "6: a match case on 'torch'", "8: a table holding 'jax'",
                             "9: a table keyed by 'jax'"], found


# -- the run layer takes a request and reports events: it never parses flags nor prints ------------
def front_end_habits(path: Path) -> list[str]:
    """Where ``path`` parses a command line or writes to the terminal: ``line: what``, read with ``ast``.

    A front end's habits are an import of ``argparse``, a ``Namespace``, an ``args.`` attribute, a
    call of ``print``, and ``sys.stdout`` / ``sys.stderr``; the run layer gets a ``RunRequest`` and
    tells a reporter instead.
    """
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import) and any(alias.name.split(".")[0] == "argparse" for alias in node.names):
            found.append(f"{node.lineno}: imports argparse")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "argparse":
            found.append(f"{node.lineno}: imports from argparse")
        elif (isinstance(node, ast.Name) and node.id == "Namespace") or (
                isinstance(node, ast.Attribute) and node.attr == "Namespace"):
            found.append(f"{node.lineno}: Namespace")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
            found.append(f"{node.lineno}: print")
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id == "args":
                found.append(f"{node.lineno}: args.{node.attr}")
            elif node.value.id == "sys" and node.attr in ("stdout", "stderr", "__stdout__", "__stderr__"):
                found.append(f"{node.lineno}: sys.{node.attr}")
    return found


def test_the_run_layer_neither_parses_flags_nor_prints():
    habits = [f"{path.relative_to(SUITE.parent)}:{habit}" for path in sorted((SUITE / "run").rglob("*.py"))
              for habit in front_end_habits(path)]
    assert not habits, "the run layer parses flags or prints (make a RunRequest; report an event):\n" + "\n".join(habits)


def test_a_front_end_habit_in_the_run_layer_is_found(tmp_path):
    path = tmp_path / "m.py"
    path.write_text('"""A module that behaves like a command line."""\nimport argparse\nimport sys\n\n\n'
                    "def go(args):\n    print(args.tier)\n    sys.stderr.write('x')\n"
                    "    return argparse.Namespace(**vars(args))\n")
    assert sorted(front_end_habits(path)) == ["2: imports argparse", "7: args.tier", "7: print", "8: sys.stderr",
                                              "9: Namespace"]
