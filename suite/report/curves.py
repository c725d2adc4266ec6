"""Figures every benchmark gets: each seed's value against its reference, and the learning curves."""

from __future__ import annotations

import math

import numpy as np

from suite.report.drawing import VECTOR_MAX_POINTS, pyplot, thin, to_data_uri

SERIES_AXES = ("epoch", "step")


def per_seed_values(reference_verdicts, seeds: list | None = None) -> str | None:
    """One small panel per reference: each seed's value, our mean, the reported number, the bounds."""
    plt = pyplot()
    panels = [rv for rv in reference_verdicts if rv.values]
    if not panels:
        return None
    columns = min(len(panels), 4)
    rows = math.ceil(len(panels) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(2.6 * columns, 2.6 * rows), squeeze=False)
    for axis in axes.flat[len(panels):]:
        axis.set_visible(False)
    for axis, rv in zip(axes.flat, panels):
        reference = rv.reference
        values = np.array(rv.values, dtype=float)
        finite = np.isfinite(values)
        positions = np.linspace(-0.15, 0.15, len(values)) if len(values) > 1 else np.zeros(1)
        if finite.any():
            axis.plot(positions[finite], values[finite], "o", color="#1f77b4", markersize=6, alpha=0.85,
                      label="seeds")
            if seeds is not None and len(seeds) == len(values) and len(values) <= 8:
                for x, y, seed in zip(positions[finite], values[finite], np.asarray(seeds)[finite]):
                    axis.annotate(f"s{seed}", (x, y), textcoords="offset points", xytext=(5, 0), fontsize=6,
                                  va="center", color="#555")
            axis.axhline(float(np.mean(values[finite])), color="#1f77b4", linewidth=1, label="our mean")
        if not finite.all():
            axis.text(0.5, 0.92, f"{int((~finite).sum())} seed(s) non-finite (diverged)", ha="center",
                      va="top", transform=axis.transAxes, fontsize=7, color="#c62828")
        if reference.kind == "between":
            axis.axhspan(reference.bounds[0], reference.bounds[1], color="#2ca02c", alpha=0.15, label="bounds")
        elif reference.threshold is not None:
            axis.axhline(reference.threshold, color="#2ca02c", linestyle=":", linewidth=1.5,
                         label=("≥ " if reference.kind == "at_least" else "≤ ") + "threshold")
        if reference.value is not None and math.isfinite(reference.value):
            axis.axhline(reference.value, color="#d62728", linestyle="--", linewidth=1.2, label="reported")
        axis.set_title(reference.metric, fontsize=9)
        axis.set_xticks([])
        axis.set_xlim(-0.5, 0.5)
        if axis.get_legend_handles_labels()[0]:
            axis.legend(fontsize=6.5, loc="upper center", bbox_to_anchor=(0.5, -0.04), ncol=2, frameon=False)
    figure.subplots_adjust(wspace=0.45, hspace=0.75)
    return to_data_uri(figure, vector=True)


def numeric_series(history: dict) -> list[str]:
    names = []
    for key, values in history.items():
        if key in SERIES_AXES or key.endswith("_step") or key.endswith("_epoch") or not isinstance(values, list):
            continue
        if values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values[:5]):
            names.append(key)
    return names


