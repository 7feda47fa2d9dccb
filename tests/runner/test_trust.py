"""Issue 13's runner half, on the local backend: forged results are never read, a manifest that fails its static
checks is never run (and no copy into a sandbox leaves the task folder), and a model outage is the runner's
infra_error, not the agent's loss."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from runner.llm import ModelAccess, parse_limits, resolve_settings
from runner.results import CompetitionDetails, Lock, TrialResult, iter_results, read_result, write_result
from runner.trials import RunSettings, TrialRequest, run_claimed, run_trial
from runner.trials._workspace import copy_task_tree
from spec import TaskPathError, load_task, task_file
from tests.conftest import PENGUINS, REPO, RUNNER, replace_in, require_bwrap
from tests.runner.test_llm_client import KEY, KEY_ENV, ScriptedServer, error, free_port

SUBMIT_SAMPLE = 'cp /data/sample_submission.csv "$BENCHSMITH_SUBMISSION"'
ESCAPE = "penguins-species/../../../../../../../../etc/hostname"
_CALL = (
    "import json, os, sys, urllib.request, urllib.error\n"
    "request = urllib.request.Request(os.environ['OPENAI_BASE_URL'] + '/chat/completions', data=json.dumps("
    "{'model': 'm', 'messages': [{'role': 'user', 'content': 'hi'}]}).encode(), headers={'Content-Type': "
    "'application/json', 'Authorization': 'Bearer ' + os.environ['OPENAI_API_KEY']})\n"
    "try:\n    urllib.request.urlopen(request, timeout=30)\nexcept urllib.error.HTTPError as error:\n"
    "    sys.exit(f'model failed: {error.code}')\n"
)
CALL_THE_MODEL = f"python3 -c {shlex.quote(_CALL)}"
"""A command agent that calls the model once and gives up on a failure, as an agent without its model would."""


def forged_record(trial_id: str) -> TrialResult:
    """A gold result for `trial_id`, shaped exactly like the runner's own."""
    task, label, seed = trial_id.split("/")
    return TrialResult(
        trial_id=trial_id, task_id=task.split("@")[0], task_version="1.0.0", task_digest=task.split("@")[1] + "0" * 52,
        kind="competition", agent="sample", agent_label=label, seed=int(seed.removeprefix("seed-")), backend="local",
        status="ok", score=1.0, higher_is_better=True, medal="gold", normalized_score=1.0,
        started_at=datetime(2025, 1, 1, tzinfo=UTC), duration_s=1.0, details=CompetitionDetails(),
        lock=Lock(backend="local", benchsmith="0"),
    )  # fmt: skip


def planting_command(trial_id: str) -> str:
    """Submit the sample, then plant a gold record for `trial_id` in the trial-folder layout and loose, in the
    workspace, the submission folder and /tmp."""
    record = shlex.quote(forged_record(trial_id).model_dump_json())
    places = [f"/workspace/code/{trial_id}", "/workspace/code", "/workspace/submission", f"/tmp/{trial_id}"]
    plant = " && ".join(f"mkdir -p {place} && printf %s {record} > {place}/result.json" for place in places)
    return f"{SUBMIT_SAMPLE} && {plant}"


