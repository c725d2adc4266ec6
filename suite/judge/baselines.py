"""Baselines: the committed files a tier's bounds come from, checked before anything trusts them.

``baselines/quick.json`` holds the quick gate's calibrated bounds (``suite.judge.calibrate``) for
TensorFlow, ``baselines/quick-<backend>.json`` another backend's (its numbers differ in their last bits);
``references_for`` turns a benchmark and a tier into the references a run of it is judged against.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from suite.constants import DEFAULT_BACKEND, baselines_dir
from suite.reference import Reference


class BaselineError(ValueError):
    """A baseline file that cannot be used: its message names the file, the field and the fix."""


#: Fields each calibrated metric of a baseline entry must have to judge a run.
BASELINE_METRIC_FIELDS = ("mean", "low", "high")


def baseline_file(tier: str, backend: str = DEFAULT_BACKEND) -> str:
    """``quick.json`` for TensorFlow, ``quick-jax.json`` for JAX: each backend is gated on its own measurements."""
    return f"{tier}.json" if backend == DEFAULT_BACKEND else f"{tier}-{backend}.json"


def load_baseline(tier: str, directory: Path | None = None, backend: str = DEFAULT_BACKEND) -> dict:
    """The tier's baseline (``{}`` when there is none), checked field by field before anything trusts it."""
    path = (directory or baselines_dir()) / baseline_file(tier, backend)
    if not path.exists():
        return {}
    recalibrate = f"python -m suite calibrate --tier {tier}" + ("" if backend == DEFAULT_BACKEND else f" --backend {backend}")
    fix = f"restore it (git checkout {path.name}) or recalibrate ({recalibrate})"
    try:
        baseline = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BaselineError(f"baseline {path} is not valid JSON ({error}); {fix}") from None
    except OSError as error:
        raise BaselineError(f"baseline {path} cannot be read ({error.strerror or error}); {fix}") from None
    for field_path, problem in baseline_problems(baseline):
        raise BaselineError(f"baseline {path}: {field_path} {problem}; {fix}")
    return baseline


def metric_entries(data) -> tuple[list[tuple[str, dict]], list[tuple[str, str]]]:
    """Every ``(field path, entry)`` under ``benchmarks.<name>.metrics.<metric>`` of a baseline-shaped
    file (quick.json, full.json), and ``(field path, problem)`` for what is not shaped like one."""
    if not isinstance(data, dict):
        return [], [("the file", f"holds a JSON {type(data).__name__}, not an object")]
    benchmarks = data.get("benchmarks")
    if not isinstance(benchmarks, dict):
        return [], [("'benchmarks'", "is missing or not an object")]
    entries, problems = [], []
    for name, benchmark in benchmarks.items():
        metrics = benchmark.get("metrics") if isinstance(benchmark, dict) else None
        if not isinstance(metrics, dict):
            problems.append((f"benchmarks.{name}.metrics", "is missing or not an object"))
            continue
        for metric, entry in metrics.items():
            where = f"benchmarks.{name}.metrics.{metric}"
            if isinstance(entry, dict):
                entries.append((where, entry))
            else:
                problems.append((where, "is not an object"))
    return entries, problems


def is_finite_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def baseline_problems(baseline) -> list[tuple[str, str]]:
    """(field, problem) for every field a verdict needs that is missing or unusable."""
    entries, problems = metric_entries(baseline)
    for where, calibration in entries:
        bad = [key for key in BASELINE_METRIC_FIELDS if not is_finite_number(calibration.get(key))]
        problems += [(f"{where}.{key}", "is missing or not a finite number") for key in bad]
        if not bad and calibration["low"] > calibration["high"]:
            problems.append((where, f"has low {calibration['low']} above high {calibration['high']}"))
    return problems


