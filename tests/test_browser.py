"""The report and `serve` in a real browser: Debian's headless Chromium driven by Selenium through the system's
chromedriver (.ci/run installs both). Nothing is skipped: without them these tests fail and say what to install.

Screenshots go to the test's temporary folder, or to $CNNCALC_SCREENSHOTS when set (docs/images/ was made so).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import SPECS, report_of

from cnncalc import grouping
from cnncalc.report import html
from cnncalc.spec import load_spec
from cnncalc.views import summarize

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT = 15  # seconds: every wait is bounded


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    if missing:
        pytest.fail(f"{', '.join(missing)} missing: the browser tests need Debian's chromium and chromium-driver "
                    "(apt-get install -y chromium chromium-driver; .ci/run does it)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        pytest.fail("selenium missing: pip install -e '.[test]'")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1500,1000", "--disable-extensions", "--no-first-run"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(WAIT)
    driver.set_script_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()


def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("CNNCALC_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def wait_for(driver: Any, script: str, what: str) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT).until(lambda d: d.execute_script(script), message=what)


def choose(driver: Any, select_id: str, value: str) -> None:
    """Pick an option of a <select> as a user does (the change event fires); typing its text is timing-dependent."""
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element("id", select_id)).select_by_value(value)


def console_errors(driver: Any) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def css(driver: Any, selector: str) -> list[Any]:
    return driver.find_elements("css selector", selector)


def open_report(driver: Any, tmp_path: Path, name: str) -> float:
    """Write the report of specs/NAME.yaml, open it from disk; the page's own render time in ms."""
    page = tmp_path / f"{name}.html"
    page.write_text(html(load_spec(SPECS / f"{name}.yaml")), encoding="utf-8")
    driver.get(page.as_uri())
    return float(wait_for(driver, "return window.cnncalcRendered", f"{name}: the page never finished drawing"))


# (spec, a block to open, a shape a box must show (the papers' tables), a leaf to click)
REPORTS = [
    ("vgg16", (), "224x224x64", "conv1"),
    ("resnet50", ("conv2_x", "conv2_x.0", "conv2_x.1"), "56x56x256", "conv1"),
    ("googlenet", ("inception_3a",), "28x28x256", "conv1"),
    ("densenet121", ("denseblock1",), "56x56x256", "conv0"),
    ("alexnet", (), "55x55x96", "conv1"),
]


@pytest.mark.parametrize(("name", "blocks", "shape", "leaf"), REPORTS, ids=[r[0] for r in REPORTS])
def test_report_in_the_browser(browser: Any, tmp_path: Path, name: str, blocks: tuple[str, ...], shape: str,
                               leaf: str) -> None:
    rendered_ms = open_report(browser, tmp_path, name)
    report = report_of(f"{name}.yaml")
    top = css(browser, "#drawing [data-top='1']")
    assert len(top) == len(grouping.rows(report, 1))  # one box per top-level row
    assert shape in [e.text for e in css(browser, "#drawing .box text.shape")]
    params = summarize.data(report)["totals"]["params"]
    assert f"Total params: {params:,}" in browser.find_element("id", "totals").text
    assert len(css(browser, "#table tbody tr")) == len(grouping.rows(report, 1)) + 1  # + the input row

    css(browser, f"#drawing .box[data-name='{leaf}']")[0].click()
    detail = browser.find_element("id", "detail").text
    assert detail.startswith(leaf) and "Parameters" in detail  # explain's worked solution
    for block in blocks:  # each opens on click, its rows drawn inside
        css(browser, f"#drawing .box.block[data-name='{block}']")[0].click()
        assert css(browser, f"#drawing .open-block[data-name='{block}']"), f"{block} did not open"
    if blocks:
        assert len(css(browser, "#drawing .box")) > len(top)
    if name == "resnet50":  # conv2_x.0 projects its shortcut; conv2_x.1 adds its input back: a bypass line
        assert css(browser, "#drawing .plus") and css(browser, "#drawing path.bypass")
    choose(browser, "metric", "1")  # box shows: params
    assert css(browser, "#drawing rect.bar"), "the params switch draws bars"
    assert console_errors(browser) == []
    browser.save_screenshot(str(shots(tmp_path) / f"report_{name}.png"))
    assert rendered_ms < 1000, f"{name} rendered in {rendered_ms:.0f} ms"


def test_densenet201_renders_in_under_a_second(browser: Any, tmp_path: Path) -> None:
    rendered_ms = open_report(browser, tmp_path, "densenet201")
    loaded = browser.execute_script("return performance.getEntriesByType('navigation')[0].loadEventEnd")
    print(f"DenseNet-201: drawn at {rendered_ms:.0f} ms, load event at {loaded:.0f} ms")
    assert rendered_ms < 1000 and console_errors(browser) == []
    browser.find_element("id", "expand-all").click()  # every block open: ~1000 boxes
    assert len(css(browser, "#drawing .box")) > 700


def test_the_table_sorts_by_exact_values(browser: Any, tmp_path: Path) -> None:
    open_report(browser, tmp_path, "vgg16")
    header = next(th for th in css(browser, "#table th") if th.text == "params")
    header.click()
    header.click()  # descending
    first = css(browser, "#table tbody tr")[0].get_attribute("data-name")
    assert first == "fc1"  # 7*7*512*4096 + 4096 = 102,764,544: the slides' "most params in the first FC layer"


