"""How the SLURM executor submits a run's tasks: partition, account, array parallelism, cores, sbatch options.

Why a type of its own: the settings come from three places, in this order of weight: the
``--slurm-*`` flags, a ``--slurm-config`` JSON file, and (for ``--resume``) the settings the run
was started with, kept in its manifest. A field left ``None`` is not said at that place, so the
next one (or the default) holds; ``over`` lays one place over another. Every value is checked
where it is made, before anything is created.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from suite.errors import UsageError

#: Array tasks running at once when neither the flag nor the config file says.
DEFAULT_ARRAY_PARALLELISM = 16
#: CPU cores per task; the task's worker uses as many intra-op threads (SLURM_CPUS_PER_TASK).
DEFAULT_CPUS_PER_TASK = 1
#: What --slurm-config may set (the flags of the same names override it).
SETTINGS = ("partition", "account", "array_parallelism", "cpus_per_task", "options")


@dataclass(frozen=True)
class SlurmSettings:
    """The settings of ``--executor slurm``; ``None`` where this place does not say."""

    partition: str | None = None
    account: str | None = None
    array_parallelism: int | None = None  # tasks of one array running at once
    cpus_per_task: int | None = None  # CPU cores per task, and the intra-op threads of its worker
    options: tuple[tuple[str, object], ...] = ()  # extra sbatch options, (option without dashes, value)
    detach: bool = False  # submit and return; this one invocation's choice, never carried over

    def __post_init__(self):
        for key in ("array_parallelism", "cpus_per_task"):
            value = getattr(self, key)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
                raise UsageError(f"--slurm-{key.replace('_', '-')} must be a positive whole number, got {value}")

    def over(self, earlier: SlurmSettings) -> SlurmSettings:
        """These settings where they say something, ``earlier``'s elsewhere; the sbatch options of both."""
        def pick(key: str):
            mine = getattr(self, key)
            return mine if mine is not None else getattr(earlier, key)

        options = {**dict(earlier.options), **dict(self.options)}
        return SlurmSettings(pick("partition"), pick("account"), pick("array_parallelism"), pick("cpus_per_task"),
                             tuple(options.items()), self.detach)

    @property
    def parallelism(self) -> int:
        return self.array_parallelism or DEFAULT_ARRAY_PARALLELISM

    @property
    def cores(self) -> int:
        return self.cpus_per_task or DEFAULT_CPUS_PER_TASK

    def to_manifest(self) -> dict:
        """The settings as the run's manifest keeps them (defaults filled in, so a resume finds them as run)."""
        stored = {"partition": self.partition, "account": self.account, "array_parallelism": self.parallelism,
                  "cpus_per_task": self.cores, "options": dict(self.options)}
        return {**stored, "detach": True} if self.detach else stored

    @classmethod
    def from_manifest(cls, stored: dict | None) -> SlurmSettings:
        """The settings a run was started with (its manifest's ``slurm``); ``detach`` is not carried over."""
        stored = stored or {}
        return cls(stored.get("partition"), stored.get("account"), stored.get("array_parallelism"),
                   stored.get("cpus_per_task"), tuple(dict(stored.get("options") or {}).items()))

    @classmethod
    def from_config(cls, config: str | Path) -> SlurmSettings:
        """``--slurm-config FILE``: a JSON object of ``SETTINGS``; anything else is refused with its name."""
        try:
            loaded = json.loads(Path(config).read_text())
        except (OSError, ValueError) as error:
            raise UsageError(f"--slurm-config {config} cannot be read as JSON: {error}") from None
        unknown = set(loaded) - set(SETTINGS) if isinstance(loaded, dict) else set()
        if not isinstance(loaded, dict) or unknown:
            raise UsageError(f"--slurm-config {config}: unknown setting(s) {', '.join(sorted(unknown))}; it takes "
                             f"{', '.join(SETTINGS)}")
        options = tuple(dict(loaded.get("options") or {}).items())
        return cls(loaded.get("partition"), loaded.get("account"), loaded.get("array_parallelism"),
                   loaded.get("cpus_per_task"), options)


def sbatch_option(text: str) -> tuple[str, str]:
    """``--slurm-option qos=short`` -> ``("qos", "short")`` (leading dashes dropped, dashes as underscores)."""
    key, equals, value = text.partition("=")
    if not key or not equals:
        raise UsageError(f"--slurm-option takes KEY=VALUE (an sbatch option without its dashes), got {text!r}")
    return key.strip().lstrip("-").replace("-", "_"), value
