"""Every executor gives the same records: sequential, ``--workers 2``, ``--shard`` + ``merge``, SLURM.

One smoke-tier selection (two toys, 002-a ``dlwp_dense512`` and a benchmark that kills its own
worker), two seeds, is run once per executor through the real command line (module-scoped
fixtures: each run pays TensorFlow's import). The records must have the same names and the same
metrics, and the same ``weights_sha256`` wherever the jobs ran with the same intra-op thread count.
The SLURM runs use a real single-node cluster on loopback (``tests/slurm_cluster.py``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from suite.records import layout, reading, run_files
from tests.conftest import CRASHING_BENCHMARKS, only_run, run_suite

SELECTION = ["l2c_linear_circles", "l2c_relu_unit_circles", "dlwp_dense512", "test_kills_itself"]
SEEDS = "2"
WITH_TEST_BENCHMARKS = {"SUITE_BENCHMARK_PATH": str(CRASHING_BENCHMARKS)}
WITHOUT_SUBMITIT = Path(__file__).parent / "fixtures" / "without_submitit"
EXPECTED_NAMES = sorted(f"{name}__smoke__s{seed}.json" for name in SELECTION for seed in (1, 2))


def _run(reports: Path, *extra: str, env: dict | None = None) -> Path:
    completed = run_suite("run", *SELECTION, "--tier", "smoke", "--seeds", SEEDS, "--no-report", *extra,
                          env={**WITH_TEST_BENCHMARKS, "SUITE_REPORTS_DIR": str(reports), **(env or {})})
    # 1: the killed job is an ERROR; the run still ends normally, with every other record.
    assert completed.returncode == 1, completed.stderr
    assert "Traceback" not in completed.stderr, completed.stderr
    return only_run(reports)


def _records(run_path: Path) -> dict[str, dict]:
    return {Path(r["record_path"]).name: r for r in reading.load_records(run_path)}


def _one_line_error(completed: subprocess.CompletedProcess) -> str:
    assert completed.returncode == 2, completed.stdout + completed.stderr
    assert "Traceback" not in completed.stderr, completed.stderr
    errors = [line for line in completed.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, completed.stderr
    return errors[0]


@pytest.fixture(scope="module")
def sequential(tmp_path_factory) -> Path:
    return _run(tmp_path_factory.mktemp("sequential"))


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory) -> Path:
    return _run(tmp_path_factory.mktemp("workers"), "--workers", "2")


@pytest.fixture(scope="module")
def shards(tmp_path_factory) -> tuple[Path, Path]:
    """Shard 1/2 and 2/2 in two reports folders, as two machines would make them."""
    return (_run(tmp_path_factory.mktemp("shard1"), "--shard", "1/2"),
            _run(tmp_path_factory.mktemp("shard2"), "--shard", "2/2"))


@pytest.fixture(scope="module")
def merged(shards, tmp_path_factory) -> Path:
    into = tmp_path_factory.mktemp("merged") / "all-shards"
    completed = run_suite("merge", str(shards[0]), str(shards[1]), "--into", str(into), "--no-report")
    assert completed.returncode == 0, completed.stderr
    return into


@pytest.fixture(scope="module")
def on_slurm(slurm_cluster, tmp_path_factory) -> Path:
    return _run(tmp_path_factory.mktemp("slurm"), "--executor", "slurm", "--slurm-array-parallelism", "2",
                env=slurm_cluster)


def _assert_same_results(expected: dict[str, dict], actual: dict[str, dict], what: str) -> None:
    assert sorted(expected) == EXPECTED_NAMES
    assert sorted(actual) == EXPECTED_NAMES, what
    for name, record in expected.items():
        other = actual[name]
        assert other["status"] == record["status"], (what, name, other.get("error"))
        if record["status"] != "ok":
            continue
        if other["intra_op_threads"] == record["intra_op_threads"]:
            assert other["metrics"] == record["metrics"], (what, name)
            assert other["weights_sha256"] == record["weights_sha256"], (what, name)
        else:  # another thread count may change the last bits of a reduction, not the result
            assert other["metrics"].keys() == record["metrics"].keys(), (what, name)
            for metric, value in record["metrics"].items():
                assert other["metrics"][metric] == pytest.approx(value, rel=0.05, abs=0.02), (what, name, metric)


def _assert_killed_job_is_an_error(records: dict[str, dict]) -> None:
    for seed in (1, 2):
        killed = records[f"test_kills_itself__smoke__s{seed}.json"]
        assert killed["status"] == "error" and "SIGKILL" in killed["error"], killed.get("error")
    assert [r for n, r in records.items() if not n.startswith("test_kills") and r["status"] != "ok"] == []


# -- sequential: the default executor, as it always was ------------------------------------------
@pytest.mark.slow
def test_a_sequential_run_stamps_where_each_job_ran(sequential):
    records = _records(sequential)
    _assert_killed_job_is_an_error(records)
    for record in records.values():
        assert record["executor"] == "local" and record["worker_id"] == "cpu0"
        assert record["hostname"] and record["intra_op_threads"] >= 1
        assert record["devices_seen"]["tensorflow_gpus"] == []


# -- --workers 2 ------------------------------------------------------------------------------
@pytest.mark.slow
def test_two_workers_share_the_jobs_and_the_cores_and_match_the_sequential_run(sequential, two_workers):
    records = _records(two_workers)
    _assert_killed_job_is_an_error(records)
    _assert_same_results(_records(sequential), records, "--workers 2")
    assert {r["worker_id"] for r in records.values()} == {"cpu0", "cpu1"}
    cores = os.cpu_count()
    assert {r["intra_op_threads"] for r in records.values() if r["status"] == "ok"} == {max(1, cores // 2)}
    workers = run_files.read_run_manifest(two_workers)["workers"]
    assert [w["intra_op_threads"] for w in workers] == [max(1, cores // 2)] * 2


# -- --shard + merge ----------------------------------------------------------------------------
@pytest.mark.slow
def test_shards_split_the_jobs_without_overlap_and_merge_into_the_sequential_run(sequential, shards, merged):
    first, second = (set(_records(shard)) for shard in shards)
    assert first and second and not first & second
    assert sorted(first | second) == EXPECTED_NAMES
    assert run_files.read_run_manifest(shards[0])["shard"] == "1/2"
    merged_records = _records(merged)
    _assert_killed_job_is_an_error(merged_records)
    _assert_same_results(_records(sequential), merged_records, "shards merged")
    manifest = run_files.read_run_manifest(merged)
    assert manifest["tier"] == "smoke" and sorted(manifest["benchmarks"]) == sorted(SELECTION)
    assert [entry["shard"] for entry in manifest["merged_from"]] == ["1/2", "2/2"]
    report = run_suite("report", str(merged))
    assert report.returncode == 0, report.stderr


@pytest.mark.slow
def test_merge_again_is_idempotent_and_flags_jobs_recorded_twice_with_other_weights(sequential, shards, merged,
                                                                                     two_workers, tmp_path):
    again = run_suite("merge", str(shards[0]), "--into", str(merged), "--no-report")
    assert again.returncode == 0, again.stderr
    assert "0 record(s)" in again.stderr and "warning" not in again.stderr

    # The same jobs recorded with other weights: the 2-worker run's jobs ran with another thread count, which
    # changes the last bits on some CPUs and not on others, so one of its records is given the weights hash a
    # differing machine would have written (its file rewritten, as a run on that machine would have left it).
    other = tmp_path / "other-weights"
    shutil.copytree(two_workers, other)
    rewritten = next(r for r in _records(other).values() if r["benchmark"] == "dlwp_dense512" and r["seed"] == 1)
    on_file = json.loads(Path(rewritten["record_path"]).read_text())
    on_file["weights_sha256"] = hashlib.sha256(b"weights of another machine").hexdigest()
    Path(rewritten["record_path"]).write_text(json.dumps(on_file, indent=1))
    target = tmp_path / "mixed"
    shutil.copytree(sequential, target)
    mixed = run_suite("merge", str(other), "--into", str(target), "--no-report")
    different = {name for name, r in _records(other).items()
                 if r["status"] == "ok" and r["weights_sha256"] != _records(sequential)[name]["weights_sha256"]}
    assert "dlwp_dense512__smoke__s1.json" in different
    assert mixed.returncode == 1, mixed.stderr
    flagged = [line for line in mixed.stderr.splitlines() if "recorded twice with different weights" in line]
    assert len(flagged) == len(different)
    for name in different:  # the first record is kept
        assert _records(target)[name]["weights_sha256"] == _records(sequential)[name]["weights_sha256"]
    assert len(run_files.read_run_manifest(target)["merge_conflicts"]) == len(different)


@pytest.mark.slow
@pytest.mark.parametrize("change", ["tier", "deterministic", "code_version"])
def test_merge_refuses_runs_that_do_not_describe_one_experiment(sequential, tmp_path, change):
    other = tmp_path / "other"
    shutil.copytree(sequential, other)
    if change == "code_version":
        path = layout.record_path(other, "dlwp_dense512", "smoke", 1)
        path.write_text(json.dumps({**json.loads(path.read_text()), "code_version": "0123456789ab"}))
    else:
        manifest = json.loads((other / "run.json").read_text())
        manifest[change] = "quick" if change == "tier" else False
        (other / "run.json").write_text(json.dumps(manifest))
    into = tmp_path / "into"
    line = _one_line_error(run_suite("merge", str(sequential), str(other), "--into", str(into), "--no-report"))
    assert {"tier": "tiers", "deterministic": "determinism", "code_version": "benchmark code"}[change] in line
    assert not into.exists(), "a refused merge must not create its target"


# -- --gpus ---------------------------------------------------------------------------------------
def test_gpu_workers_see_one_gpu_each_and_take_the_gpu_jobs():
    from suite.run.executors import local
    from suite.run.planning import Job, RunOptions

    specs = local.worker_specs(1, cores=8, gpu_ids=["0", "3"])
    assert [(s.worker_id, s.env, s.takes) for s in specs] == [
        ("gpu0", {"CUDA_VISIBLE_DEVICES": "0"}, ("gpu",)),
        ("gpu3", {"CUDA_VISIBLE_DEVICES": "3"}, ("gpu",)),
        ("cpu0", {"CUDA_VISIBLE_DEVICES": ""}, ("cpu",)),
    ]
    assert local.job_kind("gpu", "auto", specs) == "gpu"
    assert local.job_kind("gpu-required", "auto", specs) == "gpu"
    assert local.job_kind("cpu", "auto", specs) == "cpu"
    assert local.job_kind("gpu", "cpu", specs) == "cpu", "--device cpu keeps every job on the CPU workers"
    # Without GPU workers every job is a CPU job, and one worker is the sequential run, untouched.
    plain = local.worker_specs(1, cores=8)
    assert [(s.env, s.intra_op_threads) for s in plain] == [({}, None)]
    assert local.job_kind("gpu", "auto", plain) == "cpu"
    assert [s.intra_op_threads for s in local.worker_specs(3, cores=8)] == [2, 2, 2]
    # Each CPU worker gets its own cores (what bounds XLA's threads on JAX); more workers than cores wrap.
    assert [s.cpu_cores for s in local.worker_specs(3, cores=8, core_ids=list(range(8)))] == [(0, 1), (2, 3), (4, 5)]
    assert [s.cpu_cores for s in local.worker_specs(3, cores=2, core_ids=[4, 7])] == [(4,), (7,), (4,)]
    assert plain[0].cpu_cores is None

    class _Placed:
        def __init__(self, placement):
            self.placement = placement

    benchmarks = {"toy": _Placed("cpu"), "mlp": _Placed("gpu"), "deep": _Placed("gpu-required")}
    jobs = [Job(name, "smoke", 1) for name in benchmarks]
    assigned = local.assign_order(jobs, benchmarks, RunOptions(), specs)
    assert assigned == {"gpu0": jobs[1:], "gpu3": jobs[1:], "cpu0": jobs[:1]}


# -- bad input -------------------------------------------------------------------------------------
@pytest.mark.parametrize("arguments, words", [
    (["--workers", "0"], "--workers must be between 1"),
    (["--shard", "3/2"], "--shard 3/2"),
    (["--shard", "two"], "--shard takes i/n"),
    (["--gpus", "7"], "GPU 7 does not exist"),
    (["--gpus", "0,0"], "names a GPU twice"),
])
def test_bad_executor_options_are_one_line_and_exit_2(tmp_path, arguments, words):
    line = _one_line_error(run_suite("run", "l2c_linear_circles", "--tier", "smoke", *arguments))
    assert words in line
    assert not (tmp_path / "reports" / "runs").exists() or not any((tmp_path / "reports" / "runs").iterdir())


def test_slurm_without_sbatch_on_path_is_one_line(tmp_path):
    line = _one_line_error(run_suite("run", "l2c_linear_circles", "--tier", "smoke", "--executor", "slurm",
                                     env={"PATH": str(tmp_path)}))
    assert "sbatch" in line


def test_slurm_without_submitit_is_one_line():
    line = _one_line_error(run_suite("run", "l2c_linear_circles", "--tier", "smoke", "--executor", "slurm",
                                     env={"PYTHONPATH": str(WITHOUT_SUBMITIT)}))
    assert "pip install -e '.[slurm]'" in line


# -- SLURM ------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_slurm_tasks_write_the_same_records_and_get_the_devices_slurm_gives_them(sequential, two_workers, on_slurm):
    records = _records(on_slurm)
    _assert_killed_job_is_an_error(records)
    _assert_same_results(_records(sequential), records, "slurm")
    _assert_same_results(_records(two_workers), records, "slurm against --workers 2 (one thread each)")
    assert {r["executor"] for r in records.values()} == {"slurm"}
    assert all(r["worker_id"].startswith("slurm-") for r in records.values())
    assert {r["intra_op_threads"] for r in records.values()} == {1}, "SLURM_CPUS_PER_TASK=1 sets one thread"
    # dlwp_dense512 is a gpu job: SLURM gave it one of the node's two fake GPUs; the toys got none.
    for name, record in records.items():
        seen = record["devices_seen"]["cuda_visible_devices"]
        assert seen in ({"0", "1"} if name.startswith("dlwp") else {None}), (name, seen)


@pytest.mark.slow
def test_slurm_detach_then_resume_collects_and_records_a_task_that_died(slurm_cluster, tmp_path):
    env = {**WITH_TEST_BENCHMARKS, **slurm_cluster}
    detached = run_suite("run", "test_well_behaved", "test_hangs", "--tier", "smoke", "--executor", "slurm",
                         "--detach", "--no-report", env=env)
    assert detached.returncode == 0, detached.stderr
    assert "--resume" in detached.stderr
    run_path = only_run(tmp_path / "reports")
    submitted = json.loads((run_path / "slurm" / "submitted.json").read_text())
    assert sorted(submitted) == ["test_hangs__smoke__s1", "test_well_behaved__smoke__s1"]
    finished = layout.record_path(run_path, "test_well_behaved", "smoke", 1)
    deadline = time.monotonic() + 300
    while not finished.exists() and time.monotonic() < deadline:
        time.sleep(1)
    assert finished.exists(), "the well-behaved task never wrote its record"
    # The hanging task dies with its SLURM job (as under preemption or a node failure): no record of its own.
    hung = submitted["test_hangs__smoke__s1"]["task"]
    subprocess.run(["scancel", hung], env={**os.environ, **slurm_cluster}, check=True)

    collected = run_suite("run", "--resume", run_path.name, "--no-report", env=env)
    assert collected.returncode == 1, collected.stderr
    assert "Submitted" not in collected.stderr, "a resume must not resubmit what was submitted"
    records = _records(run_path)
    assert records["test_well_behaved__smoke__s1.json"]["status"] == "ok"
    dead = records["test_hangs__smoke__s1.json"]
    assert dead["status"] == "error" and dead.get("slurm_state", "").startswith("CANCELLED"), dead.get("error")
    assert f"SLURM task {hung} ended CANCELLED" in dead["error"]


def test_the_loopback_cluster_listens_on_127_0_0_1_only(slurm_cluster):
    if shutil.which("ss") is None:
        pytest.skip("ss (iproute2) is not installed")
    listening = subprocess.run(["ss", "-ltnp"], capture_output=True, text=True).stdout
    conf = Path(slurm_cluster["SLURM_CONF"]).read_text()
    ports = [line.split("=")[1] for line in conf.splitlines() if line.startswith(("SlurmctldPort", "SlurmdPort"))]
    for port in ports:
        sockets = [line.split()[3] for line in listening.splitlines() if line.split()[3:4]
                   and line.split()[3].rsplit(":", 1)[-1] == port]
        assert sockets, f"nothing listens on port {port}"
        assert all(address.startswith(("127.0.0.1", "[::1]", "localhost")) for address in sockets), sockets



@pytest.mark.slow
def test_an_array_sbatch_refuses_is_one_line_naming_the_resume(slurm_cluster, tmp_path):
    completed = run_suite("run", "l2c_linear_circles", "--tier", "smoke", "--executor", "slurm",
                          "--slurm-partition", "no_such_partition", "--no-report", env=slurm_cluster)
    line = _one_line_error(completed)
    assert "sbatch refused the array" in line and "--resume" in line
    assert "no_such_partition" in line or "partition" in line.lower()
