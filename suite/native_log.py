"""Filter TensorFlow's native start-up chatter out of stderr.

TensorFlow's C++ runtime writes to file descriptor 2 before Python logging exists
("All log messages before absl::InitializeLog()...", CUDA probing on machines
without a GPU, CPU feature notices); ``TF_CPP_MIN_LOG_LEVEL`` does not silence all
of it, and it buries the run's progress lines. Only lines matching ``NOISE`` are
dropped; everything else, Python tracebacks included, passes through unchanged.
Set ``SUITE_NATIVE_LOG=1`` to see everything.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
import threading

NOISE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|[IWE]\d{4} [\d:.]+\s+\d+ (cudart_stub|cuda_platform|cuda_executor|cpu_feature_guard|node_def_util"
    r"|port|gpu_device|cuda_dnn|cuda_fft|cuda_blas|computation_placer)\.cc:\d+\]"
    r"|To enable the following instructions:.*rebuild TensorFlow"
    # Each full-batch loop compiles its own tf.function on purpose (one per model): not a problem to report.
    r"|WARNING:tensorflow:\d+ out of the last \d+ calls to .* triggered tf.function retracing)"
)


def _enabled() -> bool:
    return os.environ.get("SUITE_NATIVE_LOG", "") != "1"


@contextlib.contextmanager
def quiet_imports():
    """Capture fd 2 while TensorFlow is imported, then replay what is not noise."""
    if not _enabled():
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            for line in capture.read().decode(errors="replace").splitlines(keepends=True):
                if not NOISE.match(line):
                    sys.stderr.write(line)
            sys.stderr.flush()


def filter_for_life() -> None:
    """Route this process's fd 2 through a filtering thread (worker processes: no interactive output there)."""
    if not _enabled():
        return
    original = os.dup(2)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)

    def pump():
        with os.fdopen(read_end, "rb") as source, os.fdopen(original, "wb", buffering=0) as sink:
            for line in source:
                if not NOISE.match(line.decode(errors="replace")):
                    sink.write(line)

    threading.Thread(target=pump, name="native-log-filter", daemon=True).start()


def exit_now(code: int = 0) -> None:
    """End this process at once, its Python streams flushed first: ``os._exit`` skips the framework's teardown
    (seconds for TensorFlow) and would otherwise drop whatever the process still had buffered."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
