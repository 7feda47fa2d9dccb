"""`runner view` in headless Chromium over a runs folder the real runner filled: it loads, filters, opens an llm
trial's tree, shows hostile agent output as text, shows the report, and refreshes as a batch records trials."""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runner.trials import RunSettings, TrialRequest, run_trial
from spec import load_task
from tests.conftest import REPO, require
from tests.runner.test_results_cli import CATALOGUE, EXPECTED, HOSTILE, LLM_MODEL, build_runs

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
TOTAL = sum(EXPECTED.values())
SCREENSHOTS_ENV = "BENCHSMITH_VIEWER_SCREENSHOTS"
"""A folder to keep copies of the screenshots in (for a person to look at), if set."""


def _browser_missing() -> str | None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if shutil.which(str(path)) is None:
            return f"{path} is not installed"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed"
    return None


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require(_browser_missing(), ".ci/run must install chromium and chromium-driver (apt-get), and the dev extra")
    root = tmp_path_factory.mktemp("study")
    return build_runs(root / "runs", root / "cache")


@pytest.fixture(scope="module")
def server(runs: Path) -> Iterator[str]:
    """`runner view RUNS --port 0` as a user starts it; yields its address."""
    command = [sys.executable, "-c", "from runner.cli import main; main()", "view", str(runs), "--port", "0",
               "--refresh", "0.5", "--tasks-dir", str(REPO / "tasks")]  # fmt: skip
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "COLUMNS": "200"})  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()
    output = process.stdout
    assert output is not None

    def read() -> None:
        for line in output:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    try:
        said: list[str] = []
        while not any("http://" in line for line in said):
            try:
                said.append(lines.get(timeout=120))
            except queue.Empty:
                pytest.fail(f"runner view did not start: {''.join(said)}")
        line = said[-1]
        url = line[line.index("http://") :].split()[0]
        assert url.startswith("http://127.0.0.1:")
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1400,1000"):  # fmt: skip
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver: Any, condition: Any, timeout: float = 30) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(condition)


def _rows(driver: Any) -> list[Any]:
    from selenium.webdriver.common.by import By

    return list(driver.find_elements(By.CSS_SELECTOR, "#trials tbody tr.trial"))


def _screenshot(driver: Any, png: Path) -> None:
    """Save the page as `png` and check that it shows something (not one flat colour)."""
    import numpy as np
    from PIL import Image

    assert driver.save_screenshot(str(png))

    pixels = np.asarray(Image.open(png).convert("RGB"))
    assert pixels.shape[0] > 500 and pixels.shape[1] > 1000
    colours = np.unique(pixels.reshape(-1, 3), axis=0)
    assert len(colours) > 50 and pixels.std() > 10, "the screenshot is (nearly) one colour"
    if os.environ.get(SCREENSHOTS_ENV):
        Path(os.environ[SCREENSHOTS_ENV]).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(png, Path(os.environ[SCREENSHOTS_ENV]) / png.name)


def test_the_table_loads_and_filters_by_status(browser: Any, server: str, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(server)
    _wait(browser, lambda d: len(_rows(d)) == TOTAL)
    browser.set_window_size(1400, 1500)  # every row in view
    _screenshot(browser, tmp_path / "trials.png")
    browser.set_window_size(1400, 1000)
    statuses = {row.get_attribute("data-status") for row in _rows(browser)}
    assert statuses == set(EXPECTED)
    Select(browser.find_element(By.ID, "filter-status")).select_by_value("agent_error")  # submits on change
    _wait(browser, lambda d: "status=agent_error" in d.current_url and len(_rows(d)) == EXPECTED["agent_error"])
    assert {row.get_attribute("data-status") for row in _rows(browser)} == {"agent_error"}
    assert f"{EXPECTED['agent_error']} of {TOTAL} trial(s)" in browser.find_element(By.ID, "summary").text


def test_hostile_agent_output_is_shown_as_text(browser: Any, server: str) -> None:
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By

    browser.get(f"{server}?status=agent_error")
    _wait(browser, lambda d: len(_rows(d)) == EXPECTED["agent_error"])
    _rows(browser)[0].find_element(By.CSS_SELECTOR, "a.open").click()
    log = _wait(browser, lambda d: d.find_element(By.ID, "agent-log"))
    assert HOSTILE in log.text  # the markup is text on the page, not elements
    assert "pwned" not in browser.title and not browser.find_elements(By.CSS_SELECTOR, "#agent-log script, img")
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018
    with urllib.request.urlopen(browser.current_url, timeout=30) as response:
        raw = response.read().decode()
        policy = response.headers["Content-Security-Policy"]
    assert HOSTILE not in raw and "&lt;script&gt;document.title=" in raw
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]


