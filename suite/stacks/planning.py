"""A matrix's plan: every stack marked ready (with its lock), excluded (by which rule) or impossible (and why).

Nothing is built here: resolution alone decides, so ``matrix plan`` answers in seconds and a
matrix run builds only what can run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from suite.constants import DEFAULT_BACKEND
from suite.stacks import resolution, uv
from suite.stacks.declared import PACKAGE_AXES, Candidate, Matrix

READY, EXCLUDED, IMPOSSIBLE = "ready", "excluded", "impossible"


@dataclass
class PlannedStack:
    """One stack of the plan: what it pins, its state, and for a ready one its lock and interpreter."""

    label: str
    axes: dict[str, str]
    state: str
    reason: str = ""
    requirements: list[str] = field(default_factory=list)
    lock: str = ""
    python: uv.Interpreter | None = None

    @property
    def backend(self) -> str:
        return self.axes.get("backend", DEFAULT_BACKEND)

    def describe(self) -> str:
        """``tf2.16.2 + keras3.3.3 (Python 3.11.7): ready`` with the reason of an excluded or impossible one."""
        if self.state == READY:
            packages = resolution.lock_packages(self.lock)
            shown = ", ".join(f"{name} {packages[name]}" for name in PACKAGE_AXES
                              if name in packages)
            return f"ready ({shown}; {len(packages)} packages)"
        return f"{self.state}: {self.reason}"


def plan(matrix: Matrix, *, exclude_newer: str | None = None, slurm: bool = False) -> list[PlannedStack]:
    """Resolve every stack the matrix declares (cached); UsageError for an unknown version or Python."""
    planned = []
    for candidate in matrix.candidates():
        planned.append(plan_one(candidate, exclude_newer=exclude_newer, slurm=slurm))
    return planned


def plan_one(candidate: Candidate, *, exclude_newer: str | None = None, slurm: bool = False) -> PlannedStack:
    if candidate.excluded_by:
        return PlannedStack(candidate.label, candidate.axes, EXCLUDED, f"by {candidate.excluded_by}")
    python = uv.find_python(candidate.axes["python"])
    requires = resolution.requirements(candidate, slurm=slurm)
    resolved = resolution.resolve(requires, python, exclude_newer)
    if not resolved.possible:
        return PlannedStack(candidate.label, candidate.axes, IMPOSSIBLE, resolved.reason, requires, python=python)
    return PlannedStack(candidate.label, candidate.axes, READY, "", requires, resolved.lock, python)
