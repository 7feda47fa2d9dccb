"""`runner results` and `runner show` over a runs folder the real runner filled (31 trials, five statuses)."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from rich.cells import cell_len

from runner.results import iter_results
from runner.trials import RunSettings, TrialRequest, run_trial
from spec import load_task
from tests.conftest import REPO, RUNNER, require_bwrap
from tests.runner.test_llm_agent import CRASH, FOREST, constant, reply
from tests.runner.test_llm_client import KEY, KEY_ENV, ScriptedServer

CATALOGUE = REPO / "tasks" / "curated"
"""The real catalogue: its tasks have reference solutions (the fixtures' copies do not)."""
TASKS = ("penguins-species", "breast-cancer-diagnosis", "diabetes-progression")
HOSTILE = "<script>document.title='pwned'</script><img src=x onerror=alert(1)>"
FAILING = f'echo "{HOSTILE}"; echo the agent gave up >&2; exit 3'
INVALID = 'echo not,a,submission > "$BENCHSMITH_SUBMISSION"'
CHATTY = 'head -c 3000000 /dev/zero | tr "\\0" x; echo; cp /data/sample_submission.csv "$BENCHSMITH_SUBMISSION"'
LLM_MODEL = "local-model"
EXPECTED = Counter({"ok": 18, "agent_error": 6, "invalid_submission": 6, "infra_error": 2})


def build_runs(runs: Path, cache: Path) -> Path:
    """A runs folder as a small study leaves it: sample, baseline, failing and invalid command agents on three
    curated tasks, a command agent whose output hits the sandbox's cap, and the llm agent (a scripted loopback
    model) with its solution trees, including two trials whose model went away (infra_error)."""
    require_bwrap()
    settings = RunSettings(runs_dir=runs, backend="local", cache_root=cache)
    tasks = {name: load_task(CATALOGUE / f"{name}.yaml") for name in TASKS}
    requests: list[TrialRequest] = []
    for task in tasks.values():
        requests += [TrialRequest(task, "sample", seed=seed) for seed in range(3)]
        requests += [TrialRequest(task, "baseline", seed=seed) for seed in range(2)]
        requests += [TrialRequest(task, "command", args=(FAILING,), seed=seed) for seed in range(2)]
        requests += [TrialRequest(task, "command", args=(INVALID,), seed=seed) for seed in range(2)]
    requests.append(TrialRequest(tasks["penguins-species"], "command", args=(CHATTY,)))
    for request in requests:
        run_trial(request, settings)
    # The llm agent: seed 0 debugs a crash, then its improvement crashes (the catalogue's columns differ from the
    # fixture's), seed 1 drafts once; seeds 2 and 3 find no model.
    server = ScriptedServer(
        [reply("Draft: read the data.", CRASH), reply("Fix the column.", constant("Adelie")),
         reply("Improve: a forest.", FOREST), reply("One draft.", constant("Gentoo"))]
    )  # fmt: skip
    saved = os.environ.get(KEY_ENV)
    os.environ[KEY_ENV] = KEY
    try:
        common = (f"base_url={server.base_url}", f"api_key_env={KEY_ENV}", "run_timeout=120")
        penguins = tasks["penguins-species"]
        for seed, shape in ((0, ("drafts=1", "debug=1", "improve=1", "max_steps=3")), (1, ("drafts=1", "improve=0"))):
            run_trial(TrialRequest(penguins, "llm", seed=seed, args=(*common, *shape), model=LLM_MODEL), settings)
        server.close()
        for seed in (2, 3):
            run_trial(TrialRequest(penguins, "llm", seed=seed, args=(*common, "drafts=1"), model=LLM_MODEL), settings)
    finally:
        server.close() if server.thread.is_alive() else None
        if saved is None:
            os.environ.pop(KEY_ENV, None)
        else:
            os.environ[KEY_ENV] = saved
    return runs


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("study")
    return build_runs(root / "runs", root / "cache")


def results(*arguments: str, columns: int = 80) -> subprocess.CompletedProcess[str]:
    """`runner results ...` with its output piped, as `| cat` has it."""
    env = {**os.environ, "COLUMNS": str(columns)}
    return subprocess.run([*RUNNER, "results", *arguments], capture_output=True, text=True, cwd=REPO, env=env,
                          timeout=120)  # fmt: skip


def runner(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*RUNNER, *arguments], capture_output=True, text=True, cwd=REPO, timeout=120,
                          env={**os.environ, "COLUMNS": "100"})  # fmt: skip


def test_the_study_has_every_status(runs: Path) -> None:
    assert Counter(result.status for _, result in iter_results(runs)) == EXPECTED


