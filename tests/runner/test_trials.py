"""`runner exec` end to end on the local backend: statuses, result.json, resume, and a runner killed mid-batch."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from runner.preparation import prepare_task
from runner.results import TrialResult, iter_results
from runner.trials import RunSettings, TrialRequest, run_trial
from spec import load_task
from tests.conftest import CURATED, REPO, RUNNER, require_bwrap

MANIFEST = CURATED / "penguins-species.yaml"
SUBMIT_SAMPLE = 'cp /data/sample_submission.csv "$BENCHSMITH_SUBMISSION"'


@pytest.fixture(autouse=True)
def _needs_bwrap() -> None:
    require_bwrap()


def _exec(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    command = [*RUNNER, "exec", str(MANIFEST), "--backend", "local", "--runs-dir", str(tmp_path / "runs"),
               "--cache-dir", str(tmp_path / "cache"), *arguments]  # fmt: skip
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(command, capture_output=True, text=True, cwd=REPO, env=env, timeout=300)


def _results(tmp_path: Path) -> list[TrialResult]:
    return [result for _, result in iter_results(tmp_path / "runs")]


def _trial(tmp_path: Path, command: str, **resources: object) -> TrialResult:
    task = load_task(MANIFEST)
    assert task.manifest is not None
    task.manifest.resources = task.manifest.resources.model_copy(update=resources)
    settings = RunSettings(runs_dir=tmp_path / "runs", backend="local", cache_root=tmp_path / "cache")
    return run_trial(TrialRequest(task, "command", args=(command,)), settings)


def test_sample_agent_trial_is_graded_and_recorded(tmp_path: Path) -> None:
    completed = _exec(tmp_path, "--agent", "sample", "--seeds", "2")
    assert completed.returncode == 0, completed.stderr
    results = _results(tmp_path)
    assert sorted(result.seed for result in results) == [0, 1]
    for result in results:
        assert result.status == "ok" and result.score is not None and result.backend == "local"
        assert result.trial_id.startswith("penguins-species@") and result.trial_id.endswith(f"seed-{result.seed}")
        assert result.normalized_score == pytest.approx(0.0)
    folder = tmp_path / "runs" / results[0].trial_id
    assert (folder / "submission.csv").is_file() and (folder / "result.json").is_file()
    on_disk = json.loads((folder / "result.json").read_text())
    assert on_disk["schema_version"] == 1 and on_disk["details"]["kind"] == "competition"


def test_command_agents_with_different_commands_never_share_a_folder(tmp_path: Path) -> None:
    for command in (SUBMIT_SAMPLE, f"{SUBMIT_SAMPLE} && true"):
        assert _exec(tmp_path, "--agent", "command", "--agent-arg", command).returncode == 0
    labels = {result.agent_label for result in _results(tmp_path)}
    assert len(labels) == 2 and all(label.startswith("command-") for label in labels)


def test_invalid_submission_gets_a_reason(tmp_path: Path) -> None:
    result = _trial(tmp_path, 'echo "id,species" > "$BENCHSMITH_SUBMISSION"')
    assert result.status == "invalid_submission" and "have no prediction" in (result.reason or "")


def test_a_linked_submission_is_never_followed_on_the_host(tmp_path: Path) -> None:
    # The link names the private answers by their host path, which an agent can read from /proc/self/mountinfo.
    answers = prepare_task(load_task(MANIFEST), cache_root=tmp_path / "cache").private / "answers.csv"
    assert answers.is_file()
    result = _trial(tmp_path, f'ln -s "{answers}" "$BENCHSMITH_SUBMISSION"')
    assert result.status == "invalid_submission" and "symbolic link" in (result.reason or ""), result.reason
    assert result.score is None
    assert not (tmp_path / "runs" / result.trial_id / "submission.csv").exists()


def test_canary_statuses(tmp_path: Path) -> None:
    assert _trial(tmp_path / "a", "python -c 'x = bytearray(2 * 1024**3)'", memory_gb=0.25).status == "oom"
    assert _trial(tmp_path / "b", "sleep 30", time_limit="2s").status == "timeout"
    failed = _trial(tmp_path / "c", "echo broken >&2; exit 3")
    assert failed.status == "agent_error" and "broken" in (failed.reason or "")


def test_format_checker_in_the_sandbox(tmp_path: Path) -> None:
    result = _trial(tmp_path, f'{SUBMIT_SAMPLE} && python /task/validate_submission.py && echo "id,x" > x.csv && '
                    "! python /task/validate_submission.py x.csv")  # fmt: skip
    assert result.status == "ok", result.reason


def test_oracle_is_refused_outside_validation(tmp_path: Path) -> None:
    refused = _exec(tmp_path, "--agent", "oracle")
    assert refused.returncode == 2 and "--validation" in refused.stderr
    allowed = _exec(tmp_path, "--agent", "oracle", "--validation")
    assert allowed.returncode == 0, allowed.stderr
    assert _results(tmp_path)[0].score == 1.0


def test_usage_errors(tmp_path: Path) -> None:
    assert _exec(tmp_path, "--agent", "nope").returncode == 2
    assert _exec(tmp_path, "--agent", "command").returncode == 2
    assert _exec(tmp_path, "--backend", "cloud").returncode == 2


def test_killed_runner_resumes_and_runs_every_trial_exactly_once(tmp_path: Path) -> None:
    arguments = ["--agent", "command", "--agent-arg", f"sleep 0.4; {SUBMIT_SAMPLE}", "--seeds", "20", "--jobs", "2"]
    command = [*RUNNER, "exec", str(MANIFEST), "--backend", "local", "--runs-dir", str(tmp_path / "runs"),
               "--cache-dir", str(tmp_path / "cache"), *arguments]  # fmt: skip
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 120
    # Only the trial folders' own records: a recursive scan would race the workspaces the batch moves meanwhile.
    while len(list((tmp_path / "runs").glob("*/*/seed-*/result.json"))) < 6 and time.monotonic() < deadline:
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    first = {result.trial_id: result.started_at for result in _results(tmp_path)}
    assert 6 <= len(first) < 20
    resumed = _exec(tmp_path, *arguments)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{len(first)} finished trial(s) kept" in resumed.stderr
    final = _results(tmp_path)
    assert sorted(result.seed for result in final) == list(range(20))
    assert all(result.status == "ok" for result in final)
    for result in final:
        if result.trial_id in first:
            assert result.started_at == first[result.trial_id], "a finished trial ran again"
    assert not list((tmp_path / "runs").rglob(".result.json.*.tmp")), "a partial write was left behind"


def test_grade_command(tmp_path: Path) -> None:
    base = [*RUNNER, "grade", "--task", str(MANIFEST), "--cache-dir", str(tmp_path / "cache")]
    run = lambda *a: subprocess.run([*base, *a], capture_output=True, text=True, cwd=REPO, timeout=120)  # noqa: E731
    completed = _exec(tmp_path, "--agent", "sample")
    assert completed.returncode == 0, completed.stderr
    submission = next((tmp_path / "runs").rglob("submission.csv"))
    valid = run(str(submission))
    assert valid.returncode == 0 and float(valid.stdout.strip()) == _results(tmp_path)[0].score
    broken = tmp_path / "broken.csv"
    broken.write_text("id,species\n")
    invalid = run(str(broken))
    assert invalid.returncode == 1 and "no prediction" in invalid.stdout
    assert run(str(tmp_path / "missing.csv")).returncode == 2


def test_runner_secrets_never_reach_the_sandbox(tmp_path: Path) -> None:
    os.environ["OPENAI_API_KEY"] = "sk-test-should-not-leak"
    try:
        result = _trial(tmp_path, f'env > "$BENCHSMITH_WORKDIR/env.txt"; {SUBMIT_SAMPLE}')
    finally:
        del os.environ["OPENAI_API_KEY"]
    assert result.status == "ok"
    dumped = next((tmp_path / "runs").rglob("env.txt")).read_text()
    assert "sk-test-should-not-leak" not in dumped and "BENCHSMITH_DATA=/data" in dumped
    assert "sk-test" not in (tmp_path / "runs" / result.trial_id / "result.json").read_text()


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_or_sigterm_stops_cleanly_and_keeps_what_finished(tmp_path: Path, stop: signal.Signals) -> None:
    arguments = ["--agent", "command", "--agent-arg", f"sleep 1; {SUBMIT_SAMPLE}", "--seeds", "8", "--jobs", "2"]
    command = [*RUNNER, "exec", str(MANIFEST), "--backend", "local", "--runs-dir", str(tmp_path / "runs"),
               "--cache-dir", str(tmp_path / "cache"), *arguments]  # fmt: skip
    # As from a terminal: a shell's background job (how CI may start the suite) ignores SIGINT, and that is inherited.
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # fmt: skip
    deadline = time.monotonic() + 120
    while len(list((tmp_path / "runs").glob("*/*/seed-*/result.json"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    process.send_signal(stop)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    kept = _results(tmp_path)
    assert 2 <= len(kept) < 8 and all(result.status == "ok" for result in kept)
    assert _exec(tmp_path, *arguments).returncode == 0
    assert sorted(result.seed for result in _results(tmp_path)) == list(range(8))
