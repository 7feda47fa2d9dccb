"""benchsmith in Inspect: `inspect eval benchsmith/<id>` with the real inspect-ai package against a loopback model
that scripts its replies, and `runner export inspect` read back with Inspect's own log reader."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runner.results import EVENTS_FILE, CommandRun, Grading, Usage, write_result
from tests.conftest import FIXTURES, PENGUINS, REPO, RUNNER, require
from tests.runner.test_llm_client import ScriptedServer
from tests.runner.test_reports import _result

pytestmark = pytest.mark.slow


def _inspect_installed() -> None:
    try:
        import inspect_ai  # noqa: F401
    except ImportError:
        require("inspect-ai is not installed", "the dev extra installs it (pip install -e '.[dev]')")


def tool_call(name: str, arguments: dict[str, str], number: int) -> tuple[int, dict[str, Any]]:
    """A chat-completions reply that calls one tool."""
    call = {"id": f"call-{number}", "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}
    return 200, {
        "id": f"chatcmpl-{number}", "object": "chat.completion", "created": 0, "model": "scripted",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "", "tool_calls": [call]},
                     "finish_reason": "tool_calls"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }  # fmt: skip


# Standard library only: in Inspect's local sandbox `python3` is whatever the host has.
SUBMIT_ADELIE = """\
import csv, os
rows = list(csv.DictReader(open(os.path.join(DATA, 'test.csv'))))
with open(SUBMISSION, 'w', newline='') as handle:
    writer = csv.writer(handle)
    writer.writerow(['id', 'species'])
    writer.writerows([row['id'], 'Adelie'] for row in rows)
"""


def adelie_script(root: str, number: int) -> tuple[int, dict[str, Any]]:
    code = f"DATA = {root + 'data'!r}\nSUBMISSION = {root + 'workspace/submission/submission.csv'!r}\n"
    return tool_call("python", {"code": code + SUBMIT_ADELIE}, number)


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    started = ScriptedServer([], models=["scripted"])
    yield started
    started.close()


def inspect_eval(server: ScriptedServer, logs: Path, cache: Path, *task_args: str) -> subprocess.CompletedProcess[str]:
    """`inspect eval benchsmith/penguins-species` as a user types it, the model an OpenAI-compatible endpoint."""
    env = {**os.environ, "LOOPBACK_BASE_URL": server.base_url, "LOOPBACK_API_KEY": "test-key"}
    arguments = ["-T", f"tasks_dir={FIXTURES}", "-T", f"cache_dir={cache}", *task_args]
    return subprocess.run(
        [sys.executable, "-m", "inspect_ai", "eval", "benchsmith/penguins-species", "--model",
         "openai-api/loopback/scripted", "--log-dir", str(logs), "--display", "plain", *arguments],
        capture_output=True, text=True, check=False, cwd=REPO, env=env, timeout=300,
    )  # fmt: skip


def tool_output(server: ScriptedServer, request: int) -> str:
    """What the tool called before request `request` answered (its last message)."""
    return str(server.requests[request]["messages"][-1]["content"])


def only_log(logs: Path) -> Any:
    from inspect_ai.log import read_eval_log

    [path] = sorted(logs.glob("*.eval"))
    return read_eval_log(str(path))


def test_inspect_eval_runs_a_benchsmith_task_and_scores_it_with_the_grader(
    server: ScriptedServer, tmp_path: Path
) -> None:
    _inspect_installed()
    server.script.extend(
        [tool_call("bash", {"command": "ls data task && stat -c %A data"}, 1), adelie_script("", 2),
         tool_call("submit", {"answer": "predicted Adelie everywhere"}, 3)]
    )  # fmt: skip
    done = inspect_eval(server, tmp_path / "logs", tmp_path / "cache")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    log = only_log(tmp_path / "logs")
    assert log.status == "success"
    assert log.eval.task == "benchsmith/penguins-species"
    [sample] = log.samples
    score = sample.scores["benchsmith"]
    meta = score.metadata
    assert meta["status"] == "ok" and meta["valid"] is True
    # Every penguin called Adelie: the share of Adelie penguins in the test split, which is the trivial baseline.
    assert meta["score"] == pytest.approx(0.4419, abs=1e-3)
    assert meta["normalized_score"] == pytest.approx(0.0, abs=1e-9) and score.value == meta["normalized_score"]
    assert meta["medal"] is None and "percentile" in meta
    assert log.results.scores[0].metrics["valid"].value == 1.0
    # The agent was Inspect's ReAct agent with bash and python, given the workspace contract and the description.
    first = server.requests[0]
    assert {tool["function"]["name"] for tool in first["tools"]} == {"bash", "python", "submit"}
    prompt = "\n".join(str(message["content"]) for message in first["messages"])
    assert "data/ (read-only)" in prompt and "workspace/submission/submission.csv" in prompt
    assert "Palmer" in prompt  # the task's own description follows the contract
    listing = tool_output(server, 1)
    assert "train.csv" in listing and "description.md" in listing and "validate_submission.py" in listing
    assert "answers" not in listing  # the private answers never enter the sandbox
    assert "dr-xr-xr-x" in listing  # data/ is read-only (by its mode: the local sandbox has no mounts)


def test_no_submission_is_an_invalid_score_not_an_error(
    server: ScriptedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same task through Inspect's Python API (`inspect_ai.eval`), the agent giving up at once."""
    _inspect_installed()
    from inspect_ai import eval as inspect_ai_eval

    from runner.interop import benchsmith_task

    monkeypatch.setenv("LOOPBACK_BASE_URL", server.base_url)
    monkeypatch.setenv("LOOPBACK_API_KEY", "test-key")
    server.script.append(tool_call("submit", {"answer": "nothing"}, 1))
    task = benchsmith_task(str(PENGUINS), cache_dir=str(tmp_path / "cache"))
    [log] = inspect_ai_eval(task, model="openai-api/loopback/scripted", log_dir=str(tmp_path / "logs"), display="none")
    assert log.status == "success"
    [sample] = log.samples
    score = sample.scores["benchsmith"]
    assert score.value == 0.0
    assert score.metadata["valid"] is False and score.metadata["status"] == "invalid_submission"
    assert "no submission" in score.metadata["reason"]


