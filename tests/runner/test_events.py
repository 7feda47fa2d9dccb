"""The trial event log (`events.jsonl`): written by the runner for every agent, append-only, readable when torn."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from runner.llm import ChatReply, Limits
from runner.results import (
    EVENTS_FILE,
    CommandRun,
    Grading,
    ModelCall,
    SandboxStarted,
    SandboxStopped,
    TrialEnded,
    TrialStarted,
    read_events,
)
from runner.trials import EventLog, RunSettings, TrialRequest, run_trial
from spec import load_task
from tests.conftest import CURATED, require_bwrap
from tests.runner.test_llm_client import KEY, KEY_ENV, ScriptedServer, completion
from tests.runner.test_model_proxy import trial as proxy_trial

MANIFEST = CURATED / "penguins-species.yaml"
SUBMIT_SAMPLE = 'cp /data/sample_submission.csv "$BENCHSMITH_SUBMISSION"'


def _command_trial(tmp_path: Path, command: str) -> Path:
    require_bwrap()
    settings = RunSettings(runs_dir=tmp_path / "runs", backend="local", cache_root=tmp_path / "cache")
    result = run_trial(TrialRequest(load_task(MANIFEST), "command", args=(command,)), settings)
    return tmp_path / "runs" / result.trial_id


def test_a_command_agent_trial_leaves_its_trajectory(tmp_path: Path) -> None:
    folder = _command_trial(tmp_path, f"echo hello; {SUBMIT_SAMPLE}")
    read = read_events(folder)
    assert read.bad_lines == 0
    kinds = [event.event for event in read.events]
    assert kinds == ["trial_started", "sandbox_started", "command", "sandbox_stopped", "grading", "trial_ended"]
    started, _, command, _, grading, ended = read.events
    assert isinstance(started, TrialStarted) and started.agent == "command" and started.attempt == 1
    assert started.trial_id == "/".join(folder.parts[-3:])
    assert isinstance(command, CommandRun) and command.exit_code == 0 and command.duration_s > 0
    assert command.argv[-1].endswith(SUBMIT_SAMPLE) and command.stdout_chars == len("hello\n")
    assert isinstance(grading, Grading) and grading.status == "ok" and grading.score is not None
    assert isinstance(ended, TrialEnded) and ended.status == "ok" and ended.recorded and ended.lost_events == 0
    # The log is beside result.json, never in the workspace the agent writes.
    assert (folder / EVENTS_FILE).is_file() and not list((folder / "workspace").rglob(EVENTS_FILE))


def test_a_failing_command_is_recorded_with_its_exit_code_and_nothing_is_graded(tmp_path: Path) -> None:
    folder = _command_trial(tmp_path, "echo broken >&2; exit 3")
    events = read_events(folder).events
    [command] = [event for event in events if isinstance(event, CommandRun)]
    assert command.exit_code == 3 and command.stderr_chars == len("broken\n")
    assert not [event for event in events if isinstance(event, Grading)]
    assert isinstance(events[-1], TrialEnded) and events[-1].status == "agent_error"
    assert [type(event) for event in events[1:4:2]] == [SandboxStarted, SandboxStopped]


def test_a_second_attempt_appends_after_the_first(tmp_path: Path) -> None:
    folder = _command_trial(tmp_path, SUBMIT_SAMPLE)
    settings = RunSettings(runs_dir=tmp_path / "runs", backend="local", cache_root=tmp_path / "cache")
    run_trial(TrialRequest(load_task(MANIFEST), "command", args=(SUBMIT_SAMPLE,)), settings, attempt=2)
    read = read_events(folder)
    starts = [event for event in read.events if isinstance(event, TrialStarted)]
    assert [start.attempt for start in starts] == [1, 2]
    last = read.last_attempt()
    assert isinstance(last[0], TrialStarted) and last[0].attempt == 2 and isinstance(last[-1], TrialEnded)


def test_model_calls_through_the_proxy_are_logged_with_tokens(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    require_bwrap()
    monkeypatch.setenv(KEY_ENV, KEY)
    server = ScriptedServer([(200, completion("one")), (200, completion("two", 7, 3))])
    try:
        result = proxy_trial(tmp_path, "local", server, 2, Limits())
    finally:
        server.close()
    assert result.status == "ok", result.reason
    calls = [e for e in read_events(tmp_path / "runs" / result.trial_id).events if isinstance(e, ModelCall)]
    assert [(c.source, c.input_tokens, c.output_tokens, c.cost_usd) for c in calls] == [
        ("proxy", 10, 5, 0.0), ("proxy", 7, 3, 0.0),
    ]  # fmt: skip
    assert sum(c.input_tokens for c in calls) == result.usage.input_tokens


def test_a_torn_last_line_leaves_a_readable_prefix(tmp_path: Path) -> None:
    log = EventLog(tmp_path / "trial" / EVENTS_FILE)
    log.emit(TrialStarted(trial_id="t@0/a/seed-0", agent="a", backend="local", attempt=1))
    log.emit(SandboxStopped(open_s=1.5))
    log.close()
    log.emit(SandboxStopped(open_s=2.0))  # after close: dropped, never raises
    with (tmp_path / "trial" / EVENTS_FILE).open("a") as stream:
        stream.write('{"event": "command", "argv": ["sh"')  # a writer killed mid-line
    read = read_events(tmp_path / "trial")
    assert [event.event for event in read.events] == ["trial_started", "sandbox_stopped"] and read.bad_lines == 1


def test_writes_from_threads_keep_lines_whole(tmp_path: Path) -> None:
    log = EventLog(tmp_path / EVENTS_FILE)
    record = log.model_call("proxy")

    def calls() -> None:
        for n in range(200):
            record("m" * 500, ChatReply("", n, n, None))

    threads = [threading.Thread(target=calls) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log.close()
    read = read_events(tmp_path)
    assert len(read.events) == 800 and read.bad_lines == 0
    assert all(isinstance(event, ModelCall) and event.cost_usd is None for event in read.events)


def test_a_linked_event_log_is_neither_written_nor_read(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.jsonl"
    target.write_text(json.dumps({"event": "trial_ended"}) + "\n")
    folder = tmp_path / "trial"
    folder.mkdir()
    (folder / EVENTS_FILE).symlink_to(target)
    log = EventLog(folder / EVENTS_FILE)
    log.emit(SandboxStopped(open_s=1.0))
    log.close()
    assert log.lost == 1 and target.read_text() == json.dumps({"event": "trial_ended"}) + "\n"
    assert read_events(folder).events == []
