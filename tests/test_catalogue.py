"""The catalogue: the benchmarks' declarations read without Keras, rebuilt whenever what they come from changes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from suite import catalogue, registry
from suite.constants import TIERS
from suite.run import gpu_presence
from tests.conftest import PROJECT_ROOT, run_suite

FRAMEWORKS = ("tensorflow", "keras", "jax", "torch")
#: Imported by the report and the export only: a command that needs neither must not pay for them.
HEAVY_LIBRARIES = ("pandas", "matplotlib", "seaborn")
READING = "reading the benchmarks (once, cached) ..."

THROWAWAY = textwrap.dedent('''
    """A throwaway benchmark for the catalogue's tests."""

    from suite import Benchmark, Reference, Settings, Source, register


    @register
    class Throwaway(Benchmark):
        """Never trained: only its declaration is read."""

        name = "test_catalogue_throwaway"
        title = "Throwaway"
        source = Source("002_1cdcc223183fcc73.txt", "t-1", cells="In [1]")
        tags = ("TAGS",)
        dataset = None
        placement = "cpu"
        settings = Settings(steps=10, widths=(3, 2))
        tiers = {"smoke": dict(steps=1)}
        references = (Reference.at_least("final_loss", 0.5, note="Test only."),)
''')


def _throwaway(folder: Path, tags: str) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "throwaway.py").write_text(THROWAWAY.replace('"TAGS"', repr(tags)))
    return folder


def _private_cache(tmp_path: Path, folder: Path | None = None) -> dict:
    environment = {"SUITE_CACHE_DIR": str(tmp_path / "cache")}
    if folder is not None:
        environment["SUITE_BENCHMARK_PATH"] = str(folder)
    return environment


# -- the entries are the classes' declarations ----------------------------------------------------
def test_every_entry_equals_its_classes_declaration():
    classes = {name: cls for name, cls in registry.discover().items() if cls.__module__.startswith("benchmarks.")}
    entries = catalogue.benchmarks()
    assert sorted(entries) == sorted(classes)
    for name, cls in classes.items():
        benchmark, entry = cls(), entries[name]
        assert entry.code_version() == cls.code_version(), name
        assert entry.references == benchmark.references, name  # bounds, notes and calibrations as resolved
        for tier in TIERS:
            assert entry.settings_for(tier) == benchmark.settings_for(tier), (name, tier)
            assert repr(entry.settings_for(tier)) == repr(benchmark.settings_for(tier)), (name, tier)  # tuples kept
        for attribute in (*catalogue.PLAIN_ATTRIBUTES, "source", "tiers", "description"):
            # repr: a tuple stays a tuple, and the source's missing points (nan) compare equal
            assert repr(getattr(entry, attribute)) == repr(getattr(benchmark, attribute)), (name, attribute)
        assert entry.module == cls.__module__ and Path(entry.file) == Path(sys.modules[cls.__module__].__file__)


def test_list_shows_every_class_as_declared():
    listed = run_suite("list", "--versions")
    assert listed.returncode == 0, listed.stderr
    lines = {line.split()[0]: line for line in listed.stdout.splitlines()[2:] if line.strip()}
    for name, cls in registry.discover().items():
        if not cls.__module__.startswith("benchmarks."):
            continue
        line = lines[name]
        for shown in (cls.source.experiment, cls.placement, ",".join(cls.tags), cls.source.document,
                      cls.code_version()):
            assert shown in line, (name, shown)


# -- the cache ---------------------------------------------------------------------------------------
@pytest.mark.slow
def test_the_catalogue_is_built_once_and_rebuilt_when_a_benchmark_file_changes(tmp_path):
    folder = _throwaway(tmp_path / "extra", "first-tag")
    environment = _private_cache(tmp_path, folder)

    first = run_suite("list", "--tag", "first-tag", env=environment)
    assert first.returncode == 0, first.stderr
    assert first.stderr.count(READING) == 1 and "test_catalogue_throwaway" in first.stdout
    again = run_suite("list", "--tag", "first-tag", env=environment)
    assert again.returncode == 0 and READING not in again.stderr, again.stderr
    assert again.stdout == first.stdout

    _throwaway(folder, "second-tag")
    changed = run_suite("list", "--tag", "second-tag", env=environment)
    assert changed.returncode == 0, changed.stderr
    assert READING in changed.stderr and "test_catalogue_throwaway" in changed.stdout
    assert len(list((tmp_path / "cache" / "catalogue").glob("*.json"))) == 2  # one per state of the files


@pytest.mark.slow
def test_a_damaged_catalogue_is_rebuilt_not_trusted(tmp_path):
    environment = _private_cache(tmp_path, _throwaway(tmp_path / "extra", "kept-tag"))
    first = run_suite("list", "--versions", env=environment)
    assert first.returncode == 0, first.stderr
    (cached,) = (tmp_path / "cache" / "catalogue").glob("*.json")
    sound = cached.read_text()
    edited = json.loads(sound)
    edited["benchmarks"][0]["placement"] = "gpu-required"
    other_format = {**json.loads(sound), "format": catalogue.FORMAT + 1}
    for damage, text in [("cut short", sound[:500]), ("an edited entry", json.dumps(edited)),
                         ("another format", json.dumps(other_format))]:
        cached.write_text(text)
        rebuilt = run_suite("list", "--versions", env=environment)
        assert rebuilt.returncode == 0, rebuilt.stderr
        assert READING in rebuilt.stderr, damage
        assert rebuilt.stdout == first.stdout, damage
        assert json.loads(cached.read_text())["benchmarks"] == json.loads(sound)["benchmarks"], damage


@pytest.mark.slow
def test_a_module_that_fails_to_import_is_one_line_naming_the_file_and_the_error(tmp_path):
    folder = tmp_path / "extra"
    folder.mkdir()
    (folder / "broken.py").write_text('"""Broken on purpose."""\nimport a_module_that_is_not_installed\n')
    listed = run_suite("list", env=_private_cache(tmp_path, folder))
    assert listed.returncode == 2
    (error,) = [line for line in listed.stderr.splitlines() if line.startswith("error:")]
    assert str(folder / "broken.py") in error
    assert "ModuleNotFoundError: No module named 'a_module_that_is_not_installed'" in error
    assert "Traceback" not in listed.stderr
    assert not list((tmp_path / "cache" / "catalogue").glob("*.json")), "a failed reading is not cached"


# -- the driver imports no framework ----------------------------------------------------------------
IMPORTED = textwrap.dedent("""
    import json, runpy, sys
    sys.argv = ["python -m suite", *sys.argv[1:]]
    try:
        runpy.run_module("suite", run_name="__main__")
    except SystemExit:
        pass
    print("IMPORTED " + json.dumps(sorted({name.split(".")[0] for name in sys.modules})), file=sys.stderr)
""")


def _imported_by_the_driver(*arguments: str) -> tuple[set[str], subprocess.CompletedProcess]:
    completed = subprocess.run([sys.executable, "-c", IMPORTED, *arguments], cwd=PROJECT_ROOT, env=dict(os.environ),
                               capture_output=True, text=True, timeout=600)
    line = next(line for line in completed.stderr.splitlines() if line.startswith("IMPORTED "))
    return set(json.loads(line[len("IMPORTED "):])), completed


@pytest.mark.parametrize("arguments", [["list"], ["--help"], ["run", "--help"]])
def test_listing_and_help_import_no_framework_and_no_plotting(arguments):
    catalogue.benchmarks()  # the catalogue is known, as after the first command of a checkout
    imported, _ = _imported_by_the_driver(*arguments)
    assert not imported & {*FRAMEWORKS, *HEAVY_LIBRARIES}


def test_a_whole_run_imports_no_framework_in_the_driver():
    """The worker is a process of its own: it imports Keras; the driver that plans, watches and judges does not."""
    catalogue.benchmarks()
    imported, completed = _imported_by_the_driver("run", "l2c_linear_circles", "dlwp_dense512", "--tier", "smoke",
                                                  "--no-report")
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "2 NOT JUDGED" in completed.stdout, completed.stdout
    assert not imported & {*FRAMEWORKS, *HEAVY_LIBRARIES}


def test_a_worker_imports_only_the_module_that_defines_its_benchmark():
    catalogue.benchmarks()
    script = textwrap.dedent("""
        import json, sys
        from suite import catalogue
        benchmark = catalogue.load("dlwp_dense512")
        print("LOADED " + json.dumps([type(benchmark).__module__,
                                      sorted(name for name in sys.modules if name.startswith("benchmarks."))]))
    """)
    completed = subprocess.run([sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True,
                               timeout=600)
    assert completed.returncode == 0, completed.stderr[-3000:]
    line = next(line for line in completed.stdout.splitlines() if line.startswith("LOADED "))
    module, imported = json.loads(line[len("LOADED "):])
    assert module == "benchmarks.dlwp_mnist"
    others = {f"benchmarks.{path.stem}" for path in registry.modules_in(PROJECT_ROOT / "benchmarks")} - {module}
    assert module in imported and not others & set(imported)


# -- counting GPUs without a framework ---------------------------------------------------------------
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="device nodes are read on Linux only")
def test_without_a_gpu_device_node_no_gpu_is_possible(tmp_path):
    devices = tmp_path / "dev"
    devices.mkdir()
    (devices / "null").touch()
    (devices / "nvidiactl").touch()  # the driver's control node alone is no GPU
    assert gpu_presence.gpu_impossible(devices)
    (devices / "nvidia0").touch()
    assert not gpu_presence.gpu_impossible(devices)
    (devices / "nvidia0").unlink()
    (devices / "kfd").touch()
    assert not gpu_presence.gpu_impossible(devices)