def references_for(benchmark, tier: str, baseline: dict | None = None) -> tuple[tuple[Reference, ...], bool]:
    """The references a run of ``tier`` is judged against, and whether the tier is judged at all."""
    if tier == "full":
        uncalibrated = [r.metric for r in benchmark.references if r.uses_calibration and r.bounds is None]
        if uncalibrated:
            raise BaselineError(
                f"{baselines_dir() / 'full.json'} has no calibration for {benchmark.name} "
                f"({', '.join(uncalibrated)}), so its full-tier bounds cannot be derived; calibrate it: "
                f"python -m suite calibrate --tier full {benchmark.name} --seeds 3")
        return tuple(benchmark.references), True
    if tier == "smoke":
        return (), False
    entry = (baseline or {}).get("benchmarks", {}).get(benchmark.name) or {}
    # A divergence claim holds at every tier (the loss blows up within the first steps), and so does a claim
    # the benchmark names in ``gate_as_documented``: judged as documented.
    judged = [reference for reference in benchmark.references
              if reference.kind == "diverges" or reference.metric in benchmark.gate_as_documented]
    if not entry and not judged:
        return (), True
    for metric, calibration in entry.get("metrics", {}).items():
        documented = next((r for r in benchmark.references if r.metric == metric), None)
        if documented is not None and documented in judged:
            continue
        note = calibration.get("rule", "") + f" (baseline n={calibration.get('n')}, {entry.get('calibrated_at', '')})"
        judged.append(Reference(metric, calibration.get("mean"),
                                bounds=(calibration["low"], calibration["high"]), note=note,
                                claim=documented.claim if documented else ""))
    return tuple(judged), True


def baseline_provenance(tier: str, baseline: dict | None, name: str, backend: str = DEFAULT_BACKEND) -> dict | None:
    """Where a quick-tier bound came from: the file, its calibration date and the code it measured."""
    entry = (baseline or {}).get("benchmarks", {}).get(name)
    if not entry:
        return None
    return {"file": f"baselines/{baseline_file(tier, backend)}", "calibrated_at": entry.get("calibrated_at"),
            "run_id": entry.get("run_id"), "code_version": entry.get("code_version"), "seeds": entry.get("seeds"),
            "weights_sha256": entry.get("weights_sha256"), "environment": entry.get("environment")}


#: What must match for two runs of one seed to give the same bits: the stack, the CPU and determinism.
NUMERICS_ENVIRONMENT = ("python", "backend", "tensorflow", "jax", "jaxlib", "keras", "numpy", "cpu", "cpu_count",
                        "gpu", "deterministic")
#: Values of fields that environments written before the field existed had: they ran on TensorFlow.
NUMERICS_DEFAULTS = {"backend": DEFAULT_BACKEND}
#: And the worker's intra-op threads (a record's own field, not its environment's). Why: TensorFlow and
#: XLA split a matmul or a convolution's sums over the threads, so a worker of ``--workers 2`` (one core)
#: adds in another order than a single worker on two cores: on both backends every benchmark tried here
#: (dlwp_dense512, convnet_mnist, deep_mlp_ciresan) trained to other bits with 1 thread than with 2.
NUMERICS_THREADS = "intra_op_threads"
#: And the CPU's generation and vector extensions. Why: a virtual machine's model name is often the brand
#: alone ("AMD EPYC"), and the kernels XLA and oneDNN run depend on the generation. Measured on 2026-12-02:
#: on an "AMD EPYC" of family 25 model 17 (AVX-512), the weights of 19 of the 22 TensorFlow benchmarks the
#: quick gate compares differed from those calibrated on an "AMD EPYC" of the same stack and thread count
#: (their metrics within the seed spread: dlwp_dense512's test accuracy 0.9725 against 0.9720), where the day
#: before, on another machine of that name, all 22 had been identical.
NUMERICS_CPU = ("cpu_id", "cpu_flags")


