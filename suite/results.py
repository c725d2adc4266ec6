"""Runs as pandas tables for analysis: ``suite.results.load(*runs, long=False)``, the documented entry point.

Why at the top of the package: it joins the run folders (``suite.records``) to the report layer
(the table ``python -m suite export`` writes), and a user's notebook should not need to know either.
"""

from __future__ import annotations

import os

from suite.records import layout, reading
from suite.report import export


def load(*runs: str | os.PathLike, long: bool = False):
    """Runs as a pandas DataFrame, the table ``python -m suite export`` writes (default: the latest run).

    One row per job (run, benchmark, experiment, seed, tier, backend, status, ``metric.<name>``
    columns, verdicts, duration, device, host, versions); with ``long=True`` one row per point of
    every history series (run, benchmark, seed, series, axis, step, value).
    """
    paths = (layout.find_run(run) for run in (runs or ("latest",)))
    loaded = [(path.name, reading.load_records(path)) for path in paths]
    return export.history_table(loaded) if long else export.job_table(loaded)