# --- serve ----------------------------------------------------------------------------------------------------------


def type_over(driver: Any, old: str, new: str) -> None:
    """Select `old` in the editor and type `new` over it, key by key, as a user does."""
    from selenium.webdriver.common.action_chains import ActionChains

    driver.execute_script("var t = document.getElementById('yaml'), i = t.value.indexOf(arguments[0]);"
                          "if (i < 0) { throw new Error('not in the editor: ' + arguments[0]); }"
                          "t.focus(); t.setSelectionRange(i, i + arguments[0].length);", old)
    ActionChains(driver).send_keys(new).perform()


def rendered(driver: Any, count: int) -> None:
    wait_for(driver, f"return Number(document.body.getAttribute('data-rendered')) >= {count}",
             "the server's answer never came")


def test_serve_edits_live(browser: Any, served: tuple[str, Path], tmp_path: Path) -> None:
    base, spec = served
    browser.get(base)
    wait_for(browser, "return window.cnncalcRendered", "the served page never finished drawing")
    assert "Total params: 25,557,032" in browser.find_element("id", "totals").text
    boxes = len(css(browser, "#drawing [data-top='1']"))

    type_over(browser, "fc: {units: 1000}", "fc: {units: 10}")
    # 25,557,032 less the 990 dropped classes' 2048 weights and bias each: 23,528,522
    wait_for(browser, "return document.getElementById('totals').textContent.includes('23,528,522')",
             "the params never changed to 23,528,522")
    fc = next(r.text for r in css(browser, "#table tbody tr") if r.get_attribute("data-name") == "fc")
    assert "1*1*2048*10 + 10 = 20,490" in fc  # the table's formula, with the new number of classes

    trips = []
    current = "10"
    for units in ("11", "12", "10"):  # the round trip: a keystroke's POST to the redrawn page
        before = int(browser.find_element("tag name", "body").get_attribute("data-rendered") or 0)
        type_over(browser, f"fc: {{units: {current}}}", f"fc: {{units: {units}}}")
        current = units
        rendered(browser, before + 1)
        trips.append(int(browser.find_element("id", "status").text.split()[2]))
    print(f"serve round trips (ResNet-50): {trips} ms")
    assert min(trips) < 300

    line = next(i for i, t in enumerate(spec.read_text().splitlines(), 1) if "name: fc," in t)
    type_over(browser, "fc: {units: 10}", "fc: {units: ten}")  # a broken line
    wait_for(browser, "return !document.getElementById('error').hidden", "no error shown")
    error = browser.find_element("id", "error").text
    assert error.startswith(f"Error: {spec}:{line}: layers[9].fc.units: ")
    assert [e.text for e in css(browser, "#gutter .bad")] == [str(line)]  # the error at its line
    assert len(css(browser, "#drawing [data-top='1']")) == boxes  # the last good drawing stays
    assert "23,528,522" in browser.find_element("id", "totals").text
    browser.save_screenshot(str(shots(tmp_path) / "serve_error.png"))

    type_over(browser, "fc: {units: ten}", "fc: {units: 10}")
    wait_for(browser, "return document.getElementById('error').hidden", "the error never cleared")
    browser.save_screenshot(str(shots(tmp_path) / "serve.png"))
    assert spec.read_text() == (SPECS / "resnet50.yaml").read_text()  # nothing saved until Save
    browser.find_element("id", "save").click()
    deadline = time.monotonic() + WAIT
    while "units: 10}" not in spec.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert spec.read_text() == (SPECS / "resnet50.yaml").read_text().replace("units: 1000", "units: 10")

    choose(browser, "zoo", "vgg16")  # the zoo menu: a shipped spec into the editor
    wait_for(browser, "return document.getElementById('totals').textContent.includes('138,357,544')",
             "VGG-16 from the zoo never showed torchvision's 138,357,544 params")
    assert browser.execute_script("return document.getElementById('yaml').value") == (SPECS / "vgg16.yaml").read_text()
    assert console_errors(browser) == []


def test_symbolic_report_in_the_browser(browser: Any, tmp_path: Path) -> None:
    from cnncalc.spec import parse_input

    page = tmp_path / "symbolic.html"
    shape = parse_input("HxWx3", line=None, field="--input", channels=3)
    page.write_text(html(load_spec(SPECS / "alexnet.yaml"), shape), encoding="utf-8")
    browser.get(page.as_uri())
    wait_for(browser, "return window.cnncalcRendered", "the symbolic page never finished drawing")
    conv1 = css(browser, "#drawing .box[data-name='conv1'] text.shape")[0].text
    assert "H" in conv1 and "W" in conv1  # a formula, not a number
    assert "H ≡ 3 (mod 32)" in browser.find_element("id", "totals").text  # 227 = 7·32 + 3, the slides' size
    assert console_errors(browser) == []


def test_every_zoo_spec_draws_without_errors(browser: Any, tmp_path: Path) -> None:
    failures = []
    for path in sorted(SPECS.glob("*.yaml")):
        rendered_ms = open_report(browser, tmp_path, path.stem)
        expected = len(grouping.rows(report_of(path.name), 1))
        drawn = len(css(browser, "#drawing [data-top='1']"))
        errors = console_errors(browser)
        if drawn != expected or errors or rendered_ms >= 1000:
            failures.append(f"{path.name}: {drawn} boxes for {expected} rows, {rendered_ms:.0f} ms, {errors}")
    assert failures == []
