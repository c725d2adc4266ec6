"""The robustness figure: test accuracy against the shift and the rotation of the digits, a line per model."""

from __future__ import annotations

import numpy as np

from suite.artefacts import SEPARATOR
from suite.report.drawing import pyplot, to_data_uri

ROBUSTNESS_PREFIXES = ("shift_accuracy", "rotation_accuracy")


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
    plt = pyplot()
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
