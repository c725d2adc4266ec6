"""Names of the arrays a benchmark returns in ``Outcome.artefacts`` for the report to draw.

The report recognises these keys (all optional). Arrays are stored in the job's
``.npz`` beside its record, so keys must be plain identifiers (no ``/``). When one
job trains several models, prefix the keys with the model's name and a double
underscore, e.g. ``mse__confusion_matrix`` and ``crossentropy__confusion_matrix``.

Decision boundary (toy two-class problems, drawn like the sources' black/white heatmaps):
  ``decision_grid``      (H, W) model output on a regular grid
  ``decision_extent``    [x_min, x_max, y_min, y_max] of that grid
  ``decision_threshold`` scalar; the class boundary (0 for ±1 labels, 0.5 for 0/1)
  ``points``             (N, 2) training inputs;  ``point_labels`` (N,) their labels

Sweeps (a family of trainings in one job):
  ``sweep_values`` (R, C) e.g. final loss;  ``sweep_rows`` (R,), ``sweep_cols`` (C,)
  ``sweep_row_name``, ``sweep_col_name``, ``sweep_value_name``: 0-d string arrays

Regression fits (004-a):
  ``data_x``, ``data_y`` the noisy sample; ``curve_x`` grid; ``curve_true`` the true function;
  ``curve_<model>`` each model's prediction on ``curve_x``

MNIST pictures:
  ``weight_maps``            (10, 28, 28) softmax-regression weights W_1..W_10
  ``misclassified_images``   (k, 28, 28) uint8 or float; ``misclassified_true`` (k,), ``misclassified_pred`` (k,)
  ``confusion_matrix``       (10, 10) counts, rows = true label, columns = predicted

Robustness curves (001-q):
  ``shift_pixels`` (S,), ``shift_accuracy__<model>`` (S,)
  ``rotation_degrees`` (R,), ``rotation_accuracy__<model>`` (R,)

Learning curves are not artefacts: they go in ``Outcome.history`` as equal-length
lists: ``step`` or ``epoch`` plus series such as ``loss``, ``accuracy``,
``test_accuracy``; a series evaluated on its own schedule carries its own axis,
``heldout_loss`` with ``heldout_step``.
"""

SEPARATOR = "__"


def prefixed(model: str, artefacts: dict) -> dict:
    """``{"confusion_matrix": m}`` -> ``{"<model>__confusion_matrix": m}``."""
    return {f"{model}{SEPARATOR}{key}": value for key, value in artefacts.items()}
