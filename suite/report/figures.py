"""Figures for the report, drawn with matplotlib/seaborn and embedded as data URIs.

Each function takes plain data (records, arrays) and returns an ``<img>``-ready
data URI (or ``None`` when there is nothing to draw), so the report stays one
self-contained file. Which figure a benchmark gets follows the artefact names of
``suite.artefacts``; ``artefact_figures`` is the one entry point for them.

Size and speed: plots with few marks are SVG (smaller and sharp at any zoom); plots
with many points, pictures and heatmaps are PNG at a modest dpi, re-encoded with a
256-colour palette (about half the bytes). Drawing dominates the cost of a report,
so each figure is rendered once, in one format, without ``tight_layout`` (the
``bbox_inches="tight"`` crop does the trimming), and grids of small pictures are
one mosaic image on one axis rather than dozens of axes.
Long series are thinned to at most ``MAX_POINTS`` per line before drawing: a
10 000-step curve drawn 600 pixels wide shows nothing more with all its points.
"""

from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass

import numpy as np

from suite.artefacts import SEPARATOR

#: Resolution of embedded PNGs: sharp on a laptop screen, small on disk.
DPI = 90
MAX_POINTS = 600
#: Up to this many plotted points a line plot is smaller as SVG than as PNG (measured: ~40 bytes a point).
VECTOR_MAX_POINTS = 1500
#: Misclassified digits shown per grid (two rows of eight).
MAX_DIGITS = 16
_STYLE_SET = False
SERIES_AXES = ("epoch", "step")


def _setup():
    global _STYLE_SET
    import matplotlib

    matplotlib.use("Agg")
    if not _STYLE_SET:
        import seaborn as sns

        sns.set_theme(style="whitegrid", context="notebook", font_scale=0.85)
        matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: smaller and crisp
        matplotlib.rcParams["svg.hashsalt"] = "keras-repro"  # stable ids: same figure, same bytes
        _STYLE_SET = True


def _plt():
    _setup()
    import matplotlib.pyplot as plt

    return plt


def to_data_uri(figure, *, dpi: int = DPI, vector: bool = False) -> str:
    """The figure as a data URI (closed afterwards): SVG when ``vector``, else a palette-compressed PNG.

    Only one format is rendered (drawing is most of the cost): callers ask for SVG
    where the figure has few marks (it is then smaller and sharp) and PNG otherwise.
    """
    import matplotlib.pyplot as plt

    try:
        buffer = io.BytesIO()
        if vector:
            figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
            return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()
        figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
        return "data:image/png;base64," + base64.b64encode(_compress_png(buffer.getvalue())).decode()
    finally:
        plt.close(figure)


def _compress_png(payload: bytes) -> bytes:
    """A 256-colour palette version when smaller: plots use few colours, anti-aliased edges lose nothing visible.

    (Pillow's ``optimize`` pass was measured too: 5 % smaller for ten times the time.)
    """
    try:
        from PIL import Image
    except ImportError:  # Pillow comes with matplotlib; without it keep matplotlib's PNG
        return payload
    image = Image.open(io.BytesIO(payload)).convert("RGB")
    out = io.BytesIO()
    image.quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(out, format="PNG")
    return min(payload, out.getvalue(), key=len)


def _thin(x, y):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(y) > MAX_POINTS:
        index = np.unique(np.linspace(0, len(y) - 1, MAX_POINTS).astype(int))
        return x[index], y[index]
    return x, y


# -- every benchmark -------------------------------------------------------------------------------
def per_seed_values(reference_verdicts, seeds: list | None = None) -> str | None:
    """One small panel per reference: each seed's value, our mean, the reported number, the bounds."""
    plt = _plt()
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
    plt = _plt()
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
                x, y = _thin(x_axis(history, name, len(values)), values)
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


# -- artefacts -------------------------------------------------------------------------------------
@dataclass
class Figure:
    caption: str
    uri: str | None = None
    error: str = ""
    table: dict | None = None  # a figure shown as an HTML table (confusion matrices)


ROBUSTNESS_PREFIXES = ("shift_accuracy", "rotation_accuracy")


def split_models(artefacts: dict) -> dict[str, dict]:
    """``{"mse__confusion_matrix": m, "points": p}`` -> ``{"mse": {"confusion_matrix": m}, "": {"points": p}}``.

    The robustness series (``shift_accuracy__<model>``) carry the model as a suffix
    and stay together under ``""``: they are drawn as one figure with a line per model.
    """
    models: dict[str, dict] = {}
    for key, value in artefacts.items():
        if key.startswith(tuple(p + SEPARATOR for p in ROBUSTNESS_PREFIXES)) or SEPARATOR not in key:
            models.setdefault("", {})[key] = value
            continue
        model, base = key.split(SEPARATOR, 1)
        models.setdefault(model, {})[base] = value
    return dict(sorted(models.items(), key=lambda item: (item[0] != "", item[0])))