def learning_curves(records: list[dict], source_curves: dict | None = None) -> str | None:
    """Loss-like and accuracy-like series of every seed, with the source's logged points overlaid."""
    records = [r for r in records if isinstance(r.get("history"), dict) and r["history"]]
    series_names: list[str] = []
    for record in records:
        for name in numeric_series(record["history"]):
            if name not in series_names:
                series_names.append(name)
    if not series_names:
        return None
    plt = pyplot()
    groups = [[n for n in series_names if "loss" in n], [n for n in series_names if "loss" not in n]]
    groups = [g for g in groups if g]
    figure, axes = plt.subplots(1, len(groups), figsize=(5.0 * len(groups), 2.9), squeeze=False)
    palette = plt.get_cmap("tab10")
    marks = 0
    x_max = None
    for record in records:
        for name in series_names:
            values = record["history"].get(name)
            if isinstance(values, list) and values:
                axis_values = np.asarray(x_axis(record["history"], name, len(values)), dtype=float)
                if axis_values.size and np.isfinite(axis_values).any():
                    x_max = max(x_max or -np.inf, float(np.nanmax(axis_values)))
    for axis, names in zip(axes[0], groups):
        for colour_index, name in enumerate(names):
            colour = palette(colour_index % 10)
            for record in records:
                history = record["history"]
                values = history.get(name)
                if not isinstance(values, list) or not values:
                    continue
                values = [v if isinstance(v, (int, float)) else math.nan for v in values]
                x, y = thin(x_axis(history, name, len(values)), values)
                marks += len(y)
                axis.plot(x, y, "o-" if len(y) <= 25 else "-", color=colour, alpha=0.65, linewidth=1.1,
                          markersize=3, label=name if record is records[0] else None)
            source = _source_points((source_curves or {}).get(name))
            if source is not None:
                # a reduced tier trains for fewer steps: show the source only over the range we trained
                shown = np.isfinite(source[1]) & (source[0] <= x_max * 1.05 if x_max is not None else True)
                if shown.any():
                    axis.plot(source[0][shown], source[1][shown], "o", color=colour, markeredgecolor="black",
                              markersize=5, label=f"{name} (source)")
        axis.set_xlabel(_x_label(records[0]["history"]))
        if len(records) > 1:
            axis.set_title(f"{'loss' if 'loss' in names[0] else 'metrics'} ({len(records)} seeds)", fontsize=9)
        else:
            axis.set_title("loss" if "loss" in names[0] else "metrics", fontsize=9)
        # an explicit place: loc="best" tests every plotted point and was a third of the drawing time
        axis.legend(fontsize=7, framealpha=0.7, loc="upper right" if "loss" in names[0] else "lower right")
        if any("loss" in n for n in names) and _wide_range(axis):
            axis.set_yscale("log")
    figure.subplots_adjust(wspace=0.25)
    return to_data_uri(figure, vector=marks <= VECTOR_MAX_POINTS)


def _source_points(curve):
    """The source's logged values: a list (x = 1, 2, ...), a list of (x, y) pairs, or {"x": [...], "y": [...]}."""
    if curve is None:
        return None
    if isinstance(curve, dict):
        x = curve.get("x") or curve.get("step") or curve.get("epoch")
        y = curve.get("y") or curve.get("value") or curve.get("values")
        return (np.asarray(x, dtype=float), np.asarray(y, dtype=float)) if x is not None and y is not None else None
    values = list(curve)
    if not values:
        return None
    if isinstance(values[0], (list, tuple)) and len(values[0]) == 2:
        pairs = np.asarray(values, dtype=float)
        return pairs[:, 0], pairs[:, 1]
    return np.arange(1, len(values) + 1, dtype=float), np.asarray(values, dtype=float)


def x_axis(history: dict, name: str, length: int):
    return x_axis_named(history, name, length)[1]


def x_axis_named(history: dict, name: str, length: int) -> tuple[str, list]:
    """The x values of series ``name`` and what they count ("epoch" or "step"): its own ``<name>_step`` or
    ``<name>_epoch`` list, else the history's ``epoch`` or ``step``, else 1, 2, ... counted as steps."""
    stem = name
    for suffix in ("_loss", "_accuracy", "_acc"):
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
    for unit in ("step", "epoch"):
        for candidate in (f"{name}_{unit}", f"{stem}_{unit}"):
            if candidate in history and len(history[candidate]) == length:
                return unit, history[candidate]
    for axis_name in SERIES_AXES:
        if axis_name in history and len(history[axis_name]) == length:
            return axis_name, history[axis_name]
    return "step", list(range(1, length + 1))


def _x_label(history: dict) -> str:
    return "epoch" if "epoch" in history else "step"


def _wide_range(axis) -> bool:
    low, high = axis.get_ylim()
    return low > 0 and high / max(low, 1e-12) > 50