@dataclass(frozen=True)
class NumericsComparison:
    """One benchmark's seeds compared bit for bit with its baseline's.

    ``cpu_unrecorded``: the baseline entry predates ``NUMERICS_CPU``, so the CPU generation it was calibrated
    on is unknown and a difference may be the CPU's rather than the code's or the stack's.
    """

    compared: int
    changed: tuple[int, ...]
    cpu_unrecorded: bool


def numerics_environment(records: list[dict]) -> dict:
    """What a baseline entry keeps of its calibration records for later bit-for-bit comparisons.

    The thread count is kept only when every record shares it: a calibration whose seeds ran on workers of
    different widths has no one environment to compare a later run's bits with on that count.
    """
    environment = next((r.get("environment") for r in records if r.get("environment")), {}) or {}
    kept = {key: environment.get(key) for key in NUMERICS_ENVIRONMENT + NUMERICS_CPU if key in environment}
    threads = {r.get(NUMERICS_THREADS) for r in records}
    if len(threads) == 1 and None not in threads:
        kept[NUMERICS_THREADS] = threads.pop()
    return kept


def numerics_environment_differences(record: dict, calibrated: dict) -> list[str]:
    """What of ``record``'s environment differs from the one a baseline entry was calibrated in ([]: the same).

    Fields an older entry did not keep (the thread count, the CPU's generation) are not compared:
    ``cpu_unrecorded`` says where that leaves the comparison uncertain.
    """
    ran = record.get("environment") or {}
    differences = [f"{key} {ran.get(key, NUMERICS_DEFAULTS.get(key))!r} (calibrated on "
                   f"{calibrated.get(key, NUMERICS_DEFAULTS.get(key))!r})"
                   for key in NUMERICS_ENVIRONMENT
                   if ran.get(key, NUMERICS_DEFAULTS.get(key)) != calibrated.get(key, NUMERICS_DEFAULTS.get(key))]
    differences += [f"{key} {ran.get(key)!r} (calibrated on {calibrated[key]!r})"
                    for key in NUMERICS_CPU if key in calibrated and ran.get(key) != calibrated[key]]
    if NUMERICS_THREADS in calibrated and record.get(NUMERICS_THREADS) != calibrated[NUMERICS_THREADS]:
        differences.append(f"{record.get(NUMERICS_THREADS)} intra-op thread(s) (calibrated on "
                           f"{calibrated[NUMERICS_THREADS]})")
    return differences


def cpu_unrecorded(calibrated: dict) -> bool:
    """Whether a baseline entry's environment predates the CPU generation being kept (``NUMERICS_CPU``)."""
    return not all(key in calibrated for key in NUMERICS_CPU)


def numerics_against_baseline(records: list[dict]) -> dict[str, NumericsComparison]:
    """Per benchmark, the seeds compared with the baseline's weights hashes and those whose weights differ.

    Only where the record's environment is the one the baseline was calibrated in (``NUMERICS_ENVIRONMENT``,
    ``NUMERICS_CPU`` and ``NUMERICS_THREADS``) and the code version is the same: there a deterministic run
    gives the same bits, so identical weights are the strongest evidence a gate can have, and different ones
    say the numerics changed even when every metric stays inside its bounds. Across environments the
    statistical bounds alone apply.
    """
    compared: dict[str, NumericsComparison] = {}
    for record in records:
        baseline = (record.get("judged_against") or {}).get("baseline") or {}
        hashes, environment = baseline.get("weights_sha256") or {}, baseline.get("environment") or {}
        expected = hashes.get(str(record.get("seed")))
        if (record.get("status") != "ok" or not expected or not record.get("weights_sha256")
                or record.get("code_version") != baseline.get("code_version")
                or numerics_environment_differences(record, environment)):
            continue
        so_far = compared.get(record["benchmark"], NumericsComparison(0, (), False))
        changed = so_far.changed + ((record["seed"],) if record["weights_sha256"] != expected else ())
        compared[record["benchmark"]] = NumericsComparison(
            so_far.compared + 1, changed, so_far.cpu_unrecorded or cpu_unrecorded(environment))
    return compared
