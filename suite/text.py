"""Numbers and durations as the suite prints them, in one place so every command and page agrees.

Each format exists once. The durations differ on purpose, by what the reader does with them:
``clock`` is a running stopwatch (always minutes), ``short_duration`` a table cell, ``rough_duration``
an estimate ("12 min"), ``spelled_duration`` the report's prose ("3 min 05 s") and ``seconds`` a
column of measured seconds to compare ("27.7", "4200").
"""

from __future__ import annotations

import math


def number(value, signed: bool = False) -> str:
    """A metric for reading: 4 significant digits; "-" for none, "nan"/"inf" spelt out, text left as it is."""
    if value is None:
        return "-"
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    return f"{x:+.4g}" if signed else f"{x:.4g}"


def seconds(value: float) -> str:
    """Measured seconds for a table of numbers: 3 significant digits, whole seconds from 1000 on.

    Why not ``number``: a column of times runs from 0.2 s to an hour, and "4.2e+03" is not how a
    reader compares it with "27.7".
    """
    return f"{value:.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def short_duration(seconds: float) -> str:
    """Whole seconds for a table cell: "45s", "3m05s", "1h05m"."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    return clock(seconds)


def clock(seconds: float) -> str:
    """A stopwatch reading: "0m45s", "3m05s", "1h05m" (minutes always shown, so the width stays put)."""
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{seconds:02d}s"


def rough_duration(seconds: float) -> str:
    """An estimate a reader can use: "0.8 h", "12 min", "40 s" (not "0.0 h")."""
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"


def spelled_duration(seconds) -> str:
    """The report's durations: "12.3 s", "3 min 05 s", "1 h 05 min"; what is not a finite number reads 0."""
    seconds = finite_or_zero(seconds)
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min {int(seconds % 60):02d} s"
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d} min"


def finite_or_zero(value) -> float:
    """A recorded number as a float for sums and sorting: 0.0 for what is missing, not a number, or not finite."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return 0.0
    return x if math.isfinite(x) else 0.0