def test_the_listing_is_readable_at_80_columns_and_never_splits_a_cell(runs: Path) -> None:
    done = results(str(runs))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert all(cell_len(line) <= 80 for line in lines), [line for line in lines if cell_len(line) > 80]
    header, rule, *rows, total = lines
    # Every column with something in it (no trial cost anything: a loopback model is free, so no cost column).
    assert header.split() == ["task", "agent", "seed", "status", "score", "medal", "time", "reason"]
    # One line per trial: a cell wrapped onto a second line would add lines and break the columns.
    assert len(rows) == sum(EXPECTED.values())
    starts = [match.start() for match in re.finditer(r"-+", rule)]
    for line in rows:
        cells = [line[start:end].strip() for start, end in zip(starts, [*starts[1:], None], strict=True)]
        assert cells[3] in EXPECTED, line  # the status column holds a whole status, aligned under its header
        assert cells[0].rstrip("…") in TASKS or any(t.startswith(cells[0].rstrip("…")) for t in TASKS), line
        assert re.fullmatch(r"\d+", cells[2]), line
    assert "…" in done.stdout  # the long labels and reasons are cut, not wrapped
    assert total.startswith(f"{sum(EXPECTED.values())} trial(s): 18 ok")
    wide = results(str(runs), columns=250).stdout.splitlines()
    assert len(wide) == len(lines) and "the agent gave up" in "\n".join(wide)


def test_filters_and_machine_formats(runs: Path) -> None:
    listed = json.loads(results(str(runs), "--format", "json").stdout)
    assert Counter(entry["status"] for entry in listed) == EXPECTED
    failing = json.loads(results(str(runs), "--status", "agent_error", "--format", "json").stdout)
    assert len(failing) == 6 and {entry["agent"] for entry in failing} == {"command"}
    assert all(Path(entry["folder"]).is_dir() for entry in failing)
    baseline = list(csv.DictReader(io.StringIO(results(str(runs), "--agent", "baseline", "--format", "csv").stdout)))
    assert len(baseline) == 6 and {row["status"] for row in baseline} == {"ok"}
    one_task = json.loads(
        results(str(runs), "--task", "diabetes-progression", "--agent", "sample", "--format", "json").stdout
    )
    assert [entry["seed"] for entry in one_task] == [0, 1, 2]
    llm = json.loads(results(str(runs), "--model", LLM_MODEL, "--format", "json").stdout)
    assert len(llm) == 4 and sum(entry["calls"] for entry in llm) == 4
    medals = json.loads(results(str(runs), "--medal", "none", "--format", "json").stdout)
    assert len(medals) == sum(1 for entry in listed if entry["medal"] is None)
    bad = results(str(runs), "--status", "finished")
    assert bad.returncode == 2 and "use one of ok" in bad.stderr and "Traceback" not in bad.stderr
    missing = results(str(runs / "nowhere"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr


def test_a_result_planted_in_a_workspace_is_never_listed(runs: Path, tmp_path: Path) -> None:
    copy = tmp_path / "runs"
    shutil.copytree(runs, copy, symlinks=True)
    [(folder, result)] = [(f, r) for f, r in iter_results(copy) if r.agent == "baseline" and r.seed == 0][:1]
    planted = folder / "workspace" / "code" / "x@000000000000" / "forged" / "seed-0"
    planted.mkdir(parents=True)
    (planted / "result.json").write_text(result.model_copy(update={"trial_id": "x@000000000000/forged/seed-0"})
                                         .model_dump_json())  # fmt: skip
    listed = json.loads(results(str(copy), "--format", "json").stdout)
    assert len(listed) == sum(EXPECTED.values()) and not any("forged" in entry["trial_id"] for entry in listed)


def test_show_prints_an_llm_trial_with_its_tree_and_events(runs: Path) -> None:
    listed = json.loads(results(str(runs), "--model", LLM_MODEL, "--status", "ok", "--format", "json").stdout)
    [entry] = [entry for entry in listed if entry["calls"] == 3]
    done = runner("show", entry["trial_id"], "--runs-dir", str(runs))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "status    ok" in out and "solution tree: 3 node(s), submitted node-001" in out
    assert "node-000 draft failed" in out and "node-001 debug score" in out and "node-002 improve failed" in out
    assert "3 model call(s), 3000 in / 600 out tokens" in out
    assert re.search(r"events\s+3 command\(s\) \(2 failed", out)
    assert "[llm] submitted node-001" in out
    node = runner("show", entry["folder"], "--node", "node-000")
    assert node.returncode == 0 and "no_such_column" in node.stdout and "KeyError" in node.stdout
    document = json.loads(runner("show", entry["folder"], "--format", "json").stdout)
    assert document["events"]["model_calls"] == 3 and len(document["tree"]) == 3


def test_show_marks_the_output_cap_and_finds_ids_without_their_digest(runs: Path) -> None:
    [chatty] = [r for _, r in iter_results(runs) if r.agent == "command" and r.status == "ok"]
    short = chatty.trial_id.replace(f"@{chatty.task_digest[:12]}", "")
    done = runner("show", short, "--runs-dir", str(runs), "--lines", "5")
    assert done.returncode == 0, done.stderr
    assert "bytes of output left out here" in done.stdout and "earlier" in done.stdout
    ambiguous = runner("show", "penguins-species", "--runs-dir", str(runs))
    assert ambiguous.returncode == 2 and "give more of the id" in ambiguous.stderr
    unknown = runner("show", "no-such-task/sample/seed-0", "--runs-dir", str(runs))
    assert unknown.returncode == 2 and "runner results" in unknown.stderr and "Traceback" not in unknown.stderr