def _run(tmp_path: Path, *arguments: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run([*RUNNER, *arguments], capture_output=True, text=True, cwd=REPO, env=environment, timeout=300)


def _exec(
    tmp_path: Path, manifest: Path, *arguments: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    places = ["--runs-dir", str(tmp_path / "runs"), "--cache-dir", str(tmp_path / "cache")]
    return _run(tmp_path, "exec", str(manifest), "--backend", "local", *places, *arguments, env=env)


# ---------------------------------------------------------------------------------------------------------------
# Row 1: only the runner's own records are ever read
# ---------------------------------------------------------------------------------------------------------------


def _forging_command(record: TrialResult) -> str:
    """An agent that submits the sample and plants result-shaped files all over its workspace: a gold copy of
    another trial's record (in its own layout too), a made-up trial, and a link to a host file named result.json."""
    gold = record.model_copy(update={"medal": "gold", "score": 1.0, "normalized_score": 1.0}).model_dump_json()
    task = f"{record.task_id}@{record.task_digest[:12]}"
    invented = forged_record(f"{task}/forger/seed-0").model_dump_json()
    plants = [(gold, "result.json"), (gold, f"{record.trial_id}/result.json"), (gold, "deep/a@b/c/seed-0/result.json"),
              (gold, "../submission/result.json"), (invented, f"{task}/forger/seed-0/result.json")]  # fmt: skip
    lines = [SUBMIT_SAMPLE, "cd /workspace/code"]
    for text, place in plants:
        lines += [f"mkdir -p {shlex.quote(str(Path(place).parent))}", f"printf %s {shlex.quote(text)} > {place}"]
    lines.append("mkdir -p linked/seed-0 && ln -s /etc/hostname linked/seed-0/result.json")
    return " && ".join(lines)


def test_forged_results_in_workspaces_are_never_read(tmp_path: Path) -> None:
    require_bwrap()
    honest = _exec(tmp_path, PENGUINS, "--agent", "sample")
    assert honest.returncode == 0, honest.stderr
    [(_, real)] = list(iter_results(tmp_path / "runs"))
    assert real.medal is None and real.agent_label == "sample"

    forged = _exec(tmp_path, PENGUINS, "--agent", "command", "--agent-arg", _forging_command(real), "--seeds", "2",
                   "--jobs", "2")  # fmt: skip
    assert forged.returncode == 0, forged.stderr
    recorded = {result.trial_id: result for _, result in iter_results(tmp_path / "runs")}
    assert len(recorded) == 3 and recorded[real.trial_id] == real
    planted = [path for path in (tmp_path / "runs").rglob("result.json") if "workspace" in path.parts]
    assert len(planted) >= 2 * 5, planted  # the agents did plant them

    report = _run(tmp_path, "report", str(tmp_path / "runs"), "--format", "json", "--rounds", "20")
    assert report.returncode == 0, report.stderr
    summary = json.loads(report.stdout)
    assert summary["summary"]["trials"] == 3 and summary["summary"]["agents"] == 2
    assert "Traceback" not in report.stderr
    medals = [row for row in summary.get("agents", []) if row.get("gold_pct")]
    assert not medals, medals

    # Resuming trusts the same records: every trial is kept, none is run again, none is added.
    again = _exec(tmp_path, PENGUINS, "--agent", "command", "--agent-arg", _forging_command(real), "--seeds", "2")
    assert again.returncode == 0 and "2 finished trial(s) kept" in again.stderr
    assert {result.trial_id: result for _, result in iter_results(tmp_path / "runs")} == recorded


def test_resume_never_trusts_a_record_that_is_not_the_trials_own(tmp_path: Path) -> None:
    require_bwrap()
    task = load_task(PENGUINS)
    settings = RunSettings(runs_dir=tmp_path / "runs", backend="local", cache_root=tmp_path / "cache")
    request = TrialRequest(task, "sample")
    first = run_trial(request, settings)
    folder = tmp_path / "runs" / first.trial_id
    assert read_result(folder, first.trial_id) == first

    # Another trial's record in this folder (copied, or written by anyone but this trial's runner) is not this
    # trial's result: the trial runs again and writes its own.
    other = first.model_copy(update={"trial_id": first.trial_id.replace("seed-0", "seed-7"), "seed": 7})
    write_result(folder, other)
    assert read_result(folder) == other and read_result(folder, first.trial_id) is None
    result, how = run_claimed(request, settings)
    assert how == "ran" and result is not None and result.trial_id == first.trial_id
    assert read_result(folder, first.trial_id) is not None

    # A result.json that is a link is never followed.
    (folder / "result.json").unlink()
    (folder / "elsewhere.json").write_text(first.model_dump_json(), encoding="utf-8")
    (folder / "result.json").symlink_to(folder / "elsewhere.json")
    assert read_result(folder, first.trial_id) is None and list(iter_results(tmp_path / "runs")) == []


# ---------------------------------------------------------------------------------------------------------------
# Row 6: a manifest with static errors is never run; copies into a sandbox never leave the task folder
# ---------------------------------------------------------------------------------------------------------------


@pytest.fixture
def escaping(catalogue: Path) -> Path:
    manifest = catalogue / "curated" / "penguins-species.yaml"
    replace_in(manifest, "description: penguins-species/description.md", f"description: {ESCAPE}")
    return manifest


def test_every_command_that_runs_a_task_refuses_static_errors(tmp_path: Path, escaping: Path) -> None:
    submission = tmp_path / "submission.csv"
    submission.write_text("id,species\n", encoding="utf-8")
    cache = ["--cache-dir", str(tmp_path / "cache")]
    runs = ["--backend", "local", "--runs-dir", str(tmp_path / "runs")]
    for arguments in (
        ("exec", str(escaping), "--agent", "sample", *runs, *cache),
        ("exec", "penguins-species", "--tasks-dir", str(escaping.parent.parent), "--agent", "baseline", *runs, *cache),
        ("grade", str(submission), "--task", str(escaping), *cache),
        ("leaderboard", "build", str(escaping), *cache),
        ("speedrun", "retime", str(escaping), *cache),
    ):  # fmt: skip
        completed = _run(tmp_path, *arguments)
        assert completed.returncode == 2, (arguments, completed.stdout, completed.stderr)
        assert "path.escapes-task" in completed.stderr and "runner validate" in completed.stderr, completed.stderr
        assert "Traceback" not in completed.stderr
    assert not (tmp_path / "runs").exists() and not (tmp_path / "cache").exists()  # nothing was prepared


def test_copies_into_a_sandbox_recheck_the_task_folder(tmp_path: Path, catalogue: Path) -> None:
    manifest = catalogue / "curated" / "penguins-species.yaml"
    task_dir = manifest.parent / "penguins-species"
    assert task_file(manifest, "penguins-species/description.md") == (task_dir / "description.md").resolve()
    for reference in (ESCAPE, "/etc/hostname", "penguins-species/../penguins-species.yaml"):
        with pytest.raises(TaskPathError, match="leads out of the task's own folder"):
            task_file(manifest, reference)
    # Swapped for a link after validation: the copy still refuses it.
    (task_dir / "description.md").unlink()
    (task_dir / "description.md").symlink_to("/etc/hostname")
    with pytest.raises(TaskPathError):
        task_file(manifest, "penguins-species/description.md")
    starter = task_dir / "starter"
    starter.mkdir()
    (starter / "train.py").write_text("print('hi')\n", encoding="utf-8")
    copy_task_tree(manifest, "penguins-species/starter", tmp_path / "code")
    assert (tmp_path / "code" / "train.py").read_text() == "print('hi')\n"
    (starter / "secret.txt").symlink_to("/etc/hostname")
    with pytest.raises(TaskPathError, match=r"secret\.txt"):
        copy_task_tree(manifest, "penguins-species/starter", tmp_path / "code2")
    assert not (tmp_path / "code2" / "secret.txt").exists()


def test_a_description_turned_into_a_link_after_validation_is_an_infra_error(tmp_path: Path, catalogue: Path) -> None:
    require_bwrap()
    manifest = catalogue / "curated" / "penguins-species.yaml"
    task = load_task(manifest)  # loaded (and checked) first, as `runner exec` does
    description = manifest.parent / "penguins-species" / "description.md"
    description.unlink()
    description.symlink_to("/etc/hostname")
    settings = RunSettings(runs_dir=tmp_path / "runs", backend="local", cache_root=tmp_path / "cache")
    result = run_trial(TrialRequest(task, "sample"), settings)
    assert result.status == "infra_error" and "leads out of the task's own folder" in (result.reason or "")
    hostname = Path("/etc/hostname").read_bytes()
    for path in (tmp_path / "runs").rglob("*"):
        assert not path.is_file() or path.is_symlink() or path.read_bytes() != hostname, path


# ---------------------------------------------------------------------------------------------------------------
# Row 8: a model outage is infra_error (retried, exit 1); the agent's own failures stay agent_error
# ---------------------------------------------------------------------------------------------------------------


def _llm_trial(tmp_path: Path, base_url: str, monkeypatch: pytest.MonkeyPatch) -> TrialResult:
    monkeypatch.setenv(KEY_ENV, KEY)
    settings = RunSettings(runs_dir=tmp_path / "runs", backend="local", cache_root=tmp_path / "cache")
    arguments = (f"base_url={base_url}", f"api_key_env={KEY_ENV}", "drafts=1", "improve=0", "debug=0")
    return run_trial(TrialRequest(load_task(PENGUINS), "llm", args=arguments, model="local-model"), settings)


def test_refused_connection_is_an_infra_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    require_bwrap()
    result = _llm_trial(tmp_path, f"http://127.0.0.1:{free_port()}/v1", monkeypatch)
    assert result.status == "infra_error" and "not reachable" in (result.reason or "")


def test_context_length_error_is_an_infra_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    require_bwrap()
    message = "This model's maximum context length is 2048 tokens. However, you requested 9000 tokens."
    server = ScriptedServer([error(400, message)])
    try:
        result = _llm_trial(tmp_path, server.base_url, monkeypatch)
    finally:
        server.close()
    assert result.status == "infra_error", result.reason
    assert "too small a context" in (result.reason or "") and "maximum context length" in (result.reason or "")


def test_server_errors_are_an_infra_error_after_retries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    require_bwrap()
    server = ScriptedServer([error(500, "boom")] * 4)
    try:
        result = _llm_trial(tmp_path, server.base_url, monkeypatch)
    finally:
        server.close()
    assert result.status == "infra_error" and "HTTP 500" in (result.reason or "")
    assert len(server.requests) == 4  # retried with backoff inside the trial first


def test_runner_exec_with_the_endpoint_down_exits_1_after_retrying(tmp_path: Path) -> None:
    require_bwrap()
    env = {KEY_ENV: KEY, "OPENAI_API_KEY": "x"}
    down = f"http://127.0.0.1:{free_port()}/v1"
    completed = _exec(tmp_path, PENGUINS, "--agent", "gpt", "--model", "m", "--base-url", down, "--api-key-env",
                      KEY_ENV, env=env)  # fmt: skip
    assert completed.returncode == 1, completed.stderr
    [(_, result)] = list(iter_results(tmp_path / "runs"))
    assert result.status == "infra_error" and result.attempts == 3 and "not reachable" in (result.reason or "")
    assert "Traceback" not in completed.stderr


def test_an_outage_behind_the_model_proxy_is_an_infra_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    require_bwrap()
    monkeypatch.setenv(KEY_ENV, KEY)
    server = ScriptedServer([error(503, "overloaded")] * 3)
    settings = resolve_settings({"model": "m", "base_url": server.base_url, "api_key_env": KEY_ENV})
    access = ModelAccess(settings, parse_limits(()))
    run_settings = RunSettings(runs_dir=tmp_path / "runs", backend="local", cache_root=tmp_path / "cache")
    try:
        result = run_trial(TrialRequest(load_task(PENGUINS), "command", args=(CALL_THE_MODEL,), model_access=access),
                           run_settings)  # fmt: skip
    finally:
        server.close()
    assert len(server.requests) == 1
    assert result.status == "infra_error" and "HTTP 503" in (result.reason or ""), result.reason

    # Its own failure, with the model answering, stays the agent's.
    own = run_trial(TrialRequest(load_task(PENGUINS), "command", args=("exit 3",)), run_settings)
    assert own.status == "agent_error"


def test_copied_catalogue_fixture_is_statically_valid(catalogue: Path) -> None:
    """The fixture the refusal tests break is valid before they break it (so the refusal is theirs)."""
    completed = _run(catalogue, "validate", str(catalogue / "curated" / "penguins-species.yaml"))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    shutil.rmtree(catalogue)