def test_an_llm_trial_shows_its_tree_and_transcript(browser: Any, server: str, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{server}?model={LLM_MODEL}&status=ok")
    _wait(browser, lambda d: len(_rows(d)) == 2)
    [three_nodes] = [row for row in _rows(browser) if row.find_element(By.CSS_SELECTOR, "td.num").text == "0"]
    three_nodes.find_element(By.CSS_SELECTOR, "a.open").click()
    tree = _wait(browser, lambda d: d.find_element(By.ID, "tree"))
    nodes = tree.find_elements(By.CSS_SELECTOR, "details.node")
    assert [node.get_attribute("id") for node in nodes] == ["node-000", "node-001", "node-002"]
    assert "submitted" in browser.find_element(By.ID, "node-001").find_element(By.TAG_NAME, "summary").text
    first = browser.find_element(By.ID, "node-000")
    first.find_element(By.TAG_NAME, "summary").click()
    _wait(browser, lambda d: d.find_element(By.ID, "node-000").get_attribute("open") is not None)
    parts = first.find_elements(By.CSS_SELECTOR, ":scope > details.part")
    assert [part.find_element(By.TAG_NAME, "summary").text for part in parts] == ["prompt", "reply", "code", "output"]
    assert "no_such_column" in parts[2].find_element(By.TAG_NAME, "pre").text  # the code part opens with its node
    parts[3].find_element(By.TAG_NAME, "summary").click()
    _wait(browser, lambda d: "KeyError" in parts[3].find_element(By.TAG_NAME, "pre").text)
    assert "3000 in / 600 out" in browser.find_element(By.ID, "usage").text
    assert len(browser.find_elements(By.CSS_SELECTOR, "#events tbody tr")) >= 8
    browser.set_window_size(1400, 1800)
    _screenshot(browser, tmp_path / "llm-trial.png")
    browser.set_window_size(1400, 1000)
    browser.find_element(By.ID, "task-link").click()
    manifest = _wait(browser, lambda d: d.find_element(By.ID, "manifest"))
    assert "id: penguins-species" in manifest.text


def test_the_output_cap_is_marked_and_the_report_is_shown(browser: Any, server: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{server}?agent=command&status=ok")
    _wait(browser, lambda d: len(_rows(d)) == 1)
    _rows(browser)[0].find_element(By.CSS_SELECTOR, "a.open").click()
    marks = _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#earlier-caps mark.cap"))
    assert "bytes of output left out here" in marks[0].text
    assert "[viewer: the first" in browser.find_element(By.ID, "agent-log").text  # the viewer's own cut, too
    browser.get(f"{server}report/")
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "table"), timeout=120)
    images = browser.find_elements(By.CSS_SELECTOR, "img")
    assert images and all(browser.execute_script("return arguments[0].naturalWidth", image) > 0 for image in images)


def test_the_list_follows_a_batch_as_it_runs(browser: Any, server: str, runs: Path) -> None:
    from selenium.webdriver.common.by import By

    browser.get(server)
    _wait(browser, lambda d: len(_rows(d)) >= TOTAL)
    before = len(_rows(browser))
    settings = RunSettings(runs_dir=runs, backend="local", cache_root=runs.parent / "cache")
    task = load_task(CATALOGUE / "penguins-species.yaml")
    slow = 'sleep 6; cp /data/sample_submission.csv "$BENCHSMITH_SUBMISSION"'
    batch = threading.Thread(target=run_trial, args=(TrialRequest(task, "command", args=(slow,), seed=7), settings))
    batch.start()
    try:
        # While it runs, the page lists it as started and not ended; once recorded, in the table.
        running = _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#unfinished tr.unfinished"))
        assert "/seed-7" in running[0].text
        _wait(browser, lambda d: len(_rows(d)) == before + 1 and not d.find_elements(By.ID, "unfinished"))
    finally:
        batch.join()


def test_the_cli_loads_no_web_library_until_view_runs() -> None:
    probe = (
        "import contextlib, io, sys\n"
        "from runner.cli import main\n"
        "sys.argv = ['runner', 'view', '--help']\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main()\n"
        "print(sorted(m for m in ('fastapi', 'uvicorn', 'jinja2', 'starlette') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stderr


def test_a_missing_runs_folder_is_a_usage_error(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "from runner.cli import main; main()", "view", str(tmp_path / "nowhere")],
        capture_output=True, text=True, timeout=120, cwd=REPO,
    )  # fmt: skip
    assert done.returncode == 2 and "does not exist" in done.stderr and "Traceback" not in done.stderr