def artefact_figures(artefacts: dict) -> list[Figure]:
    """Every picture the artefacts allow, each drawn on its own: one that fails becomes a message."""
    figures = []
    for model, arrays in split_models(artefacts).items():
        label = f" — {model}" if model else ""
        for caption, wanted, draw in _DRAWERS:
            if not all(key in arrays for key in wanted):
                continue
            try:
                drawn = draw(arrays, model)
            except Exception as error:  # one broken artefact must not cost the report
                figures.append(Figure(caption + label, None, f"{type(error).__name__}: {error}"))
                continue
            if isinstance(drawn, dict):
                figures.append(Figure(caption + label, table=drawn))
            elif drawn:
                figures.append(Figure(caption + label, drawn))
    return figures


def _text(value, default: str = "") -> str:
    if value is None:
        return default
    array = np.asarray(value)
    return str(array.item()) if array.ndim == 0 else str(value)


def decision_boundary(arrays: dict, model: str = "") -> str:
    """The sources' black/white class regions, the training points on top (like the notebooks' heatmaps)."""
    plt = _plt()
    grid = np.asarray(arrays["decision_grid"], dtype=float)
    if grid.ndim != 2:
        raise ValueError(f"decision_grid must be 2-d, got shape {grid.shape}")
    extent = [float(v) for v in np.asarray(arrays.get("decision_extent", [0, 1, 0, 1])).ravel()[:4]]
    threshold = float(np.asarray(arrays.get("decision_threshold", 0.0)))
    figure, axis = plt.subplots(figsize=(3.6, 3.4))
    axis.imshow(grid > threshold, origin="lower", extent=extent, cmap="gray_r", vmin=0, vmax=2.2,
                aspect="auto", interpolation="nearest")
    if np.isfinite(grid).any() and np.nanmin(grid) < threshold < np.nanmax(grid):
        xs = np.linspace(extent[0], extent[1], grid.shape[1])
        ys = np.linspace(extent[2], extent[3], grid.shape[0])
        axis.contour(xs, ys, grid, levels=[threshold], colors="#ff7f0e", linewidths=1.2)
    if "points" in arrays:
        points = np.asarray(arrays["points"], dtype=float).reshape(-1, 2)
        labels = np.asarray(arrays.get("point_labels", np.zeros(len(points)))).ravel()
        for index, label in enumerate(np.unique(labels)):
            chosen = labels == label
            axis.scatter(points[chosen, 0], points[chosen, 1], s=9,
                         color=("#1f77b4", "#d62728", "#2ca02c", "#9467bd")[index % 4],
                         edgecolors="white", linewidths=0.3, label=f"label {label:g}")
        axis.legend(fontsize=7, loc="upper right", framealpha=0.8)
    axis.set_xlim(extent[0], extent[1])
    axis.set_ylim(extent[2], extent[3])
    axis.set_title(f"output > {threshold:g} (grey) vs below (white)", fontsize=8)
    axis.grid(False)
    return to_data_uri(figure)


def sweep_heatmap(arrays: dict, model: str = "") -> str:
    """A sweep's final values as an annotated heatmap, log colour scale when they span decades."""
    plt = _plt()
    from matplotlib.colors import LogNorm, Normalize

    values = np.asarray(arrays["sweep_values"], dtype=float)
    if values.ndim == 1:
        values = values[None, :]
    if values.ndim != 2:
        raise ValueError(f"sweep_values must be 2-d, got shape {values.shape}")
    rows = np.asarray(arrays.get("sweep_rows", np.arange(values.shape[0]))).ravel()
    cols = np.asarray(arrays.get("sweep_cols", np.arange(values.shape[1]))).ravel()
    finite = values[np.isfinite(values)]
    if finite.size and finite.min() > 0 and finite.max() / finite.min() > 100:
        norm = LogNorm(vmin=finite.min(), vmax=finite.max())
    else:
        norm = Normalize(vmin=finite.min() if finite.size else 0, vmax=finite.max() if finite.size else 1)
    figure, axis = plt.subplots(figsize=(1.4 + 0.85 * values.shape[1], 0.9 + 0.5 * values.shape[0]))
    cmap = plt.get_cmap("viridis_r").copy()
    cmap.set_bad("#d62728")  # non-finite (diverged) cells in red
    image = axis.imshow(np.ma.masked_invalid(values), cmap=cmap, norm=norm, aspect="auto")
    for (i, j), value in np.ndenumerate(values):
        shade = norm(value) if np.isfinite(value) else 1.0
        axis.text(j, i, f"{value:.3g}", ha="center", va="center", fontsize=7,
                  color="white" if np.isfinite(value) and shade > 0.6 else "black")
    axis.set_xticks(range(values.shape[1]), [_label(v) for v in cols])
    axis.set_yticks(range(values.shape[0]), [_label(v) for v in rows])
    axis.grid(False)
    axis.set_ylabel(_text(arrays.get("sweep_row_name"), "row"))
    axis.set_xlabel(_text(arrays.get("sweep_col_name"), "column"))
    figure.colorbar(image, ax=axis, label=_text(arrays.get("sweep_value_name"), "value"), fraction=0.08, pad=0.03)
    return to_data_uri(figure)


