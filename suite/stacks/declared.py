"""A matrix as declared: the axes, include and exclude rules read from a TOML file and flags, expanded to stacks.

Why a file and flags: the default matrix (``matrix/default.toml``) writes down which Keras each
TensorFlow release pairs with, and why; a one-off question (``--tensorflow 2.18,2.21``) needs no
file. A flag replaces its axis in the file, and drops the file's include rules that pin that axis,
so that what was asked is what is planned. Every mistake (an unknown axis, a malformed file, exclude
rules that leave nothing) is a ``UsageError`` before anything is resolved or built.
"""

from __future__ import annotations

import itertools
import sys
from dataclasses import dataclass, field
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the matrix extra installs tomli
    import tomli as tomllib

from suite import backends
from suite.constants import DEFAULT_BACKEND, PROJECT_ROOT
from suite.errors import UsageError

#: The axes that pin a backend's release, one per registered backend (each backend names its own).
BACKEND_AXES = backends.stack_axes()
#: The axes that pin a package of the index (the others choose the interpreter and the Keras backend).
PACKAGE_AXES = (*BACKEND_AXES, "keras", "numpy")
#: The axes of a matrix, in the order a stack's name lists them.
AXES = ("backend", "python", *PACKAGE_AXES)
#: The backends a stack can run on.
STACK_BACKENDS = backends.names()
#: The matrix ``suite matrix`` plans when no ``--file`` is given.
DEFAULT_MATRIX_FILE = PROJECT_ROOT / "matrix" / "default.toml"
#: Short names of the axes in a stack's label.
LABEL_PREFIXES = {"backend": "", "python": "py", "keras": "keras", "numpy": "np",
                  **{axis: backends.of_stack_axis(axis).stack_label_prefix for axis in BACKEND_AXES}}


@dataclass(frozen=True)
class Rule:
    """An include or exclude rule of the matrix file: axis values a stack must match (each a list)."""

    kind: str
    number: int  # 1-based, in the file's order: how the user finds it
    values: tuple[tuple[str, tuple[str, ...]], ...]

    def matches(self, axes: dict[str, str]) -> bool:
        return all(any(version_matches(axes.get(axis, ""), wanted) for wanted in options)
                   for axis, options in self.values)

    def describe(self) -> str:
        pins = ", ".join(f"{axis} = {'|'.join(options)}" for axis, options in self.values)
        return f"{self.kind} rule {self.number} ({pins})"


@dataclass(frozen=True)
class Candidate:
    """One combination of axis values; ``excluded_by`` names the rule that removed it, if one did."""

    axes: dict[str, str]
    excluded_by: str = ""

    @property
    def label(self) -> str:
        return stack_label(self.axes)


@dataclass
class Matrix:
    """The axes and rules of a matrix, after the flags replaced what they name."""

    source: str
    axes: dict[str, list[str]]
    include: list[Rule] = field(default_factory=list)
    exclude: list[Rule] = field(default_factory=list)

    def candidates(self) -> list[Candidate]:
        """Every stack the axes and include rules give, each marked with the exclude rule that removes it.

        Raises ``UsageError`` when the exclude rules leave nothing: a matrix that silently runs nothing
        hides a typo in a rule.
        """
        pinned = [axis for axis in AXES if self.axes.get(axis)]
        combos = [dict(zip(pinned, values)) for values in itertools.product(*(self.axes[a] for a in pinned))]
        if self.include and not any(self.axes.get(axis) for axis in PACKAGE_AXES):
            combos = []  # the axes only choose the interpreter and backend of the include rules' stacks
        for rule in self.include:
            combo = {**{axis: self.axes[axis][0] for axis in ("backend", "python")},
                     **{axis: options[0] for axis, options in rule.values}}
            combos.append(combo)
        unique = list({stack_label(combo): combo for combo in combos}.values())
        if not unique:
            raise UsageError(f"the matrix {self.source} declares no stack: give an axis a value or add an include rule")
        marked = []
        for combo in unique:
            rule = next((rule for rule in self.exclude if rule.matches(combo)), None)
            marked.append(Candidate(combo, rule.describe() if rule else ""))
        if all(candidate.excluded_by for candidate in marked):
            removers = list(dict.fromkeys(candidate.excluded_by for candidate in marked))
            which = removers[0] if len(removers) == 1 else "the " + " and the ".join(removers)
            raise UsageError(f"{which} of {self.source} removes every stack: nothing is left to plan; "
                             "narrow the rule or widen the axes")
        return marked


