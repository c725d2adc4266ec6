"""The report opened in a real headless Chromium: rows, images, no console error, no request, sort and filter.

Needs the Debian packages ``chromium`` and ``chromium-driver`` and ``selenium``; skipped with the
reason when one is missing. Screenshots (1366x768 and 1920x1080, plus a full page) land in the
test's tmp dir, to be looked at.
"""

from __future__ import annotations

import base64
import json
import shutil
import time
from pathlib import Path

import pytest

from suite.report.page import render
from tests.test_report import HOSTILE, write_demo_run

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-quic", "--disable-sync",
         "--disable-dev-shm-usage")
#: The page must be usable this fast (load event after navigation), on this shared machine.
RENDER_BUDGET_S = 3.0


def _missing() -> str:
    if not Path(CHROMIUM).exists():
        return f"chromium not found at {CHROMIUM} (apt-get install chromium)"
    if not Path(CHROMEDRIVER).exists():
        return f"chromedriver not found at {CHROMEDRIVER} (apt-get install chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install selenium)"
    return ""


@pytest.fixture
def browser(tmp_path):
    reason = _missing()
    if reason:
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument("--window-size=1366,768")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _visible_rows(driver):
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#summary tbody tr'))"
        ".filter(r => r.style.display !== 'none')"
        ".map(r => ({verdict: r.dataset.verdict, tags: r.dataset.tags, source: r.dataset.source,"
        " name: r.cells[0].textContent, mean: r.cells[5].getAttribute('data-sort')}));")


def _csv_behind(href: str):
    """The CSV a ``data:text/csv;base64,...`` link downloads, as a DataFrame."""
    import io

    import pandas as pd

    header, _, payload = href.partition(",")
    assert header.startswith("data:text/csv") and header.endswith(";base64"), header
    return pd.read_csv(io.StringIO(base64.b64decode(payload).decode("utf-8")))


def _screenshots(driver, folder: Path, stem: str) -> list[Path]:
    paths = []
    for width, height in ((1366, 768), (1920, 1080)):
        driver.set_window_size(width, height)
        driver.execute_script("window.scrollTo(0, 0)")
        path = folder / f"{stem}-{width}x{height}.png"
        driver.save_screenshot(str(path))
        paths.append(path)
    # a card further down, at laptop size
    driver.set_window_size(1366, 768)
    driver.execute_script("document.querySelector('article.card').scrollIntoView()")
    path = folder / f"{stem}-card-1366x768.png"
    driver.save_screenshot(str(path))
    paths.append(path)
    return paths


def _check_page(driver, page: Path, run_path: Path, expected_benchmarks: set[str], folder: Path, stem: str) -> dict:
    driver.get_log("performance")  # drop what the blank start page logged
    driver.get_log("browser")
    started = time.perf_counter()
    driver.get(page.as_uri())
    wall_s = time.perf_counter() - started
    timing = driver.execute_script(
        "const t = performance.getEntriesByType('navigation')[0];"
        "return {load: t.loadEventEnd, dom: t.domContentLoadedEventEnd};")

    # one summary row per benchmark and metric: every benchmark has at least one
    rows = _visible_rows(driver)
    assert {row["name"] for row in rows} == expected_benchmarks
    cards = driver.execute_script("return Array.from(document.querySelectorAll('article.card')).map(c => c.id)")
    assert sorted(cards) == sorted(f"b-{name}" for name in expected_benchmarks)

    # every image decoded
    images = driver.execute_script(
        "return Array.from(document.images).map(i => ({ok: i.complete && i.naturalWidth > 0,"
        " src: i.src.slice(0, 30), alt: i.alt}))")
    assert images, "the page shows no figure at all"
    broken = [image for image in images if not image["ok"]]
    assert not broken, broken

    # no console error (the browser log holds console messages and failed loads)
    errors = [entry for entry in driver.get_log("browser") if entry["level"] in ("SEVERE", "ERROR")]
    assert not errors, errors

    # no request left the file: every resource is a data: URI, every network event is the file itself
    resources = driver.execute_script("return performance.getEntriesByType('resource').map(r => r.name)")
    assert all(name.startswith("data:") for name in resources), resources
    requested, from_page = [], []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            url = message["params"]["request"]["url"]
            requested.append(url)
            if message["params"].get("documentURL") == page.as_uri():
                from_page.append(url)
    assert page.as_uri() in requested
    outside = [url for url in from_page if not (url.startswith("data:") or url == page.as_uri())]
    assert not outside, outside
    # and nothing at all went to the network, whoever asked
    assert not [url for url in requested if url.split(":", 1)[0] in ("http", "https", "ws", "wss", "ftp")]

    # the hostile name is text, not markup: no alert, no extra script element
    assert driver.execute_script("return document.scripts.length") == 1

    # the "data" link downloads the run's job table, embedded in the page: one row per record
    link = driver.find_element("id", "data-link")
    assert link.text == "data" and link.is_displayed()
    assert link.get_attribute("download") == f"{run_path.name}.csv"
    frame = _csv_behind(link.get_attribute("href"))
    assert len(frame) == len(list((run_path / "records").glob("*.json")))
    assert set(frame["benchmark"]) == expected_benchmarks and set(frame["run"]) == {run_path.name}

    paths = _screenshots(driver, folder, stem)
    full = driver.execute_cdp_cmd("Page.captureScreenshot", {"captureBeyondViewport": True, "format": "png"})
    full_path = folder / f"{stem}-full-page.png"
    driver.set_window_size(1366, driver.execute_script("return document.body.scrollHeight") or 768)
    full = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
    full_path.write_bytes(base64.b64decode(full["data"]))
    driver.set_window_size(1366, 768)
    paths.append(full_path)
    assert all(path.stat().st_size > 10_000 for path in paths)
    return {"wall_s": wall_s, "load_ms": timing["load"], "images": len(images), "rows": len(rows)}


