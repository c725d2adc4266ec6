"""Figures of the toy benchmarks' artefacts: decision boundaries, sweeps as heatmaps, regression fits."""

from __future__ import annotations

import numpy as np

from suite.report.drawing import pyplot, text_of, tick_label, to_data_uri


def decision_boundary(arrays: dict, model: str = "") -> str:
    """The sources' black/white class regions, the training points on top (like the notebooks' heatmaps)."""
    plt = pyplot()
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
    plt = pyplot()
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
    axis.set_xticks(range(values.shape[1]), [tick_label(v) for v in cols])
    axis.set_yticks(range(values.shape[0]), [tick_label(v) for v in rows])
    axis.grid(False)
    axis.set_ylabel(text_of(arrays.get("sweep_row_name"), "row"))
    axis.set_xlabel(text_of(arrays.get("sweep_col_name"), "column"))
    figure.colorbar(image, ax=axis, label=text_of(arrays.get("sweep_value_name"), "value"), fraction=0.08, pad=0.03)
    return to_data_uri(figure)


def regression_fits(arrays: dict, model: str = "") -> str:
    """The noisy sample, the true function and every model's prediction (004-a)."""
    plt = pyplot()
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