def _label(value) -> str:
    if isinstance(value, (float, np.floating)) and np.isfinite(value) and float(value).is_integer():
        return str(int(value))
    return str(value)


def regression_fits(arrays: dict, model: str = "") -> str:
    """The noisy sample, the true function and every model's prediction (004-a)."""
    plt = _plt()
    figure, axis = plt.subplots(figsize=(5.2, 3.2))
    if "data_x" in arrays and "data_y" in arrays:
        axis.scatter(np.ravel(arrays["data_x"]), np.ravel(arrays["data_y"]), s=4, color="#999", alpha=0.5,
                     label="noisy sample")
    x = np.ravel(arrays["curve_x"]).astype(float)
    order = np.argsort(x)
    if "curve_true" in arrays:
        axis.plot(x[order], np.ravel(arrays["curve_true"])[order], color="black", linewidth=2, label="true f(x)")
    for index, (key, values) in enumerate(sorted(arrays.items())):
        if key.startswith("curve_") and key not in ("curve_x", "curve_true"):
            axis.plot(x[order], np.ravel(values)[order], linewidth=1.6, label=key[len("curve_"):],
                      color=("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e")[index % 5])
    axis.set_xlabel("x")
    axis.set_ylabel("y")
    axis.legend(fontsize=7, framealpha=0.8, loc="upper right")
    return to_data_uri(figure)


def mosaic(tiles: np.ndarray, columns: int, pad: int = 2, fill: float = np.nan) -> np.ndarray:
    """(k, h, w) tiles -> one (rows*(h+pad)-pad, columns*(w+pad)-pad) image, padding filled with ``fill``."""
    count, height, width = tiles.shape
    rows = math.ceil(count / columns)
    image = np.full((rows * (height + pad) - pad, columns * (width + pad) - pad), fill, dtype=float)
    for index in range(count):
        row, column = divmod(index, columns)
        top, left = row * (height + pad), column * (width + pad)
        image[top:top + height, left:left + width] = tiles[index]
    return image


def _tiles(array, name: str) -> np.ndarray:
    tiles = np.asarray(array, dtype=float)
    if tiles.ndim == 2 and tiles.shape[-1] == 784:
        tiles = tiles.reshape(-1, 28, 28)
    if tiles.ndim != 3:
        raise ValueError(f"{name} must be (k, 28, 28), got shape {tiles.shape}")
    return tiles


def _label_tiles(axis, count: int, columns: int, size: tuple[int, int], pad: int, labels: list[str], colour: str):
    height, width = size
    for index in range(count):
        row, column = divmod(index, columns)
        axis.text(column * (width + pad) + width / 2, row * (height + pad) - 0.8, labels[index], ha="center",
                  va="bottom", fontsize=7, color=colour)


def weight_maps(arrays: dict, model: str = "") -> str:
    """The ten softmax-regression weight vectors as 28x28 maps, each on its own symmetric scale
    (red positive, blue negative), like the notebook's ``heatmap(W[i, :])``."""
    plt = _plt()
    maps = _tiles(arrays["weight_maps"], "weight_maps")
    limits = np.nanmax(np.abs(maps.reshape(len(maps), -1)), axis=1)
    scaled = maps / np.where(limits > 0, limits, 1.0)[:, None, None]
    columns, pad = min(len(maps), 5), 6
    image = mosaic(scaled, columns, pad=pad)
    rows = math.ceil(len(maps) / columns)
    figure, axis = plt.subplots(figsize=(1.25 * columns, 1.4 * rows))
    cmap = plt.get_cmap("RdBu_r").copy()
    cmap.set_bad("white")
    axis.imshow(image, cmap=cmap, vmin=-1, vmax=1, interpolation="nearest")
    _label_tiles(axis, len(maps), columns, maps.shape[1:], pad,
                 [f"W{i + 1} · digit {i}" for i in range(len(maps))], "#333")
    axis.set_ylim(image.shape[0] - 0.5, -pad)
    axis.axis("off")
    return to_data_uri(figure)