def test_demo_report_in_chromium(browser, tmp_path, monkeypatch):
    reports_dir = tmp_path / "reports"
    monkeypatch.setenv("SUITE_REPORTS_DIR", str(reports_dir))
    run_path, benchmarks = write_demo_run(reports_dir)
    page = render(run_path, benchmarks=benchmarks)
    measured = _check_page(browser, page, run_path, set(benchmarks), tmp_path, "demo")
    print(f"\ndemo page {page.stat().st_size / 1e6:.2f} MB, load {measured['load_ms']:.0f} ms, {measured}")
    assert measured["load_ms"] / 1000 < RENDER_BUDGET_S

    # no alert dialog was opened by the hostile name
    assert browser.execute_script("return document.body.innerText").count(HOSTILE) >= 2

    # sorting: "our mean" ascending, then descending; empty values go last
    header = browser.find_element("xpath", "//table[@id='summary']//th[normalize-space()='our mean']")
    header.click()
    means = [float(r["mean"]) for r in _visible_rows(browser) if r["mean"] not in ("", None)]
    assert means == sorted(means) and len(means) >= 5
    assert header.get_attribute("aria-sort") == "ascending"
    header.click()
    means = [float(r["mean"]) for r in _visible_rows(browser) if r["mean"] not in ("", None)]
    assert means == sorted(means, reverse=True)
    name_header = browser.find_element("xpath", "//table[@id='summary']//th[normalize-space()='benchmark']")
    name_header.click()
    names = [r["name"].lower() for r in _visible_rows(browser)]
    assert names == sorted(names)

    # filtering: verdict, then tag, then source; each leaves exactly the matching rows
    from selenium.webdriver.support.ui import Select

    total = len(_visible_rows(browser))
    Select(browser.find_element("id", "f-verdict")).select_by_value("ERROR")
    rows = _visible_rows(browser)
    assert rows and {r["verdict"] for r in rows} == {"ERROR"} and len(rows) < total
    assert browser.find_element("id", "shown").text == f"{len(rows)} of {total} rows"
    Select(browser.find_element("id", "f-verdict")).select_by_value("")
    Select(browser.find_element("id", "f-tag")).select_by_value("toy")
    rows = _visible_rows(browser)
    assert rows and all("toy" in r["tags"].split() for r in rows)
    assert {r["name"] for r in rows} == {"toy_hidden", "toy_relu"}
    Select(browser.find_element("id", "f-tag")).select_by_value("")
    Select(browser.find_element("id", "f-source")).select_by_value("004_376a62fc22c4e898.txt")
    rows = _visible_rows(browser)
    assert {r["source"] for r in rows} == {"004_376a62fc22c4e898.txt"}
    browser.find_element("id", "f-text").send_keys("regress")
    assert {r["name"] for r in _visible_rows(browser)} == {"regress_a"}
    browser.save_screenshot(str(tmp_path / "demo-filtered.png"))


@pytest.mark.slow
def test_real_smoke_run_in_chromium(browser, tmp_path):
    """A real ``python -m suite run dlwp_dense512 --tier smoke`` in a subprocess, its report in Chromium."""
    from tests.conftest import only_run, run_suite

    reports_dir = tmp_path / "reports"
    result = run_suite("run", "dlwp_dense512", "--tier", "smoke", env={"SUITE_REPORTS_DIR": str(reports_dir)})
    assert result.returncode == 0, result.stderr[-3000:]
    page = reports_dir / "latest.html"
    assert page.exists(), result.stderr[-2000:]
    measured = _check_page(browser, page, only_run(reports_dir), {"dlwp_dense512"}, tmp_path, "smoke")
    assert measured["load_ms"] / 1000 < RENDER_BUDGET_S
    captions = browser.execute_script("return Array.from(document.querySelectorAll('figcaption')).map(f => f.textContent)")
    assert any("Learning curves" in caption for caption in captions)
