"""The worker process: imports Keras and its backend once, then runs jobs sent by the runner.

Why a long-lived child and not one process per job: importing TensorFlow costs
about 6 s here and loading MNIST another fraction of a second; paid once per run
instead of once per job. Why a child at all: a job that segfaults, is killed, or
hangs must not take the run down. The runner (``suite.run.workers``) watches the
worker, records ERROR or TIMEOUT for the job it was running when it died, and
starts a fresh worker for the next job.

Protocol over a ``multiprocessing`` pipe (pickled dicts):
  worker -> runner  {"type": "ready", "environment": {...}, "seen": {...}}   (devices, threads)
  runner -> worker  {"type": "job", "benchmark", "tier", "seed", "device"}
  worker -> runner  {"type": "progress", "done", "total", "unit"}   (any number)
  worker -> runner  {"type": "result", "record": {...}, "artefacts": {...}}
  runner -> worker  {"type": "stop"}
"""

from __future__ import annotations

import hashlib
import os
import signal
import time
import traceback


def weights_fingerprint(weights) -> str:
    """sha256 over the trained weight arrays (dtype, shape and bytes): equal iff bit-identical."""
    import numpy as np

    digest = hashlib.sha256()
    for array in weights:
        array = np.ascontiguousarray(array)
        digest.update(str(array.dtype).encode() + str(array.shape).encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


class _ProgressCallback:
    """A Keras callback forwarding epoch ends to the runner (built lazily: keras is imported in the worker)."""

    @staticmethod
    def make(send, epochs_hint):
        import keras

        class ProgressCallback(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                total = self.params.get("epochs", epochs_hint) if self.params else epochs_hint
                send({"type": "progress", "done": epoch + 1, "total": total, "unit": "epoch"})

        return ProgressCallback()


def die_with_parent(parent_pid: int) -> None:
    """Make sure this worker never outlives the runner, even when the runner is killed with SIGKILL.

    On Linux the kernel delivers SIGKILL to us when our parent dies (``PR_SET_PDEATHSIG``); a thread
    watching the parent's pid covers other systems and the race where the parent died before the
    call. Without this, an orphaned worker adopted by PID 1 would burn the CPU until its job ended.
    """
    import ctypes
    import threading

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent_pid:
        os._exit(EXIT_ORPHANED)

    def watch_parent():
        while True:
            time.sleep(PARENT_WATCH_INTERVAL_S)
            if os.getppid() != parent_pid:
                os._exit(EXIT_ORPHANED)

    threading.Thread(target=watch_parent, name="watch-parent", daemon=True).start()


#: ``prctl`` option number (linux/prctl.h): the signal sent to us when our parent dies.
PR_SET_PDEATHSIG = 1
PARENT_WATCH_INTERVAL_S = 1.0
EXIT_ORPHANED = 3


def main(connection, deterministic: bool, parent_pid: int, setup: dict | None = None) -> None:
    """Entry point of the child process.

    ``setup`` comes from the executor and the runner: ``env`` (e.g. ``CUDA_VISIBLE_DEVICES``),
    ``intra_op_threads``, ``cpu_cores`` and ``backend``. They must take effect before Keras and its backend initialise,
    which is why they are applied here, first, and not by the parent (threads of the parent would
    race on its own ``os.environ``). Keras reads ``KERAS_BACKEND`` once, when it is first imported.
    """
    die_with_parent(parent_pid)
    setup = setup or {}
    os.environ.update(setup.get("env") or {})
    from suite import backends

    backend = backends.get(setup.get("backend") or backends.default().name)
    os.environ["KERAS_BACKEND"] = backend.name
    # The runner owns Ctrl-C: it stops the worker itself and keeps finished records.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if setup.get("ignore_sigterm"):  # a SLURM task stops its worker itself (suite.run.executors.slurm_task)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    from suite import native_log

    native_log.filter_for_life()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    from suite.run import placement

    backend.configure_worker(deterministic=deterministic, intra_op_threads=setup.get("intra_op_threads"),
                             cpu_cores=setup.get("cpu_cores"), logical_cpus=placement.logical_cpus())
    import keras  # noqa: F401  (after configure_worker: Keras initialises its backend when imported)

    from suite.run import environment

    fingerprint = environment.fingerprint(deterministic=deterministic)
    connection.send({"type": "ready", "environment": fingerprint, "seen": seen_by_this_worker()})

    while True:
        message = connection.recv()
        if message.get("type") == "stop":
            # Every result has been sent and nothing is left to save: exit now rather than wait seconds for
            # the framework's teardown at interpreter exit, which the run would otherwise wait for.
            native_log.exit_now()
        try:
            record, artefacts = _run_job(message, connection.send, backend)
        except Exception as error:  # a fault in the suite's own job handling is still this job's result
            record = {"status": "error", "error": _describe(error), "metrics": {}, "history": {}, "notes": []}
            artefacts = {}
        _send_result(connection, record, artefacts)


def seen_by_this_worker() -> dict:
    """What this worker was given: the devices it sees and its intra-op thread count (stamped on records).

    Why in every record: two runs can only be expected to match bit for bit when their jobs saw the
    same device and the same number of threads; a record that says so makes a mismatch explainable.
    The backend says which devices and threads (``Backend.devices_seen``).
    """
    import socket

    from suite import backends

    seen = {"hostname": socket.gethostname(), "cuda_visible_devices": os.environ.get("CUDA_VISIBLE_DEVICES")}
    return {**seen, **backends.current().devices_seen()}


def _send_result(connection, record: dict, artefacts: dict) -> None:
    """Send the result; artefacts that cannot be pickled are dropped with a note, never the metrics."""
    import pickle

    kept = {}
    for key, value in artefacts.items():
        try:
            pickle.dumps(value)
        except Exception as error:
            record.setdefault("notes", []).append(
                f"artefact {key!r} not saved: {type(value).__name__} cannot be sent to the runner ({error})")
            continue
        kept[key] = value
    try:
        connection.send({"type": "result", "record": record, "artefacts": kept})
    except Exception as error:  # the record itself would not pickle: send what surely does
        connection.send({"type": "result", "artefacts": {}, "record": {
            "status": "error", "metrics": {}, "history": {}, "notes": [],
            "error": f"the job's result could not be sent to the runner: {type(error).__name__}: {error}"}})


def _run_job(job: dict, send, backend):
    from suite import catalogue
    from suite.run import placement

    benchmark = catalogue.load(job["benchmark"])  # imports only the module that defines it
    settings = benchmark.settings_for(job["tier"])
    seed = int(job["seed"])
    record = {
        "status": "ok",
        "metrics": {},
        "history": {},
        "device": "",
        "placement": benchmark.placement,
        "placement_notes": [],
        "error": "",
        "notes": [],
    }
    artefacts = {}
    decision = placement.resolve(
        benchmark.placement,
        job["device"],
        estimate_cpu_s=benchmark.estimated_seconds.get(job["tier"]),
        gpus=placement.replica_devices(),
    )
    record["placement_notes"] = decision.notes
    if decision.skipped:
        record.update(status="skipped", error=decision.skip_reason)
        return record, artefacts
    record["device"] = decision.device

    def progress(done, total, unit="step"):
        send({"type": "progress", "done": int(done), "total": int(total), "unit": unit})

    benchmark.report_progress = progress
    benchmark.callbacks = (_ProgressCallback.make(send, settings.get("epochs", 0)),)
    backend.seed_job(seed)
    started = time.perf_counter()
    try:
        with decision.scope():
            outcome = benchmark.run(settings, seed)
        record["metrics"] = numeric_metrics(outcome.metrics, benchmark)
        record["history"] = outcome.history
        record["notes"] = list(outcome.notes)
        record["weights_sha256"] = weights_fingerprint(outcome.weights) if outcome.weights else ""
        artefacts = dict(outcome.artefacts or {})
    except Exception as error:  # a failing job is a result to record, not a reason to stop the run
        record.update(status="error", error=_describe(error))
        record["duration_s"] = time.perf_counter() - started
        return record, {}
    record["duration_s"] = time.perf_counter() - started
    return record, artefacts


class MetricNotNumeric(TypeError):
    """A benchmark returned a metric that is not a number: named with its value and where it came from."""


def numeric_metrics(metrics: dict, benchmark) -> dict[str, float]:
    """``{name: float}``, or ``MetricNotNumeric`` naming the metric, its value and the benchmark's file."""
    import inspect

    converted = {}
    for key, value in metrics.items():
        try:
            if isinstance(value, (str, bytes)):
                raise TypeError(type(value).__name__)
            converted[key] = float(value)
        except (TypeError, ValueError):
            try:
                where = f"{inspect.getsourcefile(type(benchmark))}, {type(benchmark).__name__}.run"
            except TypeError:
                where = f"{type(benchmark).__name__}.run"
            raise MetricNotNumeric(
                f"metric {key!r} of {benchmark.name} is {value!r} ({type(value).__name__}), not a number; "
                f"it comes from the Outcome returned by {where}") from None
    return converted


def _describe(error: BaseException) -> str:
    lines = traceback.format_exception(type(error), error, error.__traceback__)
    tail = "".join(lines[-12:])
    return f"{type(error).__name__}: {error}\n\n{tail}"