def _inspects_docker_sandbox() -> str | None:
    """Why Inspect's docker sandbox cannot run here, if it cannot: it needs Docker Engine >= 24.0.6 with the
    compose plugin (Debian's docker.io 20.10 has neither)."""
    if shutil.which("docker") is None:
        return "docker is not installed"
    engine = subprocess.run(["docker", "version", "--format", "{{.Server.Version}}"], capture_output=True, text=True)
    if engine.returncode != 0:
        return "the docker engine does not answer"
    version = tuple(int(part) for part in engine.stdout.strip().split("+")[0].split(".")[:3] if part.isdigit())
    if version < (24, 0, 6):
        return f"Inspect's docker sandbox needs Docker Engine >= 24.0.6, this one is {engine.stdout.strip()}"
    if subprocess.run(["docker", "compose", "version"], capture_output=True).returncode != 0:
        return "Inspect's docker sandbox needs the docker compose plugin"
    return None


def test_inspect_eval_in_inspects_docker_sandbox_has_the_exact_contract(server: ScriptedServer, tmp_path: Path) -> None:
    _inspect_installed()
    missing = _inspects_docker_sandbox()
    if missing is not None:
        # Not `require`: CI's engine (Debian's docker.io) is older than Inspect accepts, which no install step fixes.
        pytest.skip(missing)
    server.script.extend(
        [tool_call("bash", {"command": "id -un; ls /data /task; touch /data/x; python -c 'import socket; "
                                       "socket.create_connection((\"1.1.1.1\", 53), 2)'"}, 1),
         adelie_script("/", 2), tool_call("submit", {"answer": "done"}, 3)]
    )  # fmt: skip
    done = inspect_eval(server, tmp_path / "logs", tmp_path / "cache", "-T", "sandbox=docker")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    [sample] = only_log(tmp_path / "logs").samples
    assert sample.scores["benchsmith"].metadata["valid"] is True
    listing = tool_output(server, 1)
    assert "agent" in listing and "train.csv" in listing and "description.md" in listing
    assert "Read-only file system" in listing  # /data is mounted read-only
    assert "unreachable" in listing.lower() or "OSError" in listing  # no network


