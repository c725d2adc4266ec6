"""The one rule for comparing bits: where a seed's weights can match a recorded hash, and what to say where not.

A deterministic job gives the same bits only where everything that decides the order of its sums is the same:
the stack (Python, the backend and its versions, Keras, NumPy), the CPU's generation and vector extensions
(the kernels XLA and oneDNN pick), the worker's intra-op threads (how a matmul's sums are split), the GPU and
determinism. Where all of that matches a recorded environment, identical weights are the strongest evidence a
gate has and different ones say the numerics changed even when every metric stays inside its bounds. Where it
does not, bits say nothing, and the statistical bounds alone judge; the gate then says once, in one line, that
bits were not compared and why, not once per benchmark.

A baseline entry keeps its hashes as *bit references*: each the environment it was recorded in and the weights'
sha256 per seed. Calibration writes the first; ``calibrate --hashes`` adds the hashes of this machine (its CPU
generation, stack and threads) beside the others without measuring any spread again. Every feature that compares
bits (the gate, restamping, another backend or stack) goes through ``comparable`` and ``compare_run``.

Measured on 2026-12-02: on an "AMD EPYC" of family 25 model 17 (AVX-512) the weights of 19 of the 22 TensorFlow
benchmarks the quick gate compared differed from those calibrated on an "AMD EPYC" of the same stack and thread
count, their metrics within the seed spread; and 1 thread against 2 gave other weights for dlwp_dense512,
convnet_mnist and deep_mlp_ciresan on both backends.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from suite import backends
from suite.constants import DEFAULT_BACKEND

#: The stack: another release of any of these computes other bits (every backend's versions among them).
STACK = ("python", "backend", *backends.every_versioned(), "keras", "numpy")
#: The machine: the CPU's name, generation and vector extensions, its cores, the GPUs, determinism.
MACHINE = ("cpu", "cpu_count", "gpu", "deterministic")
CPU_GENERATION = ("cpu_id", "cpu_flags")
#: The worker's intra-op threads (a record's own field, not its environment's).
THREADS = "intra_op_threads"
#: Why a benchmark is not compared when its code is not the calibrated code (recalibrating is the fix, not hashes).
CODE_CHANGED = "the benchmark's code changed since its hashes were recorded"
#: Values of fields that environments written before the field existed had: they ran on TensorFlow.
DEFAULTS = {"backend": DEFAULT_BACKEND}


def environment_of(records: list[dict]) -> dict:
    """What a bit reference keeps of the records whose hashes it holds.

    The thread count is kept only when every record shares it: seeds that ran on workers of different widths
    have no one environment to compare a later run's bits with.
    """
    environment = next((r.get("environment") for r in records if r.get("environment")), {}) or {}
    kept = {key: environment.get(key) for key in STACK + MACHINE + CPU_GENERATION if key in environment}
    threads = {r.get(THREADS) for r in records}
    if len(threads) == 1 and None not in threads:
        kept[THREADS] = threads.pop()
    return kept


def bit_references(entry: dict) -> list[dict]:
    """The bit references of a baseline entry, or of a record's copy of its provenance; one written before they
    existed has one, its calibration's ``weights_sha256`` in its ``environment``."""
    if "bits" in entry:
        return list(entry["bits"])
    if entry.get("weights_sha256"):
        return [{"environment": entry.get("environment") or {}, "weights_sha256": entry["weights_sha256"],
                 "run_id": entry.get("run_id"), "recorded_at": entry.get("calibrated_at")}]
    return []


def differences(record: dict, recorded: dict) -> list[tuple[str, str]]:
    """``(kind, text)`` for what of ``record``'s environment differs from a bit reference's ([]: bits comparable).

    Kinds: ``stack``, ``cpu generation``, ``threads``, ``machine``. A reference that does not record the CPU's
    generation or the thread count cannot vouch for them: that counts as a difference.
    """
    ran = record.get("environment") or {}
    found = []
    for key in STACK + MACHINE:
        mine, theirs = ran.get(key, DEFAULTS.get(key)), recorded.get(key, DEFAULTS.get(key))
        if mine != theirs:
            found.append(("stack" if key in STACK else "machine", f"{key} {mine} (hashes: {theirs})"))
    if not all(key in recorded for key in CPU_GENERATION):
        found.append(("cpu generation", "the hashes do not record their CPU's generation"))
    elif any(ran.get(key) != recorded[key] for key in CPU_GENERATION):
        found.append(("cpu generation", f"CPU {ran.get('cpu_id')} (hashes: {recorded['cpu_id']})"))
    if recorded.get(THREADS) is None:
        found.append(("threads", "the hashes do not record their thread count"))
    elif record.get(THREADS) != recorded[THREADS]:
        found.append(("threads", f"{record.get(THREADS)} intra-op thread(s) (hashes: {recorded[THREADS]})"))
    return found


