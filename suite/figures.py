"""Figures for the report, drawn with seaborn and embedded as base64 PNG.

Each function takes plain data (records, arrays) and returns an ``<img>``-ready
data URI, so the report stays one self-contained file.
"""

from __future__ import annotations

import base64
import io
import math

import numpy as np

_STYLE_SET = False


def _setup():
    global _STYLE_SET
    import matplotlib

    matplotlib.use("Agg")
    if not _STYLE_SET:
        import seaborn as sns

        sns.set_theme(style="whitegrid", context="notebook", font_scale=0.9)
        _STYLE_SET = True


def to_data_uri(figure, *, dpi: int = 110) -> str:
    """PNG bytes of a matplotlib figure as a data URI; the figure is closed afterwards."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def per_seed_values(reference_verdicts) -> str | None:
    """One small panel per reference: each seed's value, the mean, the reported number, the bounds."""
    _setup()
    import matplotlib.pyplot as plt
    import seaborn as sns

    panels = [rv for rv in reference_verdicts if rv.values]
    if not panels:
        return None
    figure, axes = plt.subplots(1, len(panels), figsize=(3.2 * len(panels), 2.6), squeeze=False)
    for axis, rv in zip(axes[0], panels):
        reference = rv.reference
        values = np.array(rv.values, dtype=float)
        finite = np.isfinite(values)
        shown = np.where(finite, values, np.nan)
        if finite.any():
            sns.stripplot(y=shown[finite], ax=axis, color="#1f77b4", size=7, jitter=0.08, alpha=0.85)
            axis.axhline(np.nanmean(shown), color="#1f77b4", linestyle="-", linewidth=1, label="our mean")
        else:
            axis.text(0.5, 0.5, "all seeds non-finite\n(diverged)", ha="center", va="center", transform=axis.transAxes)
        if reference.kind == "between":
            axis.axhspan(reference.bounds[0], reference.bounds[1], color="#2ca02c", alpha=0.15, label="bounds")
        elif reference.threshold is not None:
            axis.axhline(reference.threshold, color="#2ca02c", linestyle=":", linewidth=1.5, label="threshold")
        if reference.value is not None and math.isfinite(reference.value):
            axis.axhline(reference.value, color="#d62728", linestyle="--", linewidth=1.2, label="reported")
        axis.set_title(reference.metric, fontsize=9)
        axis.set_xticks([])
        axis.legend(fontsize=7, loc="best")
    figure.tight_layout()
    return to_data_uri(figure)


def learning_curves(records: list[dict], source_curves: dict | None = None) -> str | None:
    """Loss and accuracy-like series of every seed, with the source's logged points overlaid."""
    _setup()
    import matplotlib.pyplot as plt

    series_names = []
    for record in records:
        for key, values in (record.get("history") or {}).items():
            if key in ("epoch", "step") or key.endswith("_step") or not isinstance(values, list):
                continue
            if values and key not in series_names and isinstance(values[0], (int, float)):
                series_names.append(key)
    if not series_names:
        return None
    groups = [[n for n in series_names if "loss" in n], [n for n in series_names if "loss" not in n]]
    groups = [g for g in groups if g]
    figure, axes = plt.subplots(1, len(groups), figsize=(5.2 * len(groups), 3.0), squeeze=False)
    palette = plt.get_cmap("tab10")
    for axis, names in zip(axes[0], groups):
        for colour_index, name in enumerate(names):
            for record in records:
                history = record.get("history") or {}
                values = np.asarray(history.get(name, []), dtype=float)
                x_axis = _x_axis(history, name, len(values))
                axis.plot(x_axis, values, color=palette(colour_index % 10), alpha=0.6, linewidth=1.2,
                          label=name if record is records[0] else None)
            source = (source_curves or {}).get(name)
            if source:
                axis.plot(range(1, len(source) + 1), source, "o", color=palette(colour_index % 10),
                          markeredgecolor="black", label=f"{name} (source)")
        axis.set_xlabel(_x_label(records[0].get("history") or {}))
        axis.legend(fontsize=7)
        if any("loss" in n for n in names):
            axis.set_title("loss")
            if _wide_range(axis):
                axis.set_yscale("log")
    figure.tight_layout()
    return to_data_uri(figure)


def _x_axis(history: dict, name: str, length: int):
    prefix = name[: -len("_loss")] if name.endswith("_loss") else None
    if prefix and f"{prefix}_step" in history and len(history[f"{prefix}_step"]) == length:
        return history[f"{prefix}_step"]
    for axis_name in ("epoch", "step"):
        if axis_name in history and len(history[axis_name]) == length:
            return history[axis_name]
    return list(range(1, length + 1))


def _x_label(history: dict) -> str:
    return "epoch" if "epoch" in history else "step"


def _wide_range(axis) -> bool:
    low, high = axis.get_ylim()
    return low > 0 and high / max(low, 1e-12) > 50
