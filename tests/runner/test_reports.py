"""`runner report` over synthetic runs written with the real TrialResult model: text, json, csv, parquet, html."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from rich.cells import cell_len

from runner.reports import (
    INDENT,
    STATUSES,
    TOP_REASONS,
    TRIAL_COLUMNS,
    DisplayTable,
    build_report,
    display_tables,
    load_trials,
    report_json,
    write_html,
)
from runner.results import (
    CompetitionDetails,
    Lock,
    ResearchDetails,
    SpeedrunDetails,
    TrialDetails,
    TrialResult,
    TrialStatus,
    iter_results,
    write_result,
)
from tests.conftest import REPO, RUNNER, require

ROUNDS = "200"

AGENTS = {"sample": "sample", "baseline": "baseline", "command": "command-9f8e7d6c"}
DIGEST_A = "a" * 12 + "0" * 52
DIGEST_B = "b" * 12 + "1" * 52
# task id -> (kind, higher_is_better); penguins-species is run at two digests (seed 0 at A, seed 1 at B).
TASKS = {
    "penguins-species": ("competition", True),
    "diabetes-progression": ("competition", False),
    "tiny-lm": ("research", False),
    "nanogpt-speedrun": ("speedrun", False),
}
# Mean quality of each agent (0 worst, 1 best): command > baseline > sample, except on two tasks, so that no agent
# wins or loses every match (perfect separation would make the Elo interval degenerate).
QUALITY = {"sample": 0.1, "baseline": 0.5, "command": 0.9}
UPSETS = {("baseline", "nanogpt-speedrun"): 0.95, ("sample", "diabetes-progression"): 0.6}
INVALID = {("command", "diabetes-progression", 1), ("baseline", "tiny-lm", 0), ("sample", "tiny-lm", 0),
           ("sample", "tiny-lm", 1), ("baseline", "nanogpt-speedrun", 1)}  # fmt: skip


def _result(agent: str, task: str, seed: int) -> TrialResult:
    kind, higher = TASKS[task]
    digest = (DIGEST_A if seed == 0 else DIGEST_B) if task == "penguins-species" else f"{task[:4]:0<8}" + "c" * 56
    quality = UPSETS.get((agent, task), QUALITY[agent]) + 0.05 * seed
    status: TrialStatus = "timeout" if (agent, task, seed) in INVALID else "ok"
    valid = status == "ok"
    score = (0.5 + 0.5 * quality if higher else 100.0 * (1.2 - quality)) if valid else None
    medal = None
    if valid and kind == "competition":
        medal = "gold" if quality >= 0.9 else ("bronze" if quality >= 0.5 else None)
    details: TrialDetails
    if kind == "research":
        details = ResearchDetails(baseline_score=105.0)
    elif kind == "speedrun":
        details = SpeedrunDetails(hint_level=seed, time_s=score, fsr=quality if valid else None)
    else:
        details = CompetitionDetails()
    label = AGENTS[agent]
    return TrialResult(
        trial_id=f"{task}@{digest[:12]}/{label}/seed-{seed}", task_id=task, task_version="1.0.0", task_digest=digest,
        kind=kind, agent=agent, agent_label=label, seed=seed, backend="local", status=status,
        reason=None if valid else "time limit", score=score, higher_is_better=higher, medal=medal,
        above_median=valid and quality >= 0.5, percentile=quality if valid else None,
        normalized_score=quality if valid else None, started_at=datetime(2025, 1, 1, tzinfo=UTC), duration_s=12.5,
        details=details, lock=Lock(backend="local", benchsmith="0.1.0"),
    )  # fmt: skip


def _write_runs(root: Path) -> int:
    count = 0
    for task in TASKS:
        for agent in AGENTS:
            for seed in (0, 1):
                result = _result(agent, task, seed)
                write_result(root / result.trial_id, result)
                count += 1
    return count


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("runs")
    assert _write_runs(root) == 24
    return root


def run(*arguments: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run([*RUNNER, *arguments], capture_output=True, text=True, cwd=REPO, env=env, timeout=120)


@pytest.fixture(scope="module")
def json_report(runs: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, object], str, Path]:
    out = tmp_path_factory.mktemp("json-out")
    result = run("report", str(runs), "--format", "json", "--rounds", ROUNDS, "--out", str(out))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout), result.stderr, out


def test_text_report_has_elo_and_medal_columns(runs: Path) -> None:
    result = run("report", str(runs), "--rounds", ROUNDS)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    for header in ("Elo", "Elo 95% CI", "any medal %", "gold %", "valid %", "AUP mlgym", "AUP fixed", "mlgym floor"):
        assert header in result.stdout, header
    for agent in AGENTS.values():
        assert agent in result.stdout
    assert "wins-ties-losses" in result.stdout and "Per task" in result.stdout and "FSR" in result.stdout
    assert not (runs / "report").exists()  # text writes nothing unless --out is given


def test_json_report_sections_and_elo_interval(json_report: tuple[dict[str, object], str, Path]) -> None:
    report, _, out = json_report
    for section in ("summary", "agents", "elo", "aup", "fsr", "pairwise", "per_task", "tasks", "warnings", "notes"):
        assert section in report, section
    assert report["summary"] == {"trials": 24, "valid": 19, "agents": 3, "tasks": 5}
    elo = report["elo"]
    assert isinstance(elo, dict) and elo["available"] is True and elo["rounds"] == int(ROUNDS)
    ratings = {row["agent"]: row for row in elo["ratings"]}
    assert set(ratings) == set(AGENTS.values())
    for row in ratings.values():
        assert row["lower"] <= row["rating"] <= row["upper"]
    assert ratings["command-9f8e7d6c"]["rating"] > ratings["sample"]["rating"]
    agents = {row["agent"]: row for row in report["agents"]}  # type: ignore[attr-defined]
    assert agents["command-9f8e7d6c"]["trials"] == 8 and agents["command-9f8e7d6c"]["valid_pct"] == 87.5
    assert agents["command-9f8e7d6c"]["gold_pct"] == 37.5  # 3 of 8 trials: penguins x2, diabetes seed 0
    aup = report["aup"]
    assert isinstance(aup, dict)
    for mode in ("mlgym", "fixed"):
        assert aup[mode]["available"] is True, aup[mode]["reason"]
        for row in aup[mode]["agents"]:
            assert row["floor"] <= row["aup"] <= row["maximum"] + 1e-9
    fsr_levels = {(row["agent"], row["hint_level"]) for row in report["fsr"]}  # type: ignore[attr-defined]
    assert ("command-9f8e7d6c", 0) in fsr_levels and ("command-9f8e7d6c", 1) in fsr_levels
    pairs = {(row["agent"], row["opponent"]): row for row in report["pairwise"]}  # type: ignore[attr-defined]
    both = pairs[("command-9f8e7d6c", "sample")]
    assert both["wins"] + both["ties"] + both["losses"] == 5  # one match per task unit
    assert (out / "report.json").is_file() and (out / "trials.parquet").is_file()


def test_digests_reported_apart_with_a_warning(json_report: tuple[dict[str, object], str, Path]) -> None:
    report, stderr, _ = json_report
    tasks = {row["task"] for row in report["tasks"]}  # type: ignore[attr-defined]
    assert "penguins-species@aaaaaaaaaaaa" in tasks and "penguins-species@bbbbbbbbbbbb" in tasks
    assert "penguins-species" not in tasks
    assert "digests" in stderr and "penguins-species@aaaaaaaaaaaa" in stderr
    assert any("penguins-species" in warning for warning in report["warnings"])  # type: ignore[attr-defined]
    per_task = [row for row in report["per_task"] if str(row["task"]).startswith("penguins")]  # type: ignore[attr-defined]
    assert len(per_task) == 6 and all(row["trials"] == 1 for row in per_task)


def test_csv_files_and_parquet_round_trip(runs: Path, tmp_path: Path) -> None:
    out = tmp_path / "csv"
    result = run("report", str(runs), "--format", "csv", "--rounds", ROUNDS, "--out", str(out))
    assert result.returncode == 0, result.stderr
    for name in ("agents.csv", "elo.csv", "aup.csv", "fsr.csv", "pairwise.csv", "per_task.csv", "tasks.csv"):
        assert (out / name).is_file(), name
    agents = pd.read_csv(out / "agents.csv")
    assert sorted(agents["agent"]) == sorted(AGENTS.values())
    assert {"elo", "elo_lower", "elo_upper", "any_medal_pct", "gold_pct", "aup_mlgym", "aup_fixed"} <= set(agents)
    trials = pd.read_parquet(out / "trials.parquet")
    assert len(trials) == 24 and trials["trial_id"].is_unique
    assert list(trials.columns) == list(TRIAL_COLUMNS)
    assert trials["valid"].sum() == 19
    assert set(trials["task"]) >= {"penguins-species@aaaaaaaaaaaa", "penguins-species@bbbbbbbbbbbb"}


def test_malformed_result_is_skipped_with_a_warning(runs: Path, tmp_path: Path) -> None:
    copy = tmp_path / "runs"
    shutil.copytree(runs, copy)
    bad = copy / "broken@000000000000" / "sample" / "seed-0" / "result.json"
    bad.parent.mkdir(parents=True)
    bad.write_text('{"trial_id": "half a record", ', encoding="utf-8")
    wrong = copy / "wrong@000000000000" / "sample" / "seed-0" / "result.json"
    wrong.parent.mkdir(parents=True)
    wrong.write_text(json.dumps({"schema_version": 1, "task_id": 3}), encoding="utf-8")
    result = run("report", str(copy), "--format", "json", "--rounds", "20")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert str(bad) in result.stderr and str(wrong) in result.stderr
    assert json.loads(result.stdout)["summary"]["trials"] == 24


def test_only_the_runners_own_records_are_read(runs: Path, tmp_path: Path) -> None:
    """Result-shaped files anywhere else (agents' workspaces, stray folders, links) are never read; a real record
    moved into another trial's folder, or edited to claim another identity, is skipped with a warning."""
    copy = tmp_path / "runs"
    shutil.copytree(runs, copy)
    recorded = load_trials(copy).frame
    real = [folder for folder in sorted(copy.glob("*/*/seed-*")) if (folder / "result.json").is_file()]
    victim = real[0]
    forged = _result("command", "penguins-species", 0).model_copy(update={"medal": "gold", "score": 1.0})
    planted = forged.model_dump_json()
    for place in (
        victim / "workspace" / "code" / "result.json",
        victim / "workspace" / "submission" / "result.json",
        victim / "workspace" / "code" / forged.trial_id / "result.json",  # the real layout, inside a workspace
        copy / "result.json",
        copy / "loose" / "result.json",
        copy / "a@b" / "result.json",
        copy / "a@b" / "c" / "result.json",
        copy / "a@b" / "c" / "d" / "result.json",  # not a seed folder
        copy / "a@b" / "c" / "seed-0" / "deeper" / "result.json",
    ):
        place.parent.mkdir(parents=True, exist_ok=True)
        place.write_text(planted, encoding="utf-8")
    # A trial folder reached through a link, and a result.json that is a link, are never followed.
    (copy / "linked@000000000000").symlink_to(victim.parent.parent)
    fake = copy / "fake@000000000000" / "sample" / "seed-0"
    fake.mkdir(parents=True)
    (fake / "result.json").symlink_to(victim / "result.json")
    # A real record copied into another trial's folder, and one edited to name the folder it sits in.
    moved = copy / "moved@000000000000" / "sample" / "seed-3"
    moved.mkdir(parents=True)
    shutil.copyfile(victim / "result.json", moved / "result.json")
    edited = copy / "edited@000000000000" / "sample" / "seed-0"
    edited.mkdir(parents=True)
    edited_record = forged.model_copy(update={"trial_id": "edited@000000000000/sample/seed-0"})
    (edited / "result.json").write_text(edited_record.model_dump_json(), encoding="utf-8")

    loaded = load_trials(copy)
    assert sorted(loaded.frame["trial_id"]) == sorted(recorded["trial_id"])
    assert loaded.frame.equals(recorded)
    assert sorted(loaded.skipped) == sorted([edited / "result.json", fake / "result.json", moved / "result.json"])
    assert [folder for folder, _ in iter_results(copy)] == real
    result = run("report", str(copy), "--format", "json", "--rounds", "20")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["summary"]["trials"] == 24
    assert "not this trial's record" in result.stderr and "Traceback" not in result.stderr


def test_missing_or_empty_runs_dir_exits_2(tmp_path: Path) -> None:
    missing = run("report", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    empty = tmp_path / "empty"
    (empty / "junk@000000000000" / "sample" / "seed-0").mkdir(parents=True)
    (empty / "junk@000000000000" / "sample" / "seed-0" / "result.json").write_text("not json", encoding="utf-8")
    result = run("report", str(empty))
    assert result.returncode == 2 and "no trial results" in result.stderr
    assert "Traceback" not in result.stderr and "junk" in result.stderr


def test_elo_needs_two_agents_and_a_connected_graph(runs: Path, tmp_path: Path) -> None:
    frame = load_trials(runs).frame
    alone = build_report(frame[frame["agent_label"] == "sample"], rounds=10)
    assert not alone.elo.available and "at least 2 agents" in (alone.elo.reason or "")
    # sample only on diabetes, the others only elsewhere: no shared task, so no comparison with sample.
    split = frame[(frame["agent_label"] == "sample") == (frame["task_id"] == "diabetes-progression")]
    disconnected = build_report(split, rounds=10)
    assert not disconnected.elo.available and "not connected" in (disconnected.elo.reason or "")
    assert report_json(disconnected)["elo"] == {
        "available": False, "reason": disconnected.elo.reason, "rounds": 10, "seed": 0, "ratings": [],
    }  # fmt: skip
    no_baseline = build_report(frame[(frame["agent"] != "sample") & (frame["kind"] != "research")], rounds=10)
    assert all(not section.available for section in no_baseline.aup.values())
    assert "no task has a baseline" in (no_baseline.aup["mlgym"].reason or "")


def test_html_escapes_names_and_plots_them_literally(runs: Path, tmp_path: Path) -> None:
    frame = load_trials(runs).frame
    frame = frame[frame["task_id"] == "diabetes-progression"].copy()
    frame["agent_label"] = frame["agent_label"].replace({"sample": "<script>alert(1)</script>", "baseline": "$x^2$"})
    index = write_html(build_report(frame, rounds=10), tmp_path / "report")
    page = index.read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert sorted(path.name for path in (tmp_path / "report" / "img").iterdir()) == [
        "elo.png", "profiles.png", "scores-001.png", "win_matrix.png",
    ]  # fmt: skip


# ---------------------------------------------------------------------------------------------------------
# HTML in a real headless Chromium
# ---------------------------------------------------------------------------------------------------------


def _browser_paths() -> tuple[str, str]:
    """Chromium and chromedriver; missing ones skip the test, except under CI=true, where they fail it."""
    browser = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
    driver = shutil.which("chromedriver")
    problem = None
    if browser is None or driver is None:
        problem = "chromium and chromedriver are needed (Debian: apt-get install chromium chromium-driver)"
    else:
        try:
            import selenium  # noqa: F401
        except ImportError:
            problem = "selenium is needed (pip install selenium; it is in the dev extra)"
    require(problem, "the HTML report is checked in a real browser; .ci/run installs chromium and selenium")
    assert browser is not None and driver is not None
    return browser, driver


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[object]:
    browser, driver_path = _browser_paths()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in ("--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                 f"--user-data-dir={tmp_path / 'chromium-profile'}", "--window-size=1280,2000"):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    try:
        yield driver
    finally:
        driver.quit()


def test_html_report_renders_in_chromium(runs: Path, tmp_path: Path, chromium: object) -> None:
    from selenium.webdriver.remote.webdriver import WebDriver

    assert isinstance(chromium, WebDriver)
    copy = tmp_path / "runs"
    shutil.copytree(runs, copy)
    result = run("report", str(copy), "--format", "html", "--rounds", ROUNDS)
    assert result.returncode == 0, result.stderr
    built = copy / "report"
    assert (built / "index.html").is_file() and (built / "trials.parquet").is_file()
    moved = tmp_path / "elsewhere" / "moved-report"  # relative paths: the folder still works once moved
    shutil.move(built, moved)

    chromium.get((moved / "index.html").as_uri())
    rows = chromium.execute_script("return document.querySelectorAll('table.agents tbody tr').length")
    assert rows == len(AGENTS)
    tables = chromium.execute_script("return document.querySelectorAll('table').length")
    assert tables >= 5
    per_task_rows = chromium.execute_script("return document.querySelectorAll('table.per_task tbody tr').length")
    assert per_task_rows == 15  # 5 task units x 3 agents
    headers = chromium.execute_script(
        "return Array.from(document.querySelectorAll('table.agents th')).map(th => th.textContent)"
    )
    assert "Elo" in headers and "any medal %" in headers
    images = chromium.execute_script(
        "return Array.from(document.images).map(i => [i.getAttribute('src'), i.complete, i.naturalWidth])"
    )
    sources = [source for source, _, _ in images]
    assert {"img/elo.png", "img/win_matrix.png", "img/profiles.png"} <= set(sources)
    assert len(images) == 3 + 5  # plus one score distribution per task unit
    broken = [source for source, complete, width in images if not complete or width <= 0]
    assert broken == []
    warnings = chromium.execute_script("return document.querySelector('#warnings').textContent")
    assert "penguins-species@aaaaaaaaaaaa" in warnings


def test_text_report_is_plain_text_off_a_terminal_and_rich_tables_on_one(runs: Path) -> None:
    import io

    from rich.console import Console

    from runner.reports import render_text

    built = build_report(load_trials(runs).frame, rounds=10)
    plain, rich = io.StringIO(), io.StringIO()
    render_text(built, Console(file=plain, width=200))
    render_text(built, Console(file=rich, width=200, force_terminal=True, color_system=None))
    for text in (plain.getvalue(), rich.getvalue()):
        for shown in ("Elo 95% CI", "wins-ties-losses", "Per task", *AGENTS.values()):
            assert shown in text, shown
    assert "│" in rich.getvalue() and "│" not in plain.getvalue()
    agents = plain.getvalue().split("\nAgents\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert agents[0].split()[:2] == ["agent", "trials"] and set(agents[1]) == {"-", " "}
    # numbers are right-aligned under their header: each row's `trials` ends where the header's does
    end = agents[0].index("trials") + len("trials")
    assert len(agents) == 2 + len(AGENTS)
    assert all(row[end - 1].isdigit() and row[end] == " " for row in agents[2:])


# ---------------------------------------------------------------------------------------------------------
# How trials ended, unbounded intervals, the AUP caveat, agent labels
# ---------------------------------------------------------------------------------------------------------


def _sample_fails_everything(runs: Path) -> pd.DataFrame:
    """The fixture with every `sample` trial an agent_error: it loses every match (perfect separation)."""
    frame = load_trials(runs).frame.copy()
    sample = frame["agent"] == "sample"
    frame["status"] = frame["status"].where(~sample, "agent_error")
    frame["reason"] = frame["reason"].where(~sample, "the command exited with 1: boom\nmore")
    frame["valid"] = frame["valid"] & ~sample
    for column in ("score", "normalized_score", "percentile"):
        frame[column] = frame[column].where(~sample)
    frame["medal"] = frame["medal"].where(~sample, None)
    return frame


def test_status_breakdown_and_top_failure_reasons(runs: Path) -> None:
    built = build_report(_sample_fails_everything(runs), rounds=20)
    assert list(built.statuses.columns) == ["trials", *STATUSES] and STATUSES[0] == "ok"
    assert built.statuses.loc["sample"].to_dict() == {
        "trials": 8, "ok": 0, "invalid_submission": 0, "rule_violation": 0, "agent_error": 8, "timeout": 0, "oom": 0,
        "infra_error": 0,
    }  # fmt: skip
    assert built.statuses.loc["command-9f8e7d6c", "timeout"] == 1 and built.statuses.loc["baseline", "ok"] == 6
    failures = {(row.agent, row.status, row.reason): row.trials for row in built.failures.itertuples(index=False)}
    assert failures == {
        ("sample", "agent_error", "the command exited with 1: boom"): 8,  # the first line of the reason
        ("baseline", "timeout", "time limit"): 2,
        ("command-9f8e7d6c", "timeout", "time limit"): 1,
    }
    many = _sample_fails_everything(runs)
    many.loc[many["agent"] == "sample", "reason"] = [f"reason {index}" for index in range(8)]
    assert (build_report(many, rounds=5).failures["agent"] == "sample").sum() == TOP_REASONS
    data = report_json(built)
    assert data["statuses"][0] == {"agent": "baseline", **built.statuses.loc["baseline"].to_dict()}  # type: ignore[index]
    assert {"agent", "status", "reason", "trials"} == set(data["failures"][0])  # type: ignore[index]


def test_elo_interval_is_unbounded_with_its_reason_under_perfect_separation(runs: Path) -> None:
    built = build_report(_sample_fails_everything(runs), rounds=50)
    ratings = built.elo.ratings
    assert ratings.loc["sample", "interval"] == "unbounded (lost all)"
    assert ratings.loc["sample", "interval_reason"] == "it lost every match it played"
    assert ratings[["lower", "upper"]].loc["sample"].isna().all()
    # the others, together, won every match against sample: their level is as unbounded as sample's
    assert ratings["interval"].drop("sample").tolist() == ["unbounded (group won all)"] * 2
    assert ratings.loc["baseline", "interval_reason"] == (
        "its group (baseline, command-9f8e7d6c) won every match against the other agents"
    )
    data = report_json(built)
    sample = next(row for row in data["elo"]["ratings"] if row["agent"] == "sample")  # type: ignore[index]
    assert sample["lower"] is None and sample["upper"] is None and sample["interval"] == "unbounded (lost all)"
    agents = next(table for table in display_tables(built) if table.key == "agents")
    row = next(row for row in agents.rows if row[0] == "sample")
    assert row[agents.columns.index("Elo 95% CI")] == "unbounded (lost all)"
    assert any("sample: it lost every match it played" in note for note in built.notes)
    # without separation, the same data keeps its intervals and adds no such note
    plain = build_report(load_trials(runs).frame, rounds=50)
    assert plain.elo.ratings["interval"].isna().all()
    assert not any("Elo intervals not shown" in note for note in plain.notes)


def test_separation_finds_the_groups_no_finite_rating_fits() -> None:
    from runner.scoring import separation

    def sides(rows: list[tuple[str, str, str]]) -> dict[str, tuple[bool, bool, str]]:
        matches = pd.DataFrame(rows, columns=["a", "b", "winner"])
        found = separation(matches)
        return {str(agent): (bool(row.above), bool(row.below), str(row.group)) for agent, row in found.iterrows()}

    # a chain: A beats B and C, B beats C
    assert sides([("A", "B", "a"), ("A", "C", "a"), ("B", "C", "a")]) == {
        "A": (True, False, "A"), "B": (True, True, "B"), "C": (False, True, "C"),
    }  # fmt: skip
    # A and B took points off each other (a tie): one group, which beat C every time
    assert sides([("A", "B", "tie"), ("A", "C", "a"), ("C", "B", "b")]) == {
        "A": (True, False, "A, B"), "B": (True, False, "A, B"), "C": (False, True, "C"),
    }  # fmt: skip
    # an upset anywhere connects everyone: every rating is finite
    assert sides([("A", "B", "a"), ("B", "C", "a"), ("C", "A", "a")]) == {
        name: (False, False, "A, B, C") for name in "ABC"
    }


def test_an_agent_failing_every_trial_does_not_look_competitive_in_aup(runs: Path) -> None:
    built = build_report(_sample_fails_everything(runs), rounds=20)
    agents = next(table for table in display_tables(built) if table.key == "agents")
    assert agents.columns.index("AUP fixed") < agents.columns.index("AUP mlgym")  # the headline comes first
    cells = {row[0]: dict(zip(agents.columns, row, strict=True)) for row in agents.rows}
    assert cells["sample"]["AUP fixed"] == "0.000"
    assert cells["sample"]["AUP mlgym"].endswith("(= all-fail floor)")
    assert "(all-fail floor " in cells["command-9f8e7d6c"]["AUP mlgym"]


def test_agent_labels_are_explained(runs: Path) -> None:
    built = build_report(load_trials(runs).frame, rounds=5)
    labels = {row.agent_label: row for row in built.labels.itertuples(index=False)}
    assert labels["command-9f8e7d6c"].agent == "command" and labels["command-9f8e7d6c"].arguments_hash == "9f8e7d6c"
    assert labels["sample"].arguments_hash is None
    table = next(table for table in display_tables(built) if table.key == "labels")
    assert table.caption is not None and "SHA-256" in table.caption and "--agent-arg" in table.caption
    tasks = next(table for table in display_tables(built) if table.key == "tasks")
    assert "task id" not in tasks.columns  # the task column already names it
    from runner.reports._compute import _labels

    made = pd.DataFrame(
        {
            "agent_label": ["sample-r2-h1+2", "command-da61cd58-r1-diff", "llm-gpt-4o-mini-0a1b2c3d"],
            "agent": ["sample", "command", "llm"], "model": [None, None, "gpt-4o-mini"],
        }
    )  # fmt: skip
    parts = {row.agent_label: (row.model, row.arguments_hash, row.variant) for row in _labels(made).itertuples()}
    assert parts == {
        "command-da61cd58-r1-diff": (None, "da61cd58", "r1-diff"),
        "llm-gpt-4o-mini-0a1b2c3d": ("gpt-4o-mini", "0a1b2c3d", None),
        "sample-r2-h1+2": (None, None, "r2-h1+2"),
    }


# ---------------------------------------------------------------------------------------------------------
# Text at 80 columns, Markdown
# ---------------------------------------------------------------------------------------------------------


def _is_cut(cell: str, full: str) -> bool:
    """`cell` is `full` shortened with one ellipsis, keeping a prefix and a suffix of it."""
    if cell.count("…") != 1 or len(cell) >= len(full) + full.count("…"):
        return False
    head, tail = cell.split("…")
    return full.startswith(head) and full.endswith(tail)


def _assert_no_cell_split(text: str, tables: list[DisplayTable], width: int) -> None:
    """Every line fits `width`; every table row is one line whose cells, cut at the rule's column spans, are the
    row's cells (whole, or cut with an ellipsis), followed by one indented line per prose column printed under
    it: no cell is continued on another line."""
    lines = text.splitlines()
    assert max(cell_len(line) for line in lines) <= width
    by_title = {table.title: table for table in tables if table.rows}
    seen = set()
    for number, line in enumerate(lines):
        if not line or set(line) - {"-", " "}:
            continue
        head = number - 1
        below: list[str] = []
        while lines[head].startswith(INDENT):  # prose columns printed under each row
            below.insert(0, lines[head].strip())
            head -= 1
        start = head - 1
        while start > 0 and lines[start - 1]:  # a title longer than the width wraps onto several lines
            start -= 1
        title = re.sub(r" \(\d+ of \d+\)$", "", " ".join(lines[start:head]))
        shown = by_title[title]
        spans = [match.span() for match in re.finditer(r"-+", line)]
        header = [lines[head][begin:end].strip() for begin, end in spans]
        columns = [shown.columns.index(name) for name in header]
        prose = [shown.columns.index(name) for name in below]
        assert set(prose) <= shown.free_text
        assert columns[: shown.keys] == list(range(shown.keys))  # the row's names start every part
        step = 1 + len(prose)
        body = lines[number + 1 : number + 1 + step * len(shown.rows)]
        assert len(body) == step * len(shown.rows)
        for position, row in enumerate(shown.rows):
            printed = body[step * position]
            for index, (begin, end) in zip(columns, spans, strict=True):
                cell = printed[begin:end].strip()
                assert cell == row[index] or _is_cut(cell, row[index]), (title, row[index], cell)
            assert len(printed) <= spans[-1][1]  # nothing spills past the last column
            for index, under in zip(prose, body[step * position + 1 : step * (position + 1)], strict=True):
                assert under.startswith(INDENT)
                assert under.strip() == row[index] or _is_cut(under.strip(), row[index])
        rest = number + 1 + step * len(shown.rows)
        after = lines[rest] if rest < len(lines) else ""
        assert after == "" or (shown.caption or "").startswith(after.split()[0]), after
        seen.add(title)
    assert seen == set(by_title)


def test_piped_text_report_fits_80_columns_and_never_splits_a_cell(runs: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key not in ("COLUMNS", "LINES")}
    done = subprocess.run(
        [*RUNNER, "report", str(runs), "--rounds", "20"], capture_output=True, text=True, cwd=REPO,
        env={**env, "NO_COLOR": "1", "TERM": "dumb"}, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    built = build_report(load_trials(runs).frame, rounds=20, runs_dir=runs)
    tables = display_tables(built)
    assert "Statuses" in done.stdout and "Failures: most frequent reasons" in done.stdout
    _assert_no_cell_split(done.stdout, tables, 80)
    assert "Agents (1 of" in done.stdout  # the agents table is too wide for 80 columns: split, not folded
    import io

    from rich.console import Console

    from runner.reports import render_text

    assert "\nFailures: most frequent reasons\n" in done.stdout  # one part: each reason stays with its row
    for width in (50, 60, 100):
        narrow = io.StringIO()
        render_text(built, Console(file=narrow, width=width))
        _assert_no_cell_split(narrow.getvalue(), tables, width)
    failing = build_report(_sample_fails_everything(runs), rounds=20)
    narrow = io.StringIO()
    render_text(failing, Console(file=narrow, width=50))
    _assert_no_cell_split(narrow.getvalue(), display_tables(failing), 50)
    assert f"\n{INDENT}the command exited with 1: boom\n" in narrow.getvalue()  # a reason goes under its row
    on_terminal = io.StringIO()
    render_text(built, Console(file=on_terminal, width=80, force_terminal=True, color_system=None))
    assert max(cell_len(line) for line in on_terminal.getvalue().splitlines()) <= 80


def test_markdown_report(runs: Path, tmp_path: Path) -> None:
    done = run("report", str(runs), "--format", "md", "--rounds", "20", "--out", str(tmp_path / "md"))
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert text.startswith("# benchsmith report") and (tmp_path / "md" / "report.md").read_text() == text
    for heading in ("## Agents", "## Statuses", "## Failures: most frequent reasons", "## Per task", "## Notes"):
        assert f"\n{heading}\n" in text, heading
    agents = text.split("## Agents\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert agents[0].startswith("| agent | trials |") and agents[1].startswith("|---|---:|")
    assert len(agents) == 2 + len(AGENTS) and all(line.count("|") == agents[0].count("|") for line in agents)


# ---------------------------------------------------------------------------------------------------------
# Plots never clip
# ---------------------------------------------------------------------------------------------------------


def test_plots_keep_every_label_inside_the_figure(runs: Path) -> None:
    from matplotlib.backend_bases import RendererBase
    from matplotlib.text import Text
    from matplotlib.transforms import Bbox

    from runner.reports._plots import figures, fit

    frame = load_trials(runs).frame
    frame = frame[frame["agent"] != "baseline"].copy()  # two agents: a short figure under a tall colorbar label
    long = "command-with-a-rather-long-label-gpt-4o-mini-2024-07-18-da61cd58"
    frame["agent_label"] = frame["agent_label"].replace({"command-9f8e7d6c": long})
    frame["task"] = frame["task"].replace({"tiny-lm": "tiny-lm-with-an-unusually-long-task-name-for-a-plot-title"})
    built = build_report(frame, rounds=20)
    drawn: list[tuple[Text, Bbox]] = []
    original = Text.draw

    def record(self: Text, renderer: RendererBase) -> None:
        original(self, renderer)
        if self.get_visible() and self.get_text().strip():
            drawn.append((self, self.get_window_extent(renderer)))

    keys = []
    for plot, figure in figures(built):
        keys.append(plot.key)
        fit(figure)
        assert figure.canvas is not None
        drawn.clear()
        Text.draw = record  # type: ignore[method-assign,assignment]
        try:
            figure.canvas.draw()
        finally:
            Text.draw = original  # type: ignore[method-assign]
        assert drawn, plot.key
        box = figure.bbox
        for text, extent in drawn:
            inside = (extent.x0 >= box.x0 - 0.5 and extent.y0 >= box.y0 - 0.5 and extent.x1 <= box.x1 + 0.5
                      and extent.y1 <= box.y1 + 0.5)  # fmt: skip
            assert inside, (plot.key, text.get_text(), extent, box)
    assert {"elo", "win_matrix", "profiles", "scores"} <= set(keys)


# ---------------------------------------------------------------------------------------------------------
# Reading results in bulk
# ---------------------------------------------------------------------------------------------------------


def test_bulk_reading_gives_the_models_table(runs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import runner.reports._load as loading

    fast = load_trials(runs)
    monkeypatch.setattr(loading, "checked", lambda record: None)  # every record through TrialResult
    slow = load_trials(runs)
    assert fast.frame.equals(slow.frame) and list(fast.frame.dtypes) == list(slow.frame.dtypes)
    assert fast.warnings == slow.warnings


def test_records_of_an_older_runner_read_in_bulk_with_the_models_defaults(
    runs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import runner.reports._load as loading
    from runner.reports._records import checked

    copy = tmp_path / "runs"
    shutil.copytree(runs, copy)
    for path in sorted(copy.glob("*/*/seed-*/result.json")):
        record = json.loads(path.read_text())
        for optional in ("usage", "trivial_score", "attempts", "thresholds", "run_config"):
            record.pop(optional, None)  # fields a runner of the same schema version may not have written yet
        record["details"].pop("submission_file", None)
        path.write_text(json.dumps(record), encoding="utf-8")
        assert checked(record) is not None, path  # the bulk path takes it
    fast = load_trials(copy)
    monkeypatch.setattr(loading, "checked", lambda record: None)
    slow = load_trials(copy)
    assert len(fast.frame) == 24 and fast.frame.equals(slow.frame)


def test_records_not_of_the_runners_exact_shape_are_judged_by_the_model(runs: Path, tmp_path: Path) -> None:
    copy = tmp_path / "runs"
    shutil.copytree(runs, copy)
    files = sorted(copy.glob("*/*/seed-*/result.json"))
    edits: list[dict[str, object]] = [
        {"seed": str(json.loads(files[0].read_text())["seed"])},  # lax but valid: the model accepts it
        {"x-note": "an extension key"},  # valid: extension keys are allowed
        {"percentile": 1.5},  # out of bounds: the model refuses it
        {"status": "exploded"},  # not a status
        {"duration_s": -1},
    ]
    for path, edit in zip(files, edits, strict=False):
        record = json.loads(path.read_text())
        record.update(edit)
        path.write_text(json.dumps(record), encoding="utf-8")
    loaded = load_trials(copy)
    assert len(loaded.frame) == 24 - 3
    assert sorted(loaded.skipped) == sorted(files[2:5])
    assert all("not a valid result" in warning for warning in loaded.warnings if "skipped" in warning)
    assert loaded.frame.loc[loaded.frame["path"] == str(files[0].parent.relative_to(copy)), "seed"].dtype == "int64"