def comparable(record: dict, references: list[dict]) -> tuple[str | None, str]:
    """``(expected hash, "")`` where a reference's environment is the record's and holds its seed, else
    ``(None, why not)``: the reason of the nearest reference (fewest differences)."""
    seed = str(record.get("seed"))
    if not references:
        return None, "the baseline holds no hashes"
    reasons = []
    for reference in references:
        found = differences(record, reference.get("environment") or {})
        if not found:
            expected = (reference.get("weights_sha256") or {}).get(seed)
            if expected:
                return expected, ""
            found = [("seed", f"no hash for seed {seed}")]
        reasons.append(found)
    nearest = min(reasons, key=len)
    return None, _reason(nearest, record)


def _reason(found: list[tuple[str, str]], record: dict) -> str:
    kinds = [kind for kind, _ in found]
    environment = record.get("environment") or {}
    if "stack" in kinds:
        return "another stack than the hashes' (" + "; ".join(text for kind, text in found if kind == "stack") + ")"
    if "cpu generation" in kinds:
        return f"no hashes for this CPU generation ({environment.get('cpu_id') or 'unknown'})"
    if "machine" in kinds:
        return "another machine setting (" + "; ".join(text for kind, text in found if kind == "machine") + ")"
    if "threads" in kinds:
        return f"no hashes at {record.get(THREADS)} intra-op thread(s) a worker"
    return found[0][1]


@dataclass(frozen=True)
class Comparison:
    """One benchmark's seeds compared bit for bit with its baseline's."""

    compared: int
    changed: tuple[int, ...]


@dataclass
class RunNumerics:
    """What a run's weights say against its baseline: the benchmarks compared, and why the others were not."""

    compared: dict[str, Comparison] = field(default_factory=dict)
    #: reason -> the benchmarks it kept from being compared
    not_compared: dict[str, list[str]] = field(default_factory=dict)
    backend: str = DEFAULT_BACKEND

    @property
    def changed(self) -> dict[str, Comparison]:
        return {name: comparison for name, comparison in self.compared.items() if comparison.changed}


def compare_run(records: list[dict]) -> RunNumerics:
    """Every judged, finished seed of a run against the bit references its record was judged with.

    Only records judged against a baseline (the quick tier) take part, and only where the code version is the
    baseline's: other code is a change the gate reports on its own ("changed since calibrated").
    """
    numerics = RunNumerics()
    skipped: dict[str, Counter] = {}
    for record in records:
        baseline = (record.get("judged_against") or {}).get("baseline") or {}
        if not baseline or record.get("status") != "ok" or not record.get("weights_sha256"):
            continue
        name = record["benchmark"]
        numerics.backend = record.get("backend") or DEFAULT_BACKEND
        if record.get("code_version") != baseline.get("code_version"):
            skipped.setdefault(name, Counter())[CODE_CHANGED] += 1
            continue
        expected, why_not = comparable(record, bit_references(baseline))
        if expected is None:
            skipped.setdefault(name, Counter())[why_not] += 1
            continue
        so_far = numerics.compared.get(name, Comparison(0, ()))
        changed = so_far.changed + ((record["seed"],) if record["weights_sha256"] != expected else ())
        numerics.compared[name] = Comparison(so_far.compared + 1, changed)
    for name, reasons in skipped.items():
        if name in numerics.compared:
            continue  # some of its seeds were compared: those speak for it
        numerics.not_compared.setdefault(reasons.most_common(1)[0][0], []).append(name)
    return numerics


def summary_line(numerics: RunNumerics) -> str | None:
    """The gate's one line about bits (None when the run was judged against no baseline)."""
    parts = []
    if numerics.compared:
        identical = len(numerics.compared) - len(numerics.changed)
        parts.append(f"{identical} of {len(numerics.compared)} benchmarks bit-identical to the baseline's hashes "
                     "(same stack, CPU generation, threads and seeds)")
    if numerics.not_compared:
        count = sum(len(names) for names in numerics.not_compared.values())
        why = "; ".join(f"{reason} ({len(names)})" for reason, names in
                        sorted(numerics.not_compared.items(), key=lambda item: -len(item[1])))
        lead = "bits of" if not numerics.compared else "bits of the other"
        backend = "" if numerics.backend == DEFAULT_BACKEND else f" --backend {numerics.backend}"
        hint = ("" if set(numerics.not_compared) == {CODE_CHANGED} else
                f" (`python -m suite calibrate --tier quick --hashes{backend}` records this machine's)")
        parts.append(f"{lead} {count} not compared: {why}; the statistical bounds judge them{hint}")
    return ("Numerics: " + ". ".join(parts) + ".") if parts else None


def provenance_for_seed(provenance: dict | None, seed: int) -> dict | None:
    """A record's copy of its baseline's provenance, with only its own seed's hashes: what it is compared with."""
    if not provenance:
        return provenance
    narrowed = dict(provenance)
    key = str(seed)
    narrowed["bits"] = [{**reference, "weights_sha256": {k: v for k, v in (reference.get("weights_sha256") or {}).items()
                                                          if k == key}}
                        for reference in narrowed.get("bits") or []]
    return narrowed
