"""``python -m suite export RUN... --format csv|parquet|jsonl|tensorboard``: results into other tools.

Two tables, the same that ``suite.results.load`` returns as DataFrames:

* one row per job (``job_table``): run, benchmark, experiment, seed, tier, backend,
  status, every metric as a ``metric.<name>`` column, the benchmark's verdict in its
  run and each judged reference's (``verdict.<metric>``), duration, device, host
  and versions;
* with ``--long``, one row per point of every history series (``history_table``):
  run, benchmark, experiment, tier, seed, series, axis ("epoch" or "step"), step,
  value; tidy, so ``seaborn.relplot(data, x="step", y="value", hue="seed",
  col="series")`` draws it directly.

CSV, JSONL (standard JSON: a non-finite number is written as null) and Parquet
(through ``pyarrow``, the ``parquet`` extra) hold either table. ``tensorboard``
writes each job's history as ``tf.summary`` scalars, one folder per job
(``<run>/<benchmark>/seed<N>``), so ``tensorboard --logdir DIR`` shows every
seed's curves side by side.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

from suite import backends

FORMATS = ("csv", "parquet", "jsonl", "tensorboard")
#: Environment fields copied into the job table, in this order.
ENVIRONMENT_COLUMNS = ("hostname", "python", *(field for field, _ in backends.always_recorded()), "keras", "numpy",
                       "cpu", "gpu", "git_commit")


# -- the tables ---------------------------------------------------------------------------------
def job_rows(run: str, records: list[dict], verdicts=None) -> list[dict]:
    """One flat dict per record (see the module docstring); ``verdicts`` from ``verdict.judge_run``."""
    by_benchmark = {v.benchmark: v for v in verdicts or ()}
    metric_names = sorted({name for record in records for name in (record.get("metrics") or {})})
    rows = []
    for record in sorted(records, key=lambda r: (str(r.get("benchmark")), _seed_key(r.get("seed")))):
        environment = record.get("environment") if isinstance(record.get("environment"), dict) else {}
        judged = by_benchmark.get(record.get("benchmark"))
        row = {
            "run": run,
            "benchmark": record.get("benchmark"),
            "experiment": record.get("experiment", ""),
            "seed": record.get("seed"),
            "tier": record.get("tier"),
            "backend": backends.recorded_name(record),
            "status": record.get("status"),
        }
        metrics = record.get("metrics") or {}
        for name in metric_names:
            row[f"metric.{name}"] = _number(metrics.get(name))
        row["verdict"] = judged.verdict if judged else ""
        for reference_verdict in judged.references if judged else ():
            row[f"verdict.{reference_verdict.reference.metric}"] = reference_verdict.verdict
        row.update({
            "duration_s": _number(record.get("duration_s")),
            "device": record.get("device", ""),
            "deterministic": record.get("deterministic"),
        })
        for key in ENVIRONMENT_COLUMNS:
            value = environment.get(key, "")
            row[key] = ", ".join(map(str, value)) if isinstance(value, list) else value
        row["weights_sha256"] = record.get("weights_sha256", "")
        row["finished_at"] = record.get("finished_at", "")
        error = str(record.get("error") or "").strip()
        row["error"] = error.splitlines()[0] if error else ""
        rows.append(row)
    return rows


def history_rows(run: str, records: list[dict]) -> list[dict]:
    """One dict per point of every numeric history series of every record."""
    from suite.report import curves

    rows = []
    for record in sorted(records, key=lambda r: (str(r.get("benchmark")), _seed_key(r.get("seed")))):
        history = record.get("history")
        if not isinstance(history, dict):
            continue
        for series in curves.numeric_series(history):
            values = history[series]
            axis, steps = curves.x_axis_named(history, series, len(values))
            for step, value in zip(steps, values):
                rows.append({"run": run, "benchmark": record.get("benchmark"),
                             "experiment": record.get("experiment", ""), "tier": record.get("tier"),
                             "seed": record.get("seed"), "series": series, "axis": axis, "step": step,
                             "value": _number(value)})
    return rows


def job_table(loaded: list[tuple[str, list[dict]]]):
    """``loaded`` is ``[(run name, records)]``; the verdicts are judged as ``run`` and ``report`` judge them."""
    import pandas as pd

    rows = []
    for run, records in loaded:
        rows.extend(job_rows(run, records, judge(records)))
    return pd.DataFrame(rows)


def job_table_of(run: str, records: list[dict], verdicts):
    """One run's job table with verdicts already judged (the report's download)."""
    import pandas as pd

    return pd.DataFrame(job_rows(run, records, verdicts))


def history_table(loaded: list[tuple[str, list[dict]]]):
    import pandas as pd

    columns = ["run", "benchmark", "experiment", "tier", "seed", "series", "axis", "step", "value"]
    return pd.DataFrame([row for run, records in loaded for row in history_rows(run, records)], columns=columns)


def judge(records: list[dict]):
    """The verdicts of one run's records, from the references they stored (as the report judges them)."""
    from suite.judge import verdict
    from suite.report import recorded

    return verdict.judge_recorded(records, order=list(recorded.recorded_benchmarks(records)))


