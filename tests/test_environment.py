"""The environment fingerprint: what explains a difference between two machines, and the packages once per run."""

from __future__ import annotations

import json
import os
import socket
import stat

import pytest

from suite.records import layout, reading
from suite.run import environment


def test_cpu_flags_are_the_kernel_relevant_flags_of_proc_cpuinfo():
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            line = next(line for line in cpuinfo if line.startswith("flags"))
    except (OSError, StopIteration):
        pytest.skip("no /proc/cpuinfo flags on this system")
    present = set(line.split(":", 1)[1].split())
    flags = environment.cpu_flags()
    assert flags == sorted(flags) and set(flags) <= present
    for flag in present:
        if flag.startswith(("avx512", "amx")):
            assert flag in flags, flag
    assert not [flag for flag in flags if flag in ("sse2", "ht", "fpu")]


def test_cpu_identity_names_the_generation_of_the_first_cpu_in_proc_cpuinfo():
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            first_block = cpuinfo.read().split("\n\n")[0]
    except OSError:
        pytest.skip("no /proc/cpuinfo on this system")
    fields = {key.strip(): value.strip() for key, _, value in
              (line.partition(":") for line in first_block.splitlines())}
    if "vendor_id" not in fields:
        pytest.skip("/proc/cpuinfo names no vendor here")
    identity = environment.cpu_identity()
    assert identity.startswith(fields["vendor_id"] + " ")
    assert f"family {fields['cpu family']} model {fields['model']}" in identity, identity


def test_only_tf_xla_and_keras_variables_are_kept(monkeypatch):
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "0")
    monkeypatch.setenv("XLA_FLAGS", "--xla_cpu_enable_fast_math=false")
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    monkeypatch.setenv("NOT_TF_SETTING", "1")
    kept = environment.environment_variables()
    assert kept["TF_ENABLE_ONEDNN_OPTS"] == "0" and kept["XLA_FLAGS"] == "--xla_cpu_enable_fast_math=false"
    assert kept["KERAS_BACKEND"] == "tensorflow" and "NOT_TF_SETTING" not in kept


def test_gpu_driver_comes_from_nvidia_smi_when_there_is_one(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert environment.nvidia_driver() == ""
    tool = tmp_path / "nvidia-smi"
    tool.write_text("#!/bin/sh\nprintf '550.54.15\\n550.54.15\\n'\n")
    tool.chmod(tool.stat().st_mode | stat.S_IEXEC)
    assert environment.nvidia_driver() == "550.54.15"  # two GPUs, one driver


def test_installed_packages_list_every_distribution_with_its_version():
    import numpy

    packages = environment.installed_packages()
    assert packages["numpy"] == numpy.__version__
    assert "pandas" in packages and "jsonschema" in packages
    assert list(packages) == sorted(packages)


@pytest.mark.slow
def test_a_real_run_records_host_flags_build_threads_and_its_packages_once(real_runs):
    for run_path in (real_runs.full, real_runs.smoke):
        stored = json.loads((run_path / layout.PACKAGES_FILE).read_text())
        assert stored["packages"] == environment.installed_packages()
        for record in reading.load_records(run_path):
            fingerprint = record["environment"]
            assert fingerprint["hostname"] == socket.gethostname()
            assert fingerprint["backend"] == "tensorflow"
            assert fingerprint["cpu_flags"] == environment.cpu_flags()
            assert fingerprint["cpu_id"] == environment.cpu_identity()
            assert {"is_cuda_build", "cpu_compiler"} <= set(fingerprint["build_info"])
            assert fingerprint["threads"]["os_cpu_count"] == os.cpu_count()
            assert "TF_CPP_MIN_LOG_LEVEL" in fingerprint["environment_variables"]
            assert "packages" not in fingerprint  # once per run, not per record