def test_runner_export_inspect_writes_logs_inspect_reads(tmp_path: Path) -> None:
    _inspect_installed()
    from inspect_ai.log import read_eval_log

    runs = tmp_path / "runs"
    results = [_result(agent, "penguins-species", seed) for agent in ("sample", "command") for seed in (0, 1)]
    results.append(_result("command", "diabetes-progression", 1))  # a timeout: recorded, not valid
    # Two trials that called a model through the runner's proxy: their usage becomes Inspect's token counts.
    for index, (tokens_in, tokens_out, cost) in ((2, (400, 90, 0.25)), (3, (30, 12, 0.5))):
        usage = Usage(input_tokens=tokens_in, output_tokens=tokens_out, calls=2, cost_usd=cost)
        results[index] = results[index].model_copy(update={"usage": usage})
    for result in results:
        write_result(runs / result.trial_id, result)
    traced = runs / results[-1].trial_id
    (traced / EVENTS_FILE).write_text(
        CommandRun(argv=["python", "train.py"], exit_code=0, duration_s=2.5).model_dump_json() + "\n"
        + Grading(status="timeout", duration_s=0.1).model_dump_json() + "\n"
    )  # fmt: skip
    out = tmp_path / "logs"
    done = subprocess.run(
        [*RUNNER, "export", "inspect", str(runs), "--out", str(out)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    paths = sorted(out.glob("*.eval"))
    assert len(paths) == 2 and all(str(path) in done.stdout for path in paths)
    logs = {log.eval.metadata["agent"]: log for log in (read_eval_log(str(path)) for path in paths)}
    command = logs["command"]
    assert command.status == "success" and len(command.samples) == 3
    by_trial = {sample.metadata["trial_id"]: sample for sample in command.samples}
    for result in results:
        if result.agent != "command":
            continue
        score = by_trial[result.trial_id].scores["benchsmith"]
        assert score.metadata["status"] == result.status and score.metadata["score"] == result.score
        assert score.metadata["medal"] == result.medal
        assert score.value == (result.normalized_score if result.status == "ok" else 0.0)
        assert by_trial[result.trial_id].epoch == result.seed + 1
    assert command.results.scores[0].metrics["valid"].value == pytest.approx(2 / 3)
    [(model, used)] = by_trial[results[2].trial_id].model_usage.items()
    assert model == command.eval.model and (used.input_tokens, used.output_tokens) == (400, 90)
    assert used.total_tokens == 490 and used.total_cost == pytest.approx(0.25)
    assert by_trial[results[-1].trial_id].model_usage == {}  # no model calls: no usage claimed
    total = command.stats.model_usage[model]
    assert (total.input_tokens, total.output_tokens, total.total_cost) == (430, 102, pytest.approx(0.75))
    # The trial's event log is its transcript in Inspect's viewer.
    transcript = "\n".join(str(message.content) for message in by_trial[results[-1].trial_id].messages)
    assert "$ python train.py  (exit 0, 2.5 s)" in transcript and "graded: timeout" in transcript


def test_export_of_a_folder_without_results_is_a_usage_error(tmp_path: Path) -> None:
    done = subprocess.run([*RUNNER, "export", "inspect", str(tmp_path)], capture_output=True, text=True, check=False)
    assert done.returncode == 2 and "no trial results" in done.stderr and "Traceback" not in done.stderr


def test_every_catalogue_task_is_registered_and_other_kinds_are_refused(tmp_path: Path) -> None:
    _inspect_installed()
    from inspect_ai._util.registry import registry_lookup

    from runner.interop import InspectTaskError, benchsmith_task

    # What `inspect eval benchsmith/<id>` does: Inspect loads the `benchsmith` entry point, which registers the ids.
    assert registry_lookup("task", "benchsmith/penguins-species") is not None
    research = next(iter(sorted((REPO / "tasks" / "research").glob("*.yaml"))))
    assert registry_lookup("task", f"benchsmith/{research.stem}") is not None
    with pytest.raises(InspectTaskError, match="only competitions") as refused:
        benchsmith_task(str(research), cache_dir=str(tmp_path))
    # Inspect prints a PrerequisiteError as its message alone, where it would print any other with a traceback.
    from inspect_ai._util.error import PrerequisiteError

    assert isinstance(refused.value, PrerequisiteError)


def test_the_runner_cli_does_not_import_inspect() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import sys, runner.cli; assert 'inspect_ai' not in sys.modules"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
