"""A benchmark's version: a hash of the code that computes its numbers, and of nothing else.

Why not a hash of the module file: a docstring or a bound's note is prose, and an edit of it must
not make a baseline "from other code". As asv does for its benchmarks, the version covers what can
change a result:

* the class's declared settings, tiers and dataset (their values, not their comments);
* every method the class and its benchmark bases define, parsed to an AST with docstrings removed
  (the AST has no comments), so formatting, comments and docstrings do not count;
* every function or class of the ``benchmarks`` package those methods reach by name, followed
  recursively (the shared training loops, the optimiser, the data helpers).

The suite's own engine (``suite/``) is not hashed: it is versioned by the git commit in every
record. Nor is where its modules live: an import of a suite module inside hashed code counts by
the module's own name, not by the folder (layer) it sits in, so moving ``suite/datasets.py`` to
``suite/data/datasets.py`` leaves every version as it was. A benchmark author who changes something this walk cannot see (a data file, a constant
reached through ``getattr``) bumps ``version`` on the class, which is part of the hash.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.util
import inspect
import textwrap
import types

#: Class attributes that decide what a benchmark computes. Prose (``references``' notes, the
#: docstring, ``title``) and bookkeeping (``estimated_seconds``, ``tags``) are left out on purpose.
COMPUTING_ATTRIBUTES = ("name", "dataset", "settings", "tiers", "version")
#: Methods of the base class that identify or describe a benchmark rather than compute it.
IDENTITY_METHODS = frozenset({"code_version", "__repr__"})
#: Only code in these modules is followed: the benchmarks package and the benchmark files loaded from
#: ``SUITE_BENCHMARK_PATH`` (imported as ``suite_extra_*``).
FOLLOWED_PREFIXES = ("benchmarks.", "suite_extra_")


def code_version(benchmark_class: type) -> str:
    """Short sha256 of the benchmark's computing code (see the module docstring)."""
    digest = hashlib.sha256()
    for attribute in COMPUTING_ATTRIBUTES:
        digest.update(f"{attribute}={_stable_repr(getattr(benchmark_class, attribute, None))};".encode())
    seen: set[str] = set()
    for klass in benchmark_class.__mro__:
        if klass is object:
            continue  # the base Benchmark's default hooks (fit, evaluate) compute too: they count
        for name, member in sorted(vars(klass).items()):
            function = member.__func__ if isinstance(member, (classmethod, staticmethod)) else member
            if isinstance(function, types.FunctionType) and name not in IDENTITY_METHODS:
                digest.update(f"{klass.__qualname__}.{name}:".encode())
                _hash_function(function, digest, seen)
    return digest.hexdigest()[:16]


def _followed(obj) -> bool:
    module = getattr(obj, "__module__", "") or ""
    return module.startswith(FOLLOWED_PREFIXES)


def _hash_function(function, digest, seen: set[str]) -> None:
    key = f"{function.__module__}.{function.__qualname__}"
    if key in seen:
        return
    seen.add(key)
    tree = _ast_without_docstrings(function)
    if tree is None:
        digest.update(key.encode())
        return
    digest.update(ast.dump(tree, annotate_fields=False).encode())
    for referenced in _referenced_objects(tree, function.__globals__):
        if isinstance(referenced, types.FunctionType):
            _hash_function(referenced, digest, seen)
        elif isinstance(referenced, type):
            _hash_class(referenced, digest, seen)


def _hash_class(klass: type, digest, seen: set[str]) -> None:
    key = f"{klass.__module__}.{klass.__qualname__}"
    if key in seen:
        return
    seen.add(key)
    for name, member in sorted(vars(klass).items()):
        function = member.__func__ if isinstance(member, (classmethod, staticmethod)) else member
        if isinstance(function, types.FunctionType):
            _hash_function(function, digest, seen)
        elif not name.startswith("__"):
            digest.update(f"{key}.{name}={_stable_repr(member)};".encode())


@functools.cache
def _source_tree(function) -> ast.AST | None:
    try:
        source = textwrap.dedent(inspect.getsource(function))
    except (OSError, TypeError):
        return None
    return ast.parse(source)


def _ast_without_docstrings(function) -> ast.AST | None:
    tree = _source_tree(function)
    if tree is None:
        return None
    tree = ast.parse(ast.unparse(tree))  # a private copy to strip
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("suite."):
            node.module = _without_folders(node.module)
    return tree


def _without_folders(module: str) -> str:
    """``suite.data`` (a folder whose modules are imported) -> ``suite``; ``suite.data.datasets`` -> ``suite.datasets``."""
    spec = importlib.util.find_spec(module)
    if spec is not None and spec.submodule_search_locations is not None:
        return "suite"
    return "suite." + module.rsplit(".", 1)[1]


def _referenced_objects(tree: ast.AST, namespace: dict):
    """Functions and classes of the followed packages that the code names (``f``, ``module.f``)."""
    for node in ast.walk(tree):
        target = None
        if isinstance(node, ast.Name):
            target = namespace.get(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            owner = namespace.get(node.value.id)
            if isinstance(owner, types.ModuleType) and _followed_module(owner):
                target = getattr(owner, node.attr, None)
        if isinstance(target, (types.FunctionType, type)) and _followed(target):
            yield target
        elif target is not None and _followed(type(target)) and not isinstance(target, types.ModuleType):
            yield type(target)  # an instance of a helper class (a shared optimiser object, say)


def _followed_module(module: types.ModuleType) -> bool:
    return _followed(types.SimpleNamespace(__module__=module.__name__))


def _stable_repr(value) -> str:
    """A repr without memory addresses, so the same declaration hashes the same in every process."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_stable_repr(k)}: {_stable_repr(v)}" for k, v in sorted(value.items(), key=str)) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_stable_repr(v) for v in value) + "]"
    if hasattr(value, "to_dict"):
        return _stable_repr(value.to_dict())
    if isinstance(value, (types.FunctionType, type)):
        return f"{value.__module__}.{value.__qualname__}"
    return repr(value)
