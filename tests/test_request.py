"""A run request is checked once, when it is made: a bad value is one line naming the fix, before any run folder.

The command line makes the request from its flags (``suite.cli.run.request_from``); the SLURM
settings come from the flags, a config file and the resumed run's manifest, in that order of weight.
"""

from __future__ import annotations

import json

import pytest

from suite.cli.main import main
from suite.constants import DEFAULT_SEEDS, DEFAULT_TIER
from suite.errors import UsageError
from suite.run.executors.slurm_settings import DEFAULT_CPUS_PER_TASK, SlurmSettings, sbatch_option
from suite.run.request import RunRequest


@pytest.mark.parametrize("flags, words", [
    (["--tier", "medium"], "unknown tier 'medium'; choose one of"),
    (["--device", "tpu"], "unknown device 'tpu'"),
    (["--backend", "no_such_backend"], "unknown backend 'no_such_backend'"),
    (["--seeds", "0"], "--seeds must be at least 1, got 0"),
    (["--seeds", "1000000"], "more than the suite allows"),
    (["--timeout", "-5"], "--timeout must be a positive, finite number of seconds"),
    (["--timeout", "inf"], "--timeout must be a positive, finite number of seconds"),
    (["--gpus", "0", "--data-parallel"], "--data-parallel runs one worker over all GPUs; choose one"),
    (["--gpus", "zero"], "--gpus takes GPU numbers separated by commas"),
    (["--detach"], "--detach is for --executor slurm"),
    (["--executor", "slurm", "--slurm-cpus-per-task", "0"], "--slurm-cpus-per-task must be a positive whole number"),
    (["--executor", "slurm", "--slurm-option", "qos"], "--slurm-option takes KEY=VALUE"),
    (["--executor", "slurm", "--slurm-config", "no-such-file.json"], "--slurm-config no-such-file.json cannot be read"),
], ids=["tier", "device", "backend", "no-seeds", "too-many-seeds", "negative-timeout", "endless-timeout",
        "gpus-and-data-parallel", "gpus-text", "detach-locally", "slurm-cores", "slurm-option", "slurm-config"])
def test_a_bad_value_is_one_line_and_exit_2_before_any_run_folder(flags, words, tmp_path, capsys):
    assert main(["run", "l2c_linear_circles", *flags]) == 2
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and words in errors[0], captured.err
    assert "Traceback" not in captured.err
    assert not (tmp_path / "reports").exists(), "a bad request created something"


def test_the_seed_count_of_a_new_run_is_resolved_once_from_the_tier():
    assert RunRequest(tier="smoke").new_run_seeds == 1
    assert RunRequest(tier="full").new_run_seeds == DEFAULT_SEEDS
    assert RunRequest().new_run_tier == DEFAULT_TIER
    assert RunRequest(tier="smoke", seeds=3).new_run_seeds == 3
    with pytest.raises(UsageError, match="--seeds must be at least 1"):
        RunRequest(tier="smoke", seeds=0)


def test_a_request_cannot_change_once_made():
    request = RunRequest(names=("l2c_linear_circles",), tier="smoke")
    with pytest.raises(AttributeError):
        request.tier = "full"


def test_slurm_settings_take_the_flags_over_the_config_file_over_the_runs_own(tmp_path):
    config = tmp_path / "slurm.json"
    config.write_text(json.dumps({"account": "lab", "partition": "cpu", "options": {"qos": "short", "mem": "4G"}}))
    stored = SlurmSettings(partition="gpu", array_parallelism=2, options=(("mem", "8G"),), detach=True).to_manifest()

    flags = SlurmSettings(partition="debug", options=(sbatch_option("--mem=16G"),))
    settings = flags.over(SlurmSettings.from_config(config)).over(SlurmSettings.from_manifest(stored))

    assert (settings.partition, settings.account, settings.parallelism) == ("debug", "lab", 2)
    assert settings.cores == DEFAULT_CPUS_PER_TASK
    assert dict(settings.options) == {"mem": "16G", "qos": "short"}
    assert not settings.detach, "--detach is one invocation's choice, never carried over by a resume"
    assert stored["detach"] is True and "detach" not in settings.to_manifest()


def test_a_slurm_config_with_an_unknown_setting_names_it_and_the_known_ones(tmp_path):
    config = tmp_path / "slurm.json"
    config.write_text(json.dumps({"queue": "short"}))
    with pytest.raises(UsageError, match=r"unknown setting\(s\) queue; it takes partition, account"):
        SlurmSettings.from_config(config)