def misclassified(arrays: dict, model: str = "") -> str | None:
    """A grid of misclassified test digits, each titled true -> predicted."""
    plt = _plt()
    images = _tiles(arrays["misclassified_images"], "misclassified_images")
    true = np.ravel(arrays.get("misclassified_true", np.full(len(images), -1)))
    predicted = np.ravel(arrays.get("misclassified_pred", np.full(len(images), -1)))
    shown = min(len(images), MAX_DIGITS)
    if shown == 0:
        return None
    tiles = images[:shown]
    tiles = tiles / (tiles.max() or 1.0)
    columns, pad = min(shown, 8), 9
    image = mosaic(tiles, columns, pad=pad)
    rows = math.ceil(shown / columns)
    figure, axis = plt.subplots(figsize=(0.85 * columns, 0.95 * rows + 0.3))
    cmap = plt.get_cmap("gray_r").copy()
    cmap.set_bad("white")
    axis.imshow(image, cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
    _label_tiles(axis, shown, columns, tiles.shape[1:], pad,
                 [f"{_label(true[i])} → {_label(predicted[i])}" for i in range(shown)], "#c62828")
    axis.set_ylim(image.shape[0] - 0.5, -pad)
    axis.set_title(f"first {shown} of {len(images)} misclassified (true → predicted)", fontsize=8)
    axis.axis("off")
    return to_data_uri(figure)


def confusion_table(arrays: dict, model: str = "") -> dict:
    """The confusion matrix as an HTML table (rows = true, columns = predicted), cells shaded by count.

    A table and not a picture: a hundred numbers read better as text, stay sharp, weigh a
    few kilobytes and cost nothing to draw. Off-diagonal cells are shaded red by their
    share of the largest error count, the diagonal green.
    """
    matrix = np.asarray(arrays["confusion_matrix"], dtype=float)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"confusion_matrix must be square, got shape {matrix.shape}")
    if not np.isfinite(matrix).all():
        raise ValueError("confusion_matrix holds non-finite counts")
    errors = matrix.copy()
    np.fill_diagonal(errors, 0)
    worst = errors.max() or 1.0
    rows = []
    for i in range(matrix.shape[0]):
        cells = []
        for j in range(matrix.shape[1]):
            count = int(matrix[i, j])
            if i == j:
                style = "background:#e8f5e9;color:#1b5e20;font-weight:600"
            elif count:
                alpha = 0.12 + 0.78 * matrix[i, j] / worst
                style = f"background:rgba(198,40,40,{alpha:.2f});color:{'#fff' if alpha > 0.55 else '#222'}"
            else:
                style = "color:#bbb"
            cells.append((count, style))
        rows.append({"label": str(i), "cells": cells, "errors": int(errors[i].sum())})
    total, correct = matrix.sum(), np.trace(matrix)
    return {"columns": [str(j) for j in range(matrix.shape[1])], "rows": rows,
            "summary": f"{int(total - correct)} errors of {int(total)} (accuracy {correct / max(total, 1):.4f})"}


def robustness(arrays: dict, model: str = "") -> str | None:
    """Accuracy against shift (pixels) and rotation (degrees), one line per model (001-q)."""
    panels = []
    for axis_key, prefix, label in (("shift_pixels", "shift_accuracy", "shift (pixels)"),
                                    ("rotation_degrees", "rotation_accuracy", "rotation (degrees)")):
        lines = {key[len(prefix) + len(SEPARATOR):]: value for key, value in arrays.items()
                 if key.startswith(prefix + SEPARATOR)}
        if axis_key in arrays and lines:
            panels.append((np.ravel(arrays[axis_key]).astype(float), lines, label))
    if not panels:
        return None
    plt = _plt()
    figure, axes = plt.subplots(1, len(panels), figsize=(4.4 * len(panels), 3.0), squeeze=False, sharey=True)
    for axis, (x, lines, label) in zip(axes[0], panels):
        for name, values in sorted(lines.items()):
            axis.plot(x, np.ravel(values), "o-", markersize=3, linewidth=1.4, label=name)
        axis.set_xlabel(label)
        axis.set_ylabel("test accuracy")
        axis.set_ylim(0, 1.02)
        axis.legend(fontsize=7, loc="lower left")
    figure.subplots_adjust(wspace=0.15)
    return to_data_uri(figure, vector=True)


_DRAWERS = (
    ("Decision boundary and training points", ("decision_grid",), decision_boundary),
    ("Sweep", ("sweep_values",), sweep_heatmap),
    ("Regression fits", ("curve_x",), regression_fits),
    ("Weight maps W1..W10", ("weight_maps",), weight_maps),
    ("Misclassified test digits (true → predicted)", ("misclassified_images",), misclassified),
    ("Confusion matrix (rows: true digit, columns: predicted)", ("confusion_matrix",), confusion_table),
    ("Accuracy on shifted and rotated test digits", (), robustness),
)
