"""Which figures a benchmark's artefacts give: artefact names of ``suite.artefacts`` to the drawers that show them.

``artefact_figures`` is the one entry point; the drawers live by family (``toys``, ``digits``,
``robustness``; ``curves`` for what every benchmark gets) and ``drawing`` embeds them.
"""

from __future__ import annotations

from dataclasses import dataclass

from suite.artefacts import SEPARATOR
from suite.report.digits import confusion_table, misclassified, weight_maps
from suite.report.robustness import ROBUSTNESS_PREFIXES, robustness
from suite.report.toys import decision_boundary, regression_fits, sweep_heatmap


@dataclass
@dataclass
class Figure:
    caption: str
    uri: str | None = None
    error: str = ""
    table: dict | None = None  # a figure shown as an HTML table (confusion matrices)


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


_DRAWERS = (
    ("Decision boundary and training points", ("decision_grid",), decision_boundary),
    ("Sweep", ("sweep_values",), sweep_heatmap),
    ("Regression fits", ("curve_x",), regression_fits),
    ("Weight maps W1..W10", ("weight_maps",), weight_maps),
    ("Misclassified test digits (true → predicted)", ("misclassified_images",), misclassified),
    ("Confusion matrix (rows: true digit, columns: predicted)", ("confusion_matrix",), confusion_table),
    ("Accuracy on shifted and rotated test digits", (), robustness),
)