def version_matches(value: str, wanted: str) -> bool:
    """``2.18.1`` matches ``2``, ``2.18`` and ``2.18.1``: a rule written with fewer parts covers the releases under it."""
    return value.split(".")[:len(wanted.split("."))] == wanted.split(".")


def stack_label(axes: dict[str, str]) -> str:
    """A stack's readable name: ``tensorflow-py3.11-tf2.16.2-keras3.3.3``."""
    return "-".join(f"{LABEL_PREFIXES[axis]}{axes[axis]}" for axis in AXES if axes.get(axis))


def current_python() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def split_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def read_matrix(path: Path | None, overrides: dict[str, str | None]) -> Matrix:
    """The matrix of ``path`` (the default file when None) with the axes the flags give replacing the file's.

    ``overrides`` maps an axis to its flag's comma-separated text (None: not given).
    """
    path = Path(path) if path else DEFAULT_MATRIX_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"the matrix file {path} does not exist; give an existing --file or leave it out") from None
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"the matrix file {path} is not valid TOML ({error}); fix the line it names") from None
    unknown = sorted(set(data) - {"axes", "include", "exclude"})
    if unknown:
        raise UsageError(f"{path}: unknown table {', '.join(unknown)}; a matrix file has [axes], [[include]] "
                         "and [[exclude]]")
    axes = {axis: _values(path, "axes", axis, value) for axis, value in _table(path, "axes", data.get("axes", {})).items()}
    given = {axis: split_list(text) for axis, text in overrides.items() if text is not None}
    axes.update(given)
    axes.setdefault("backend", [DEFAULT_BACKEND])
    axes.setdefault("python", [current_python()])
    if not axes["backend"]:
        axes["backend"] = [DEFAULT_BACKEND]
    if not axes["python"]:
        axes["python"] = [current_python()]
    bad = [b for b in axes["backend"] if b not in STACK_BACKENDS]
    if bad:
        raise UsageError(f"unknown backend {', '.join(bad)} in the matrix; choose among {', '.join(STACK_BACKENDS)}")
    include = [_rule(path, "include", n, table) for n, table in enumerate(data.get("include", []), 1)]
    include = [rule for rule in include if not any(axis in given for axis, _ in rule.values)]
    exclude = [_rule(path, "exclude", n, table) for n, table in enumerate(data.get("exclude", []), 1)]
    return Matrix(str(path.name if path == DEFAULT_MATRIX_FILE else path), axes, include, exclude)


def _table(path: Path, name: str, table) -> dict:
    if not isinstance(table, dict):
        raise UsageError(f"{path}: {name} must be a table of axis = [values]")
    unknown = sorted(set(table) - set(AXES))
    if unknown:
        raise UsageError(f"{path}: unknown axis {', '.join(unknown)} in {name}; the axes are {', '.join(AXES)}")
    return table


def _values(path: Path, where: str, axis: str, value) -> list[str]:
    values = value if isinstance(value, list) else [value]
    if not all(isinstance(v, str) and v.strip() for v in values):
        raise UsageError(f"{path}: {where}.{axis} must be a version string or a list of them (quoted: \"2.18\"), "
                         f"got {value!r}")
    return [v.strip() for v in values]


def _rule(path: Path, kind: str, number: int, table) -> Rule:
    table = _table(path, f"{kind} rule {number}", table)
    if not table:
        raise UsageError(f"{path}: {kind} rule {number} names no axis")
    return Rule(kind, number, tuple((axis, tuple(_values(path, f"{kind} rule {number}", axis, value)))
                                    for axis, value in table.items()))
