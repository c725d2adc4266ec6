"""A run driven through the session with a collecting reporter: its events in order, and not a line printed.

Real smoke-tier training of a toy (``l2c_linear_circles``) in a real worker process: the session
reports the plan, the estimate and each job as events; resuming after a record was damaged reports
the record set aside, keeps the good one and trains only the damaged job again.
"""

from __future__ import annotations

import pytest

from suite.records import layout, reading
from suite.run import events, session
from suite.run.request import RunRequest

BENCHMARK = "l2c_linear_circles"


def _story(reporter: events.Collecting) -> list[tuple]:
    """The events that tell the run's story (the worker's start and the epochs are drawing detail)."""
    shown = []
    for event in reporter.events:
        if isinstance(event, (events.JobProgress, events.WorkerReady)):
            continue
        seed = getattr(getattr(event, "job", None), "seed", None)
        shown.append((type(event).__name__, seed) if seed else (type(event).__name__,))
    return shown


@pytest.mark.slow
def test_a_run_reports_its_plan_its_estimate_and_each_job_in_order_and_prints_nothing(capsys):
    reporter = events.Collecting()
    outcome = session.start(RunRequest(names=(BENCHMARK,), tier="smoke", seeds=2), reporter)

    assert outcome.ended == session.FINISHED
    assert _story(reporter) == [("Planned",), ("Estimated",), ("JobStarted", 1), ("JobFinished", 1),
                                ("JobStarted", 2), ("JobFinished", 2)]
    plan, = reporter.of(events.Planned)
    assert (plan.run_name, plan.benchmarks, plan.seeds, plan.jobs, plan.recorded, plan.tier, plan.executor) == (
        outcome.path.name, 1, 2, 2, 0, "smoke", "local")
    estimate, = reporter.of(events.Estimated)
    assert estimate.wall_s > 0 and estimate.records == outcome.path
    finished = reporter.of(events.JobFinished)
    assert [(e.index, e.total, e.status) for e in finished] == [(1, 2, "ok"), (2, 2, "ok")]
    assert sorted(r["seed"] for r in reading.load_records(outcome.path)) == [1, 2]
    printed = capsys.readouterr()
    assert (printed.out, printed.err) == ("", ""), "the run layer printed"

    damaged = layout.record_path(outcome.path, BENCHMARK, "smoke", 2)
    damaged.write_text("{ not json")
    resumed = events.Collecting()
    again = session.start(RunRequest(resume=outcome.path.name), resumed)

    assert again.path == outcome.path and again.ended == session.FINISHED
    assert _story(resumed) == [("DamagedRecordSetAside",), ("Planned",), ("Estimated",), ("JobKept", 1),
                               ("JobStarted", 2), ("JobFinished", 2)]
    aside, = resumed.of(events.DamagedRecordSetAside)
    assert aside.record == damaged.name and aside.moved_to.startswith("damaged/")
    assert resumed.of(events.Planned)[0].recorded == 1
    assert reading.read_record(damaged)["status"] == "ok", "the damaged job was not trained again"
    printed = capsys.readouterr()
    assert (printed.out, printed.err) == ("", ""), "the run layer printed"
