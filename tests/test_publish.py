"""``python -m suite publish``: the site of many runs, built from real run folders, opened in a real Chromium.

The runs are the session's real ones (``real_runs``: a judged full-tier run and a smoke run of toy
benchmarks, trained here), runs generated from them by ``tools/generate_runs.py`` (other tiers,
backends, stacks and hosts), and three odd ones: a damaged folder, a run of another schema version,
and a run whose report was never written.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest

from suite.report import stability
from suite.report.publish import publish
from suite.report.publish.summary import safe_name
from suite.stacks import manifest
from tests.conftest import PROJECT_ROOT, run_suite
from tests.test_report_browser import browser  # noqa: F401  (the fixture: a real headless Chromium)

GENERATOR = PROJECT_ROOT / "tools" / "generate_runs.py"
FRAMEWORKS = ("tensorflow", "keras", "jax", "torch")
NETWORK = ("http", "https", "ws", "wss", "ftp")


def _generate(source: Path, reports: Path, runs: int, start: int, *, report: bool = True) -> list[Path]:
    command = [sys.executable, str(GENERATOR), str(source), str(reports), "--runs", str(runs), "--seeds", "2",
               "--start", str(start)] + (["--report"] if report else [])
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return [Path(line) for line in done.stdout.split()]


def _odd_runs(reports: Path, source: Path) -> dict[str, Path]:
    """A damaged run folder, a run of another schema version, and a run without a report, copied from ``source``."""
    runs = reports / "runs"
    damaged = runs / "20260301-000000-full-damaged"
    shutil.copytree(source, damaged)
    (damaged / "run.json").write_text("{ not json")
    for path in sorted((damaged / "records").glob("*.json"))[:1]:
        path.write_bytes(b"\x00\xff garbage")
    future = runs / "20260302-000000-full-future"
    shutil.copytree(source, future)
    for path in (future / "records").glob("*.json"):
        record = json.loads(path.read_text())
        record["schema_version"] = 99
        path.write_text(json.dumps(record))
    unreported = runs / "20260303-000000-full-unreported"
    shutil.copytree(source, unreported)
    (unreported / "report.html").unlink(missing_ok=True)
    return {"damaged": damaged, "future": future, "unreported": unreported}


@pytest.fixture(scope="module")
def site(real_runs, tmp_path_factory):
    """A site published from the real runs, two generated from them, and the odd runs."""
    reports = tmp_path_factory.mktemp("publish-reports")
    for run in (real_runs.full, real_runs.smoke):
        shutil.copytree(run, reports / "runs" / run.name, ignore=shutil.ignore_patterns("locks"))
    source = reports / "runs" / real_runs.full.name
    assert (source / "report.html").is_file()
    generated = _generate(source, reports, 2, 0)
    odd = _odd_runs(reports, source)
    output = tmp_path_factory.mktemp("site") / "site"
    env = {**real_runs.env, "SUITE_REPORTS_DIR": str(reports)}
    done = run_suite("publish", "-o", str(output), env=env)
    assert done.returncode == 0, done.stderr
    return {"reports": reports, "site": output, "full": source, "generated": generated, "odd": odd, "env": env,
            "stderr": done.stderr}


def _index_rows(site_dir: Path) -> dict[str, str]:
    """``{run id: the row's HTML}`` of the index."""
    html = (site_dir / "index.html").read_text(encoding="utf-8")
    rows = re.findall(r'<tr data-tier=.*?</tr>', html, flags=re.S)
    return {re.search(r'id="run-([^"]+)"', row).group(1): row for row in rows}


# -- what the pages say -------------------------------------------------------------------------------------


def _stored(run: Path, benchmark: str) -> dict[str, dict]:
    """From the record files themselves: each judged metric's mean over the finished seeds and its stored bounds."""
    records = []
    for path in sorted((run / "records").glob(f"{benchmark}__*.json")):
        try:
            records.append(json.loads(path.read_text()))
        except ValueError:  # the damaged run's garbage file: no record at all
            continue
    finished = [record for record in records if record["status"] == "ok"]
    found = {}
    for reference in records[0]["judged_against"]["references"]:
        values = [record["metrics"][reference["metric"]] for record in finished]
        low = reference["bounds"][0] if reference["bounds"] else (
            reference["threshold"] if reference["kind"] == "at_least" else None)
        high = reference["bounds"][1] if reference["bounds"] else (
            reference["threshold"] if reference["kind"] == "at_most" else None)
        found[reference["metric"]] = {"mean": sum(values) / len(values), "low": low, "high": high}
    return found


@pytest.mark.parametrize("benchmark", ["l2c_linear_circles", "l2c_hidden_sigmoid_circles"])
def test_a_benchmark_page_shows_the_records_means_and_stored_bounds(site, benchmark):
    html = (site["site"] / "benchmarks" / f"{benchmark}.html").read_text(encoding="utf-8")
    shown = re.findall(r'<tr data-run="([^"]+)" data-metric="([^"]+)" data-mean="([^"]*)" data-low="([^"]*)" '
                       r'data-high="([^"]*)">.*?<td class="num mean">([^<]*)</td>', html, flags=re.S)
    runs = {row[0] for row in shown}
    assert {site["full"].name, *(path.name for path in site["generated"])} <= runs
    checked = 0
    for run_id, metric, mean, low, high, mean_text in shown:
        stored = _stored(site["reports"] / "runs" / run_id, benchmark)[unescape(metric)]
        assert math.isclose(float(mean), stored["mean"], rel_tol=1e-12, abs_tol=1e-15), (run_id, metric)
        assert (float(low) if low else None) == stored["low"], (run_id, metric)
        assert (float(high) if high else None) == stored["high"], (run_id, metric)
        assert mean_text.strip() not in ("", "-")
        checked += 1
    assert checked >= 3 * len(_stored(site["full"], benchmark))


def test_a_benchmark_page_has_a_picture_per_tier_the_claim_and_links_to_records(site):
    html = (site["site"] / "benchmarks" / "l2c_hidden_sigmoid_circles.html").read_text(encoding="utf-8")
    tiers = re.findall(r'<h2 id="tier-([a-z]+)">', html)
    assert tiers == ["full", "quick", "smoke"]
    pictures = re.findall(r'<img src="\.\./(figures/[0-9a-f]+\.svg)"', html)
    assert len(pictures) == 2  # the smoke tier is not judged: nothing to draw
    for picture in pictures:
        svg = (site["site"] / picture).read_text(encoding="utf-8")
        assert svg.count("<circle") >= 3 and 'fill="#b0bec5"' in svg  # points, and the bands behind them
    record = json.loads(next((site["full"] / "records").glob("l2c_hidden_sigmoid_circles__*.json")).read_text())
    claims = [ref["claim"] for ref in record["documented_references"] if ref.get("claim")]
    assert claims and all(claim in unescape(html) for claim in claims)
    for href in re.findall(r'href="(\.\./runs/[^"]+/records/[^"]+\.json)"', html):
        assert (site["site"] / "benchmarks" / href).resolve().is_file(), href


def test_the_stability_page_is_the_tables_of_the_report_layer(site):
    html = (site["site"] / "stability.html").read_text(encoding="utf-8")
    runs = [stability.judged_run(path) for path in sorted((site["reports"] / "runs").iterdir())
            if path.name not in ("20260301-000000-full-damaged", "20260302-000000-full-future")]
    table = stability.claim_stability(runs, tiers=("full",))
    full = html.split("<h2>full tier</h2>")[1].split("<h2>")[0]
    for row in table.rows:
        cells = [table.cell(row, column) for column in table.columns]
        shown = [f"{cell.reproduced}/{cell.judged}" for cell in cells if cell.judged]
        line = re.search(rf">{re.escape(row[0])}</a></td><td>{re.escape(row[1])}</td>.*?</tr>", full, flags=re.S)
        assert line, row
        assert re.findall(r">(\d+/\d+)</span>", line.group(0)) == shown


def test_claim_stability_counts_each_stack_and_backend_apart():
    def run(run_id, stack, backend, verdict):
        return stability.JudgedRun(run_id, stack, backend, "full", (stability.Claim("b", "acc", verdict),
                                                                    stability.Claim("b", "loss", "ERROR")))
    table = stability.claim_stability([run("r1", "s1", "tensorflow", "REPRODUCED"),
                                       run("r2", "s1", "tensorflow", "NOT REPRODUCED"),
                                       run("r3", "s2", "jax", "REPRODUCED"),
                                       run("r4", "s2", "jax", "REPRODUCED")])
    assert table.rows == [("b", "acc")]  # an ERROR judged nothing
    assert table.columns == [("s1", "tensorflow"), ("s2", "jax")]
    assert table.cell(("b", "acc"), ("s1", "tensorflow")).state == "mixed"
    assert table.cell(("b", "acc"), ("s2", "jax")).state == "reproduced"
    assert not table.stable(("b", "acc"))
    assert stability.claim_stability([run("r3", "s2", "jax", "REPRODUCED")]).stable(("b", "acc"))


def test_runs_of_a_matrix_are_drawn_by_stack_and_tabled_by_its_labels(site, tmp_path):
    reports = tmp_path / "reports"
    runs = _generate(site["full"], reports, 3, 0)
    full_runs = [run for run in runs if "-full-" in run.name]
    labels = {}
    for number, run in enumerate(full_runs):
        labels[run.name] = f"tf2.{20 + number}-keras3.{14 + number}"
        (run / manifest.RUN_STACK_FILE).write_text(json.dumps({"stack_id": f"s{number}", "label": labels[run.name],
                                                                   "matrix": "20261206-matrix"}))
    publish(runs, tmp_path / "site")
    page = (tmp_path / "site" / "benchmarks" / "l2c_hidden_sigmoid_circles.html").read_text(encoding="utf-8")
    full, quick = page.split('<h2 id="tier-full">')[1].split('<h2 id="tier-quick">')
    assert "x: stack (a matrix)" in full and "x: date" in quick  # the quick run came from no matrix
    svg = (tmp_path / "site" / re.search(r'src="\.\./(figures/[0-9a-f]+\.svg)"', full).group(1)).read_text()
    assert all(label in svg for label in labels.values())
    table = (tmp_path / "site" / "stability.html").read_text(encoding="utf-8").split("<h2>full tier</h2>")[1]
    assert all(f"<th>{label}<br>" in table for label in labels.values())
    assert [run.stack for run in map(stability.judged_run, full_runs)] == [labels[run.name] for run in full_runs]
    # The matrix report's table of these runs shows, claim by claim, the verdicts the stability page counts.
    from suite.report import matrix as matrix_report

    judged = [stability.judged_run(run) for run in full_runs]
    counted = stability.claim_stability(judged)
    by_stacks = matrix_report.claims_table([matrix_report.Column(labels[run.name], str(run)) for run in full_runs])
    assert {(row.benchmark, row.metric) for row in by_stacks.rows} >= set(counted.rows) and counted.rows
    for row in by_stacks.rows:
        for run, cell in zip(judged, row.cells):
            tally = counted.cell((row.benchmark, row.metric), (run.stack, run.backend))
            assert (tally.reproduced, tally.judged) == (int(cell.verdict == "REPRODUCED"),
                                                        int(cell.verdict in stability.JUDGED)), (row, run.stack)


# -- odd runs and bad output folders ---------------------------------------------------------------------------


@pytest.mark.damaged_records
def test_odd_runs_are_listed_as_such_on_the_index(site):
    rows = _index_rows(site["site"])
    odd = site["odd"]
    assert 'data-state="damaged"' in rows[odd["damaged"].name]
    assert "run.json or finished.json unreadable" in rows[odd["damaged"].name]
    assert "other schema version" in rows[odd["future"].name]
    assert "schema_version 99" in rows[odd["future"].name]
    assert "no report in the run folder: rendered for the site" in rows[odd["unreported"].name]
    rendered = site["site"] / "runs" / odd["unreported"].name / "report.html"
    assert "<title>keras-repro" in rendered.read_text(encoding="utf-8")  # the run report's own renderer
    assert not (odd["unreported"] / "report.html").exists()  # the run folder is read, never written
    assert "damaged or of another schema version" in site["stderr"]


def test_an_output_folder_that_is_a_file_or_unwritable_is_one_line_and_exit_2(site, tmp_path):
    a_file = tmp_path / "site.html"
    a_file.write_text("not a folder")
    for output, why in ((a_file, "it is a file, not a folder"), (a_file / "site", "Not a directory")):
        done = run_suite("publish", "-o", str(output), env=site["env"])
        assert done.returncode == 2
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert done.stderr.startswith("error: cannot publish into") and why in done.stderr
    done = run_suite("publish", "no-such-run", "-o", str(tmp_path / "site"), env=site["env"])
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "run 'no-such-run' not found" in done.stderr


def test_no_framework_is_imported_even_to_render_a_missing_report(site, tmp_path):
    reports = tmp_path / "reports"
    shutil.copytree(site["odd"]["unreported"], reports / "runs" / site["odd"]["unreported"].name)
    script = ("import sys; from pathlib import Path; from suite.report.publish import publish; "
              f"done = publish([Path({str(next((reports / 'runs').iterdir()))!r})], Path({str(tmp_path / 'site')!r})); "
              "assert done.runs == 1 and any(p.endswith('report.html') for p in done.written), done; "
              f"print(sorted(m for m in {FRAMEWORKS!r} if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=PROJECT_ROOT,
                          env={**site["env"], "SUITE_REPORTS_DIR": str(reports)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# -- incremental ------------------------------------------------------------------------------------------------


def _files(site_dir: Path) -> dict[str, tuple[bytes, int]]:
    return {path.relative_to(site_dir).as_posix(): (path.read_bytes(), path.stat().st_mtime_ns)
            for path in site_dir.rglob("*") if path.is_file() and ".publish" not in path.parts}


def test_publishing_again_after_one_run_rewrites_only_what_it_changed(site, tmp_path):
    reports = tmp_path / "reports"
    shutil.copytree(site["full"], reports / "runs" / site["full"].name)
    _generate(site["full"], reports, 2, 0)
    output = tmp_path / "site"
    runs = sorted((reports / "runs").iterdir())
    first = publish(runs, output)
    assert first.runs == 3 and first.runs_read == 3
    before = _files(output)
    again = publish(runs, output)
    assert again.rendered == [] and again.written == [] and again.runs_read == 0
    assert _files(output) == before

    new_run = _generate(site["full"], reports, 1, 2)[0]  # run 2: full tier, like the source
    third = publish(sorted((reports / "runs").iterdir()), output)
    assert third.runs_read == 1
    after = _files(output)
    changed = {name for name in after if before.get(name, (None,))[0] != after[name][0]}
    touched = {name for name in after if before.get(name, (None, None))[1] != after[name][1]}
    benchmarks = sorted({path.name.split("__")[0] for path in (new_run / "records").glob("*.json")})
    new_folder = f"runs/{safe_name(new_run.name)}/"
    expected = ({"index.html", "stability.html"} | {f"benchmarks/{name}.html" for name in benchmarks}
                | {name for name in after if name.startswith(new_folder) or name.startswith("figures/")})
    assert touched == changed  # nothing rewritten with the same bytes
    assert changed <= expected, changed - expected
    assert {"index.html", "stability.html", f"{new_folder}report.html"} <= changed
    unchanged = set(before) & set(after) - changed
    assert {"benchmarks/index.html", "assets/site.css", "assets/site.js"} <= unchanged
    assert any(name.startswith(f"runs/{safe_name(site['full'].name)}/") for name in unchanged)
    # the full tier's picture was redrawn (a new point); the quick tier's, which the new run is not in, was not
    assert len({name for name in changed if name.startswith("figures/")}) == len(benchmarks)
    assert set(third.removed) == {name for name in before if name not in after}
    assert all(name.startswith("figures/") for name in third.removed)


# -- in a real browser -----------------------------------------------------------------------------------------

def _network_left_the_machine(driver) -> list[str]:
    """Every URL a page of the site asked for that is not a file or inline data, and any network request at all."""
    left = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            url = message["params"]["request"]["url"]
            from_site = str(message["params"].get("documentURL", "")).startswith("file://")
            if (from_site and not url.startswith(("file://", "data:"))) or url.split(":", 1)[0] in NETWORK:
                left.append(url)
    resources = driver.execute_script("return performance.getEntriesByType('resource').map(r => r.name)")
    return left + [url for url in resources if not url.startswith(("file://", "data:"))]


def _pictures_drawn(driver, folder: Path, stem: str) -> int:
    """Every image decoded, and each one's screenshot more than a blank: returns how many there are."""
    from io import BytesIO

    from PIL import Image

    images = driver.find_elements("css selector", "img")
    for number, image in enumerate(images):
        assert driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", image)
        driver.execute_script("arguments[0].scrollIntoView()", image)
        shot = Image.open(BytesIO(image.screenshot_as_png)).convert("RGB")
        shot.save(folder / f"{stem}-img{number}.png")
        assert len(shot.getcolors(maxcolors=1 << 16) or range(1 << 16)) > 8, f"{stem}: image {number} is blank"
    return len(images)


def _errors(driver) -> list[dict]:
    return [entry for entry in driver.get_log("browser") if entry["level"] in ("SEVERE", "ERROR")]


@pytest.mark.browser
def test_a_browser_clicks_from_the_index_to_a_benchmark_to_a_run_report_offline(site, browser, tmp_path):  # noqa: F811
    driver = browser
    driver.get_log("performance")  # what the blank start page logged
    left = []
    driver.get((site["site"] / "index.html").as_uri())
    driver.save_screenshot(str(tmp_path / "index.png"))
    rows = driver.find_elements("css selector", "#runs tbody tr")
    assert len(rows) == len(list((site["reports"] / "runs").iterdir()))
    # the filters: one tier at a time
    driver.execute_script("const s = document.querySelector('select[data-filter=tier]'); s.value = 'quick';"
                          "s.dispatchEvent(new Event('change'));")
    visible = driver.execute_script("return Array.from(document.querySelectorAll('#runs tbody tr'))"
                                    ".filter(r => r.style.display !== 'none').map(r => r.dataset.tier)")
    assert visible and set(visible) == {"quick"}
    assert not _errors(driver)
    left += _network_left_the_machine(driver)

    driver.find_element("link text", "Benchmarks").click()
    driver.find_element("partial link text", "l2c_hidden_sigmoid_circles").click()
    assert driver.current_url.endswith("benchmarks/l2c_hidden_sigmoid_circles.html")
    driver.save_screenshot(str(tmp_path / "benchmark.png"))
    assert _pictures_drawn(driver, tmp_path, "benchmark") == 2
    assert not _errors(driver)
    left += _network_left_the_machine(driver)

    driver.find_element("css selector", f'table.points a[href$="{safe_name(site["full"].name)}/report.html"]').click()
    assert driver.current_url.endswith(f"runs/{safe_name(site['full'].name)}/report.html")
    driver.save_screenshot(str(tmp_path / "report.png"))
    assert driver.find_elements("css selector", "article.card")
    assert _pictures_drawn(driver, tmp_path, "report") > 0
    assert not _errors(driver)
    left += _network_left_the_machine(driver)

    driver.get((site["site"] / "stability.html").as_uri())
    driver.save_screenshot(str(tmp_path / "stability.png"))
    assert driver.find_elements("css selector", "table.stability tbody tr")
    assert not _errors(driver)
    left += _network_left_the_machine(driver)
    assert not left, left
