"""`runner report` over real research trials: AUP in both modes against each task's declared baseline."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, REPO, RUNNER, require_bwrap

RESEARCH = FIXTURES / "research"
# One command for both tasks: a better ridge on diabetes-ridge; a losing strategy on pennies-duel.
COMMAND = (
    "if [ -f baseline.py ]; then sed -i 's/1.0 \\* np.eye/1e-6 * np.eye/' baseline.py && python baseline.py; "
    "else printf 'def move(history):\\n    return 1\\n' > strategy.py; fi"
)


def _runner(*arguments: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "250", "NO_COLOR": "1"}
    return subprocess.run([*RUNNER, *arguments], capture_output=True, text=True, cwd=REPO, env=env, timeout=600)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_bwrap()
    root = tmp_path_factory.mktemp("research-runs")
    tasks = [str(RESEARCH / "diabetes-ridge.yaml"), str(RESEARCH / "pennies-duel.yaml")]
    common = ["--backend", "local", "--runs-dir", str(root / "runs"), "--cache-dir", str(root / "cache")]
    for agent in (["--agent", "baseline"], ["--agent", "command", "--agent-arg", COMMAND]):
        done = _runner("exec", *tasks, *agent, *common)
        assert done.returncode == 0, done.stdout + done.stderr
    return root / "runs"


def test_json_report_has_aup_in_both_modes_against_the_declared_baselines(runs: Path) -> None:
    done = _runner("report", str(runs), "--format", "json", "--rounds", "50")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["summary"] == {"trials": 4, "valid": 4, "agents": 2, "tasks": 2}
    tasks = {row["task_id"]: row for row in report["tasks"]}
    assert tasks["diabetes-ridge"]["baseline"] == 0.32225 and tasks["pennies-duel"]["baseline"] == 0.375
    assert {row["baseline_source"] for row in tasks.values()} == {"recorded baseline"}
    for mode in ("mlgym", "fixed"):
        section = report["aup"][mode]
        assert section["available"] is True, section["reason"]
        assert sorted(section["tasks"]) == ["diabetes-ridge", "pennies-duel"]
        rows = {row["agent"]: row for row in section["agents"]}
        assert set(rows) == {"baseline", *(label for label in rows if label.startswith("command-"))}
        for row in rows.values():
            assert row["floor"] <= row["aup"] <= row["maximum"]
            # one seed per agent and task: the best of runs is that run, and a trial's best attempt is its last
            # submission, so MLGym's Best and Last AUPs are the mean-score AUP here
            assert row["best"] == row["last"] == pytest.approx(row["aup"])
    fixed = {row["agent"].split("-")[0]: row for row in report["aup"]["fixed"]["agents"]}
    # command: best on diabetes (q = 1, counted over the whole grid), fails pennies (sits at tau_max): 1/2.
    assert fixed["command"]["aup"] == pytest.approx(0.5)
    assert fixed["baseline"]["aup"] < fixed["command"]["aup"]
    assert fixed["baseline"]["floor"] == 0 and fixed["baseline"]["maximum"] == pytest.approx(1.0)


def test_text_report_shows_aup_columns_for_research_results(runs: Path) -> None:
    done = _runner("report", str(runs), "--rounds", "50")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    for header in ("AUP mlgym", "AUP fixed", "mlgym floor", "mlgym Best", "mlgym Last", "fixed Best"):
        assert header in done.stdout, header
    assert "AUP skipped" not in done.stdout and "not computed" not in done.stdout
    # the fixed mode is the headline; MLGym's comes with its all-fail floor beside it
    assert done.stdout.index("AUP fixed") < done.stdout.index("AUP mlgym")
    assert "(all-fail floor " in done.stdout and "failing is nearly free" in " ".join(done.stdout.split())


def test_markdown_report_of_real_trials_shows_statuses_and_explains_labels(runs: Path) -> None:
    done = _runner("report", str(runs), "--format", "md", "--rounds", "50")
    assert done.returncode == 0, done.stderr
    text = done.stdout
    statuses = text.split("## Statuses\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert statuses[0] == "| agent | trials | ok |"  # only the statuses that occurred get a column
    assert all(line.endswith("| 2 | 2 |") for line in statuses[2:])
    assert "## Failures: most frequent reasons\n\nevery trial ended ok\n" in text
    labels = text.split("## Agent labels\n\n", 1)[1].split("\n\n", 1)[0].splitlines()
    command = next(line for line in labels if line.startswith("| command-"))
    label = command.split(" | ")[0].removeprefix("| ")
    assert command.split(" | ")[3] == label.removeprefix("command-")  # the arguments hash, spelled out
    assert "SHA-256" in text
