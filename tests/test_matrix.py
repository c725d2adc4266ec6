"""suite matrix: a matrix file read and checked, stacks planned with uv, one real stack built and run, the page."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from suite.cli.main import main
from suite.stacks import building, declared, manifest, resolution, runs, uv
from tests.conftest import run_suite, schema_problems

#: The installed versions: a stack pinned to them links every wheel from the uv cache instead of downloading it.
INSTALLED = {name: metadata.version(name) for name in ("tensorflow", "keras", "numpy")}
PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
CHEAP = "l2c_spiral_relu"


def write_matrix(folder: Path, text: str) -> Path:
    path = folder / "matrix.toml"
    path.write_text(text, encoding="utf-8")
    return path


def matrix_error(capsys, *arguments: str) -> str:
    """The one stderr line of a ``matrix`` command that must end in a usage error (exit 2)."""
    assert main(["matrix", *arguments]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


# -- the matrix as declared ------------------------------------------------------------------------------------

def test_flags_replace_the_axes_and_the_include_rules_that_pin_them(tmp_path):
    path = write_matrix(tmp_path, '[axes]\npython = ["3.11"]\n[[include]]\ntensorflow = "2.16.2"\nkeras = "3.3.3"\n'
                                  '[[include]]\ntensorflow = "2.21.0"\nkeras = "3.13.2"\n')
    from_file = [c.label for c in declared.read_matrix(path, {}).candidates()]
    assert from_file == ["tensorflow-py3.11-tf2.16.2-keras3.3.3", "tensorflow-py3.11-tf2.21.0-keras3.13.2"]
    flagged = declared.read_matrix(path, {"tensorflow": "2.18,2.21", "keras": "3.8,3.15"}).candidates()
    assert [c.label for c in flagged] == ["tensorflow-py3.11-tf2.18-keras3.8", "tensorflow-py3.11-tf2.18-keras3.15",
                                          "tensorflow-py3.11-tf2.21-keras3.8", "tensorflow-py3.11-tf2.21-keras3.15"]


def test_an_exclude_rule_marks_the_stacks_it_removes_and_says_so_when_it_removes_them_all(tmp_path, capsys):
    path = write_matrix(tmp_path, '[axes]\ntensorflow = ["2.18.1", "2.21.0"]\nkeras = ["3.9.0"]\n'
                                  '[[exclude]]\ntensorflow = "2.21"\n')
    marked = {c.label: c.excluded_by for c in declared.read_matrix(path, {}).candidates()}
    assert marked == {"tensorflow-py3.11-tf2.18.1-keras3.9.0": "",
                      "tensorflow-py3.11-tf2.21.0-keras3.9.0": "exclude rule 1 (tensorflow = 2.21)"}
    line = matrix_error(capsys, "plan", "--file", str(path), "--tensorflow", "2.21.0")
    assert "exclude rule 1 (tensorflow = 2.21)" in line and "removes every stack" in line


@pytest.mark.parametrize("text, named", [
    ('[axes]\ntheano = ["1.0"]\n', "unknown axis theano"),
    ('[axes]\ntensorflow = [2.18]\n', "must be a version string"),
    ('[axes\n', "is not valid TOML"),
    ('[stacks]\n', "unknown table stacks"),
], ids=["unknown axis", "unquoted version", "malformed", "unknown table"])
def test_a_bad_matrix_file_is_one_line_and_exit_2(tmp_path, capsys, text, named):
    assert named in matrix_error(capsys, "plan", "--file", str(write_matrix(tmp_path, text)))


def test_an_unknown_backend_or_a_missing_python_is_one_line(capsys):
    assert "unknown backend theano" in matrix_error(capsys, "plan", "--backend", "theano")
    assert "Python 2.1 is not installed" in matrix_error(capsys, "plan", "--python", "2.1", "--tensorflow", "2.21.0")


@pytest.mark.parametrize("flags, named", [
    (["--seeds", "0"], "--seeds must be at least 1"), (["--tier", "nope"], "unknown tier 'nope'"),
    (["--timeout", "-1"], "--timeout must be a positive"), (["--workers", "0"], "--workers must be between"),
], ids=["seeds", "tier", "timeout", "workers"])
def test_a_bad_run_option_is_one_line_before_any_stack_is_planned(capsys, flags, named):
    assert named in matrix_error(capsys, "run", CHEAP, *flags)


def test_without_uv_the_line_names_the_matrix_extra(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SUITE_UV", str(tmp_path / "no-uv"))
    uv.executable.cache_clear()
    try:
        line = matrix_error(capsys, "plan", "--tensorflow", "2.21.0")
    finally:
        uv.executable.cache_clear()
    assert "uv is not installed" in line and ".[matrix]" in line


def test_the_suite_floors_never_pin_a_stack():
    requires = resolution.requirements(declared.Candidate({"backend": "tensorflow", "python": PYTHON,
                                                            "tensorflow": "2.16.1", "keras": "3.0.5"}))
    assert requires[:2] == ["tensorflow==2.16.1", "keras==3.0.5"]
    assert all(not any(op in line for op in "<>=") for line in requires[2:]), requires
    assert "numpy" in requires and "tensorflow" not in requires[2:]


def test_every_backend_has_its_axis_and_says_how_a_stack_installs_it():
    from suite import backends

    for name in backends.names():
        axis = backends.get(name).stack_axis
        assert axis in declared.PACKAGE_AXES and declared.LABEL_PREFIXES[axis], name
    unpinned = resolution.requirements(declared.Candidate({"backend": "jax", "python": PYTHON, "keras": "3.8"}))
    assert unpinned[:2] == ["keras==3.8.*", "jax[cpu]"]  # the stack's backend, at the release that fits
    pinned = resolution.requirements(declared.Candidate({"backend": "jax", "python": PYTHON, "jax": "0.4.38"}))
    assert pinned[0] == "jax[cpu]==0.4.38" and not any(line.startswith("jax") for line in pinned[1:]), pinned


def test_the_resolver_reason_is_its_key_line():
    stderr = ("error: No solution found when resolving dependencies\n  cause: Because tensorflow==2.20.0 depends on "
              "keras>=3.10.0 and you require tensorflow==2.20.0, we can conclude that you require keras>=3.10.0.\n"
              "         And because you require keras==3.3.3, we can conclude that your requirements are unsatisfiable.")
    assert resolution.key_line(stderr) == "tensorflow==2.20.0 depends on keras>=3.10.0"


# -- against the package index ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def stacks_env(tmp_path_factory):
    """A stacks folder of the module's own (the uv cache stays the user's, so wheels are linked, not fetched),
    or a skip when the package index cannot be reached."""
    folder = tmp_path_factory.mktemp("stacks")
    env = {"SUITE_STACKS_DIR": str(folder / "stacks"), "SUITE_UV_CACHE_DIR": str(uv.uv_cache_dir())}
    probe = subprocess.run([uv.executable(), "pip", "compile", "-", "--no-header", "--python", sys.executable],
                           input=f"keras=={INSTALLED['keras']}\n", capture_output=True, text=True,
                           env={**uv.environment(), "UV_CACHE_DIR": env["SUITE_UV_CACHE_DIR"]}, timeout=300)
    if probe.returncode != 0:
        pytest.skip(f"the package index cannot be reached: {probe.stderr.strip().splitlines()[-1:]}")
    return env


@pytest.mark.network
def test_plan_marks_the_impossible_stack_with_the_resolver_reason_and_builds_nothing(stacks_env, monkeypatch,
                                                                                     capsys):
    for key, value in stacks_env.items():
        monkeypatch.setenv(key, value)
    assert main(["matrix", "plan", "--tensorflow", "2.20.0", "--keras", "3.3.3,3.11.2"]) == 0
    out = capsys.readouterr().out
    assert "tf2.20.0-keras3.3.3   impossible: tensorflow==2.20.0 depends on keras>=3.10.0" in out
    assert "tf2.20.0-keras3.11.2  ready (tensorflow 2.20.0, keras 3.11.2" in out
    stacks = Path(stacks_env["SUITE_STACKS_DIR"])
    assert [p.name for p in stacks.iterdir()] == ["resolutions"]  # resolved (and cached), nothing built
    assert len(list((stacks / "resolutions").glob("*.json"))) == 2


@pytest.mark.network
def test_a_version_the_index_does_not_have_is_one_line(stacks_env, monkeypatch, capsys):
    for key, value in stacks_env.items():
        monkeypatch.setenv(key, value)
    line = matrix_error(capsys, "plan", "--tensorflow", "2.21.0", "--keras", "3.99.0")
    assert line == "error: keras==3.99.0 is not on the package index; `pip index versions keras` lists the versions there"
    # A release series the index has nothing of (``9.9`` pins ``==9.9.*``): uv words it otherwise, the line is the same.
    line = matrix_error(capsys, "plan", "--tensorflow", "9.9")
    assert line == ("error: tensorflow==9.9.* is not on the package index; `pip index versions tensorflow` lists the "
                    "versions there")


@pytest.fixture(scope="module")
def smoke_matrix(stacks_env, tmp_path_factory):
    """One real stack pinned to the installed versions, built with uv, and a smoke run of one benchmark in it."""
    reports = tmp_path_factory.mktemp("matrix-reports")
    env = {**stacks_env, "SUITE_REPORTS_DIR": str(reports / "reports"), "KERAS_HOME": str(reports / "keras-home")}
    done = run_suite("matrix", "run", CHEAP, "--tier", "smoke", "--python", PYTHON,
                     *[part for name, version in INSTALLED.items() for part in (f"--{name}", version)], env=env)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert not schema_problems(reports)
    path = next((reports / "reports" / "matrices").iterdir())
    return env, path, manifest.read(path), done


def environments_of_stack(env: dict, stack: dict) -> list[dict]:
    """The environments of a matrix stack's records, each checked: the worker ran in the stack's folder (its
    ``sys.prefix`` and interpreter are there) and holds the versions installed there, to the patch level, as the
    lock stored with the run says (installed and read inside the stack, not requested)."""
    folder = Path(stack["folder"])
    assert stack["state"] == "ran" and folder.parent == Path(env["SUITE_STACKS_DIR"]), stack
    run = Path(env["SUITE_REPORTS_DIR"]) / "runs" / stack["run"]
    installed = resolution.lock_packages((run / manifest.RUN_LOCK_FILE).read_text())
    environments = [json.loads(path.read_text())["environment"] for path in sorted((run / "records").glob("*.json"))]
    assert environments, run
    for environment in environments:
        assert environment["stack"] == stack["stack_id"] == folder.name
        assert Path(environment["prefix"]).resolve() == folder.resolve()  # the worker's sys.prefix: the stack
        assert Path(environment["executable"]).parent.parent == folder  # started with the stack's interpreter
        assert {name: environment[name] for name in INSTALLED} == {name: installed[name] for name in INSTALLED}
        assert all(installed[name].count(".") == 2 for name in INSTALLED)  # patch versions, not the pins
        assert environment["python"].startswith(PYTHON + ".")
    return environments


@pytest.mark.network
@pytest.mark.slow
def test_the_records_carry_the_stack_and_the_versions_installed_in_it(smoke_matrix):
    env, path, state, _ = smoke_matrix
    (stack,) = state["stacks"]
    assert stack["build"] == "built"
    (environment,) = environments_of_stack(env, stack)
    assert {name: environment[name] for name in INSTALLED} == INSTALLED
    # The run's package list is read inside the stack too, not in the process that started the matrix.
    run = Path(env["SUITE_REPORTS_DIR"]) / "runs" / stack["run"]
    assert json.loads((run / "packages.json").read_text())["packages"]["keras"] == INSTALLED["keras"]


#: A Keras release the installed TensorFlow accepts (2.21 requires keras>=3.12), older than the installed one:
#: a second stack that shares every other wheel with the first, so that only Keras' small wheel is fetched.
OTHER_KERAS = "3.13.2"


@pytest.mark.network
def test_a_two_stack_matrix_sharing_its_tensorflow_runs_each_stack_in_its_own_environment(stacks_env, tmp_path):
    """The matrix CI runs: two Keras releases on the installed TensorFlow, one cheap benchmark at the smoke tier."""
    env = {"SUITE_STACKS_DIR": str(tmp_path / "stacks"), "SUITE_UV_CACHE_DIR": stacks_env["SUITE_UV_CACHE_DIR"],
           "SUITE_REPORTS_DIR": str(tmp_path / "reports"), "KERAS_HOME": str(tmp_path / "keras-home")}
    kerases = [OTHER_KERAS, INSTALLED["keras"]]
    done = run_suite("matrix", "run", CHEAP, "--tier", "smoke", "--seeds", "1", "--python", PYTHON,
                     "--tensorflow", INSTALLED["tensorflow"], "--keras", ",".join(kerases),
                     "--numpy", INSTALLED["numpy"], env=env)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    (path,) = (tmp_path / "reports" / "matrices").iterdir()
    stacks = manifest.read(path)["stacks"]
    assert [stack["axes"]["keras"] for stack in stacks] == kerases
    assert len({stack["folder"] for stack in stacks}) == 2
    for stack, keras in zip(stacks, kerases):
        for environment in environments_of_stack(env, stack):
            assert (environment["keras"], environment["tensorflow"]) == (keras, INSTALLED["tensorflow"])
    page = (path / "matrix.html").read_text()
    assert all(stack["label"] in page for stack in stacks) and "<img class=heatmap" in page
    assert f"keras {OTHER_KERAS}" in page and f"keras {INSTALLED['keras']}" in page


@pytest.mark.network
@pytest.mark.slow
def test_the_matrix_page_shows_each_stack_cell(smoke_matrix):
    _, path, state, done = smoke_matrix
    page = (path / "matrix.html").read_text()
    assert "Claims by stacks" in page and state["stacks"][0]["label"] in page
    assert "NOT JUDGED" in page and f"keras {INSTALLED['keras']}" in page and CHEAP in page


@pytest.mark.network
@pytest.mark.slow
def test_a_resumed_matrix_reuses_the_stack_and_continues_its_run(smoke_matrix):
    env, path, state, _ = smoke_matrix
    done = run_suite("matrix", "run", "--resume", path.name, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "reused" in done.stderr and f"--resume {state['stacks'][0]['run']}" in done.stderr
    assert len(list((Path(env["SUITE_REPORTS_DIR"]) / "runs").iterdir())) == 1  # no second run folder


@pytest.mark.network
@pytest.mark.slow
def test_a_stack_whose_files_are_gone_is_found_by_the_import_check_and_rebuilt(smoke_matrix, monkeypatch):
    env, path, state, _ = smoke_matrix
    monkeypatch.setenv("SUITE_STACKS_DIR", env["SUITE_STACKS_DIR"])
    stack = state["stacks"][0]
    folder = Path(stack["folder"])
    (site,) = (folder / "lib").glob("python*/site-packages")
    shutil.rmtree(site / "jinja2")
    python = uv.Interpreter(stack["python"]["path"], stack["python"]["version"])
    rebuilt = building.build(stack["label"], stack["lock"], python, "tensorflow")
    assert rebuilt.how == "rebuilt (ModuleNotFoundError: No module named 'jinja2')"
    assert rebuilt.stack_id == stack["stack_id"] and (site / "jinja2").is_dir()


@pytest.mark.network
@pytest.mark.slow
def test_a_stack_rebuilt_from_the_lock_stored_with_its_run_is_the_same_stack(smoke_matrix, monkeypatch):
    env, path, state, _ = smoke_matrix
    monkeypatch.setenv("SUITE_REPORTS_DIR", env["SUITE_REPORTS_DIR"])
    stack = state["stacks"][0]
    locked = runs.stack_from_lock(stack["run"], None, None)
    assert locked.lock == stack["lock"] and locked.label == stack["label"]
    assert building.stack_id(locked.label, locked.lock, locked.python) == stack["stack_id"]


def test_a_failed_build_is_removed_with_its_reason(tmp_path, monkeypatch):
    monkeypatch.setenv("SUITE_STACKS_DIR", str(tmp_path / "stacks"))
    python = uv.find_python(PYTHON)
    with pytest.raises(building.BuildFailed) as failure:
        building.build("broken", "no-such-package-anywhere-keras-repro==0.0.1\n", python, "tensorflow")
    assert "uv pip failed" in failure.value.reason
    assert [p.name for p in (tmp_path / "stacks").iterdir()] == ["failed"]  # the half-built folder is gone



@pytest.mark.network
@pytest.mark.slow
def test_an_error_cell_shows_its_first_line_and_the_flip_from_its_neighbour_is_flagged(smoke_matrix, tmp_path):
    from suite.report import matrix as matrix_report

    env, _, state, _ = smoke_matrix
    run = Path(env["SUITE_REPORTS_DIR"]) / "runs" / state["stacks"][0]["run"]
    failed = tmp_path / "failed-run"
    shutil.copytree(run, failed)
    (record_file,) = (failed / "records").glob("*.json")
    record = json.loads(record_file.read_text())
    record.update(status="error", error="AttributeError: module 'keras.ops' has no attribute 'nope'\nTraceback ...")
    record_file.write_text(json.dumps(record))
    table = matrix_report.claims_table([matrix_report.Column("old", str(run)), matrix_report.Column("new", str(failed))])
    (row,) = table.rows
    left, right = row.cells
    assert (left.verdict, left.change) == ("NOT JUDGED", "")
    assert right.verdict == "ERROR" and right.error == "AttributeError: module 'keras.ops' has no attribute 'nope'"
    assert right.change == "verdict NOT JUDGED -> ERROR"


def test_the_matrix_page_embeds_a_heatmap_coloured_by_verdict(real_runs, tmp_path):
    import base64
    import io
    import re

    import numpy as np
    from PIL import Image

    from suite.report import matrix as matrix_report
    from suite.report.matrix_picture import VERDICT_COLOURS

    path = tmp_path / "matrix"
    manifest.write(path, {"matrix_id": "m", "tier": "full", "stacks": [
        {"label": "judged", "run": str(real_runs.full), "state": "ran"},
        {"label": "smoke", "run": str(real_runs.smoke), "state": "ran"},
        {"label": "never built", "state": "build failed", "reason": "uv pip failed"}]})
    page = matrix_report.render(path).read_text()
    found = re.search(r"<img class=heatmap [^>]*src='data:image/png;base64,([^']+)'", page)
    assert found and "img-src data:" in page  # self-contained, and the page's policy lets it show
    pixels = np.asarray(Image.open(io.BytesIO(base64.b64decode(found.group(1)))).convert("RGB")).reshape(-1, 3)
    for verdict in ("REPRODUCED", "NOT JUDGED"):  # the judged run's squares and the smoke run's
        colour = np.array([int(VERDICT_COLOURS[verdict][i:i + 2], 16) for i in (1, 3, 5)])
        assert (np.abs(pixels.astype(int) - colour).max(axis=1) <= 8).sum() > 100, verdict


def test_the_markdown_table_is_the_pages_table_with_each_flag_explained(real_runs, tmp_path, capsys):
    path = tmp_path / "matrix"
    manifest.write(path, {"matrix_id": "m", "tier": "full", "stacks": [
        {"label": "judged", "run": str(real_runs.full), "state": "ran"},
        {"label": "smoke", "run": str(real_runs.smoke), "state": "ran"},
        {"label": "never built", "state": "build failed", "reason": "uv pip failed"}]})
    assert main(["matrix", "report", str(path), "--markdown"]) == 0
    text = capsys.readouterr().out
    header, rule, *rows = text.split("\n\n")[0].splitlines()
    assert header.count("|") == rule.count("|") == 6 and f"tensorflow {INSTALLED['tensorflow']}" in header
    assert rows and all(row.count("|") == 6 for row in rows)
    flipped = [row for row in rows if "| REPRODUCED" in row and "| NOT JUDGED" in row]
    assert flipped and all(row.count("†") == 1 for row in flipped)  # judged, then not judged on the smoke stack
    assert "verdict REPRODUCED -> NOT JUDGED" in text
    assert "- never built: build failed: uv pip failed" in text
    assert not (path / "matrix.html").exists()  # Markdown only: the page is not written


def test_a_mean_outside_the_neighbours_interval_is_flagged():
    from suite.report.matrix import Cell, neighbour_change

    left = Cell("REPRODUCED", mean=0.90, ci95=0.01, n=3)
    assert neighbour_change(left, Cell("REPRODUCED", mean=0.905, ci95=0.01, n=3)) == ""
    assert neighbour_change(left, Cell("REPRODUCED", mean=0.85, ci95=0.01, n=3)) == (
        "mean 0.85 outside the left stack's 0.9 ± 0.01")
    assert neighbour_change(Cell(), Cell("ERROR")) == ""  # a stack that did not run compares with nothing


@pytest.mark.network
def test_a_stack_that_cannot_be_built_exits_4_with_its_reason_on_the_page(stacks_env, tmp_path, monkeypatch, capsys):
    for key, value in stacks_env.items():
        monkeypatch.setenv(key, value)
    lock = tmp_path / "lock.txt"
    lock.write_text(f"keras=={INSTALLED['keras']}\nno-such-package-anywhere-keras-repro==0.0.1\n")
    assert main(["matrix", "run", CHEAP, "--tier", "smoke", "--from-lock", str(lock)]) == 4
    (path,) = (tmp_path / "reports" / "matrices").iterdir()
    (stack,) = manifest.read(path)["stacks"]
    assert stack["state"] == "build failed" and stack["reason"].startswith("uv pip failed")
    assert "no-such-package-anywhere-keras-repro" in stack["log_tail"]
    assert stack["label"] == f"tensorflow-py{PYTHON}-keras{INSTALLED['keras']}"
    assert stack["reason"] in (path / "matrix.html").read_text()
    assert not (tmp_path / "reports" / "runs").exists()  # nothing ran


@pytest.mark.network
def test_exclude_newer_resolves_as_the_index_stood_that_day(stacks_env, monkeypatch, capsys):
    for key, value in stacks_env.items():
        monkeypatch.setenv(key, value)
    # TensorFlow 2.16.2 was uploaded on 2024-06-28, Keras 3.4.0 on 2024-06-25: on 2024-05-01 neither was out.
    assert main(["matrix", "plan", "--tensorflow", "2.16", "--keras", "3", "--exclude-newer", "2024-05-01"]) == 0
    assert "ready (tensorflow 2.16.1, keras 3.3.3, numpy 1.26.4;" in capsys.readouterr().out
    line = matrix_error(capsys, "plan", "--tensorflow", "2.21.0", "--exclude-newer", "2024-05-01")
    assert line.startswith("error: tensorflow==2.21.0 is not on the package index as it stood on 2024-05-01")


def test_weights_across_runs_counts_the_seeds_that_trained_to_the_same_weights(real_runs, tmp_path):
    """``tools/weights_across_runs.py``, behind docs/matrix-measured.md: a run against itself moves nothing; a
    copy with one seed's weights changed is named, with how many of its seeds kept their weights."""
    moved = tmp_path / "moved-run"
    shutil.copytree(real_runs.full, moved)
    record_file = sorted((moved / "records").glob("*.json"))[0]
    record = json.loads(record_file.read_text())
    record["weights_sha256"] = "0" * 64
    record_file.write_text(json.dumps(record))
    tool = [sys.executable, str(Path(__file__).resolve().parents[1] / "tools" / "weights_across_runs.py")]
    same = subprocess.run([*tool, str(real_runs.full), str(real_runs.full)], capture_output=True, text=True,
                          timeout=60)
    assert same.returncode == 0 and "moved" not in same.stdout, same.stdout + same.stderr
    jobs = len([p for p in (real_runs.full / "records").glob("*.json")])
    assert f"{jobs} of {jobs} jobs the same weights" in same.stdout
    changed = subprocess.run([*tool, str(real_runs.full), str(moved)], capture_output=True, text=True, timeout=60)
    seeds = len(list((moved / "records").glob(f"{record['benchmark']}__*.json")))
    assert f"{jobs - 1} of {jobs} jobs the same weights" in changed.stdout, changed.stdout
    assert f"  moved: {record['benchmark']} ({seeds - 1} of {seeds} seeds the same)" in changed.stdout