def to_csv(frame) -> str:
    return frame.to_csv(index=False)


def to_jsonl(frame) -> str:
    """One JSON object per row, numbers at full precision; NaN, inf and missing cells as null (standard JSON)."""
    import json

    lines = []
    for row in frame.to_dict(orient="records"):
        lines.append(json.dumps({key: _plain(value) for key, value in row.items()}, allow_nan=False))
    return "\n".join(lines) + ("\n" if lines else "")


def _plain(value):
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_table(frame, fmt: str, output: str | None) -> None:
    if fmt == "parquet":
        frame.to_parquet(output, index=False)
        return
    text = to_csv(frame) if fmt == "csv" else to_jsonl(frame)
    if text and not text.endswith("\n"):
        text += "\n"
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


# -- TensorBoard --------------------------------------------------------------------------------
def write_tensorboard(loaded: list[tuple[str, list[dict]]], directory: Path) -> int:
    """Each job's history as scalar events in ``directory/<run>/<benchmark>/seed<N>``; returns the job count.

    A series is logged under its own name at its own steps (epochs or steps, as recorded); the
    final metrics are logged once, as ``metrics/<name>`` at the last step, so a job without a
    history still shows its numbers. The events are written with ``tf.summary.write`` and the
    scalar plugin's metadata, which is what ``tf.summary.scalar`` writes, without needing the
    ``tensorboard`` package installed (TensorFlow no longer brings it).
    """
    from suite import native_log

    # TensorFlow's native start-up lines (CUDA probing, CPU notices) come with the first op, not the import.
    with native_log.quiet_imports():
        return _write_events(loaded, directory)


def _write_events(loaded: list[tuple[str, list[dict]]], directory: Path) -> int:
    import tensorflow as tf

    scalar = tf.compat.v1.SummaryMetadata(plugin_data=tf.compat.v1.SummaryMetadata.PluginData(plugin_name="scalars"))
    written = 0
    for run, records in loaded:
        for record in records:
            if record.get("status") != "ok":
                continue
            folder = directory / run / _safe(str(record["benchmark"])) / f"seed{record.get('seed')}"
            writer = tf.summary.create_file_writer(str(folder))
            last_step = 0
            with writer.as_default():
                for row in history_rows(run, [record]):
                    if isinstance(row["step"], (int, float)) and row["value"] is not None:
                        step = int(row["step"])
                        last_step = max(last_step, step)
                        tf.summary.write(row["series"], tf.constant(row["value"], tf.float32), step=step,
                                         metadata=scalar)
                for name, value in sorted((record.get("metrics") or {}).items()):
                    tf.summary.write(f"metrics/{name}", tf.constant(float(value), tf.float32), step=last_step,
                                     metadata=scalar)
            writer.close()
            written += 1
    return written


def _safe(name: str) -> str:
    """A benchmark name as one folder name (no separator, no parent reference)."""
    cleaned = name.replace("/", "_").replace("\\", "_")
    return cleaned if cleaned not in ("", ".", "..") else "_"


def _seed_key(seed):
    return (0, seed) if isinstance(seed, int) else (1, str(seed))


def _number(value):
    """A float for numeric cells (inf and NaN kept), None for a missing one."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
