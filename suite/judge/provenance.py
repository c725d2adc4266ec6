"""Where a calibration's numbers come from, in words: the seeds, the stack, the date and the run.

A note beside a bound or a claim quotes the port's numbers with the stack they were measured on, so a
reader can tell a number of another TensorFlow or another machine from one of today's. The stack is
read from the stored entry (``baselines/full.json``), never written into a benchmark by hand, so every
note says it the same way and none goes stale when a benchmark is calibrated again.
"""

from __future__ import annotations


def stack(entry: dict) -> str:
    """Versions, machine, date and run of an entry: 'TF 2.21.0, Keras 3.15.1, Python 3.11, CPU ..., date'."""
    environment = entry.get("environment") or {}
    parts = [f"TF {environment.get('tensorflow', '?')}", f"Keras {environment.get('keras', '?')}",
             f"Python {environment.get('python', '?')}"]
    cpu = environment.get("cpu") or "unknown CPU"
    if environment.get("cpu_count"):
        cpu += f", {environment['cpu_count']} cores"
    parts.append(f"CPU {cpu}")
    if environment.get("gpu"):
        parts.append(f"GPU {', '.join(environment['gpu']) if isinstance(environment['gpu'], list) else environment['gpu']}")
    if environment.get("deterministic"):
        parts.append("deterministic")
    parts.append(str(entry["date"]))
    if entry.get("run_id"):
        parts.append(f"run {entry['run_id']}")
    return ", ".join(parts)


def seed_list(seeds: list[int]) -> str:
    """'1-5' for a run of consecutive seeds, '1, 3' otherwise."""
    if len(seeds) > 2 and list(seeds) == list(range(seeds[0], seeds[0] + len(seeds))):
        return f"{seeds[0]}-{seeds[-1]}"
    return ", ".join(str(s) for s in seeds)
