"""The sandbox conformance suite: what every registered backend must do (issue 13, Deliver 2).

Each test runs against every backend in `backend_names()` (local bubblewrap and docker), like Inspect's sandbox
`self_check` against each provider; a new backend is done when it passes here. The sandbox gets what a trial's
does: a quota workspace (`mount_quota`, a small quota so the checks stay cheap), a read-only task and data folder,
private answers beside the data on the host. Without bubblewrap or a docker engine a backend's tests skip, except
under CI=true, where they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from runner.llm import ModelAccess, parse_limits, resolve_settings
from runner.reports import load_trials
from runner.results import TrialResult, iter_results
from runner.sandboxes import (
    OUTPUT_HEAD_BYTES,
    OUTPUT_TAIL_BYTES,
    HandedInError,
    Sandbox,
    SandboxSpec,
    backend_names,
    copy_handed_in,
    get_backend,
    handed_in_problem,
    mount_quota,
    release_quota,
)
from runner.sandboxes._quota import image_of
from runner.trials import RunSettings, TrialRequest, run_trial
from spec import load_task
from tests.conftest import CURATED, FIXTURES, REPO, require, require_bwrap
from tests.runner.test_llm_client import KEY, KEY_ENV, free_port
from tests.runner.test_trust import CALL_THE_MODEL, planting_command

pytestmark = pytest.mark.slow

QUOTA_MB = 50
MANIFEST = CURATED / "penguins-species.yaml"
RESEARCH = FIXTURES / "research" / "diabetes-ridge.yaml"
SUBMIT_SAMPLE = 'cp /data/sample_submission.csv "$BENCHSMITH_SUBMISSION"'


@pytest.fixture(params=backend_names())
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    if name == "local":
        require_bwrap()
    else:
        missing = get_backend(name).availability()
        require(missing, f"the {name} backend must work in CI (.ci/run installs and starts it)")
    if os.geteuid() != 0:
        pytest.skip("the disk quota and neutral mounts need root (CI runs as root)")
    return name


@pytest.fixture
def secret() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def spec(tmp_path: Path, secret: str) -> Iterator[SandboxSpec]:
    """A trial's folders: task, public data with the private answers beside it, a quota workspace."""
    task, cache = tmp_path / "runs" / "trial" / "task", tmp_path / "cache" / "prepared"
    (cache / "public").mkdir(parents=True)
    (cache / "private").mkdir()
    task.mkdir(parents=True)
    (task / "description.md").write_text("# Predict y\n")
    (cache / "public" / "train.csv").write_text("x,y\n1,2\n")
    (cache / "private" / f"answers-{secret}.csv").write_text(f"id,y\n1,{secret}\n")
    workspace = tmp_path / "runs" / "trial" / "workspace"
    assert mount_quota(workspace, QUOTA_MB * 1024**2)
    for name in ("code", "submission", "tmp"):
        (workspace / name).mkdir()
    yield SandboxSpec(
        trial_id=f"conformance-{uuid.uuid4().hex[:8]}", task_dir=task, data_dir=cache / "public",
        code_dir=workspace / "code", submission_dir=workspace / "submission", submission_file="submission.csv",
        cpus=1.0, memory_gb=0.25, pids=64, time_limit_s=120, disk_gb=QUOTA_MB / 1024, tmp_dir=workspace / "tmp",
    )  # fmt: skip
    release_quota(workspace, keep=False)


@pytest.fixture
def sandbox(backend: str, spec: SandboxSpec) -> Iterator[Sandbox]:
    with get_backend(backend).open(spec) as opened:
        yield opened


def _sh(sandbox: Sandbox, script: str, timeout_s: float = 60):  # type: ignore[no-untyped-def]
    return sandbox.run(["sh", "-c", script], timeout_s=timeout_s)


def test_task_and_data_are_read_only_and_the_workspace_and_tmp_writable(sandbox: Sandbox) -> None:
    result = _sh(
        sandbox,
        "for f in /task/x /data/x /workspace/code/x /workspace/submission/x /tmp/x; do"
        ' (echo 1 > $f) 2>/dev/null && echo "$f writable" || echo "$f refused"; done',
    )
    assert result.stdout.split("\n")[:5] == ["/task/x refused", "/data/x refused", "/workspace/code/x writable",
                                             "/workspace/submission/x writable", "/tmp/x writable"]  # fmt: skip


def test_no_private_data_anywhere(sandbox: Sandbox, secret: str) -> None:
    result = _sh(
        sandbox,
        f"find / -xdev -name 'answers-*' 2>/dev/null; grep -rlF {secret} /task /data /workspace /tmp /etc /opt /home "
        "/root /var /run 2>/dev/null; echo done",
        timeout_s=120,
    )
    assert result.stdout.strip() == "done", result.stdout


def test_no_network(sandbox: Sandbox) -> None:
    result = _sh(
        sandbox,
        "python3 -c \"import socket\ntry:\n socket.create_connection(('1.1.1.1', 53), timeout=3)\n print('reached')\n"
        "except OSError as error:\n print('refused', error)\"; tail -n +3 /proc/net/dev | cut -d: -f1",
    )
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert lines[0].startswith("refused") and set(lines[1:]) <= {"lo"}, result.stdout


def test_no_host_paths(sandbox: Sandbox, tmp_path: Path) -> None:
    result = _sh(
        sandbox,
        "cat /proc/self/mountinfo /proc/1/mountinfo; for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline; echo;"
        " tr '\\0' '\\n' < $p/environ 2>/dev/null; done; pwd; echo $HOME",
    )
    assert result.ok, result.stderr
    seen = result.stdout
    assert "/task" in seen and "/workspace/code" in seen  # what was read is what the agent sees
    for host_path in (str(tmp_path), str(REPO), "benchsmith-staging"):
        assert host_path not in seen, f"{host_path} is visible inside the sandbox"


def test_memory_past_the_limit_is_oom(sandbox: Sandbox) -> None:
    result = sandbox.run(["python3", "-c", "b = bytearray(1024**3); print(len(b))"], timeout_s=60)
    assert result.oom and not result.ok


def test_wall_clock_limit_is_a_timeout_even_when_signals_are_ignored(sandbox: Sandbox) -> None:
    result = _sh(sandbox, "trap '' TERM INT HUP; sleep 60", timeout_s=2)
    assert result.timed_out and result.duration_s < 30
    assert _sh(sandbox, "echo again").stdout.strip() == "again"  # the sandbox is usable after the kill


def test_process_cap(sandbox: Sandbox) -> None:
    script = (
        "import os, time\nn = 0\ntry:\n    for _ in range(500):\n        if os.fork() == 0:\n"
        "            time.sleep(30)\n            os._exit(0)\n        n += 1\n"
        "except OSError as error:\n    print('capped', n, error.errno)\nelse:\n    print('uncapped', n)\n"
    )
    result = sandbox.run(["python3", "-c", script], timeout_s=20)
    assert result.stdout.startswith("capped"), (result.stdout, result.stderr)
    assert int(result.stdout.split()[1]) < 64
    assert _sh(sandbox, "echo again", timeout_s=30).stdout.strip() == "again"


def test_disk_quota_fails_writes_inside_and_bounds_the_host(sandbox: Sandbox, spec: SandboxSpec) -> None:
    result = _sh(
        sandbox,
        f"dd if=/dev/zero of=/tmp/t bs=1M count={QUOTA_MB // 2} 2>/dev/null; "
        f"dd if=/dev/zero of=/workspace/code/big bs=1M count={QUOTA_MB} 2>&1; echo exit=$?",
    )
    assert "No space left on device" in result.stdout and "exit=0" not in result.stdout, result.stdout
    image = image_of(spec.code_dir.parent)
    assert image.stat().st_blocks * 512 <= (QUOTA_MB + 1) * 1024**2  # what the host holds for the workspace


def test_output_is_bounded_and_the_time_limit_holds(sandbox: Sandbox) -> None:
    flood = sandbox.run(["sh", "-c", "head -c 30000000 /dev/zero | tr '\\0' x; echo; echo the-end"], timeout_s=60)
    assert flood.ok and "bytes of output left out" in flood.stdout
    assert len(flood.stdout) <= OUTPUT_HEAD_BYTES + OUTPUT_TAIL_BYTES + 200 and flood.stdout.endswith("the-end\n")
    endless = sandbox.run(["sh", "-c", "yes flood; yes flood >&2"], timeout_s=3)
    assert endless.timed_out and endless.duration_s < 30
    assert len(endless.stdout) <= OUTPUT_HEAD_BYTES + OUTPUT_TAIL_BYTES + 200


def _host_processes_naming(marker: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and entry.name != str(os.getpid()):
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(entry.name)
            except OSError:
                continue
    return found


def test_surviving_children_are_killed(backend: str, spec: SandboxSpec) -> None:
    marker = f"survivor-{uuid.uuid4().hex[:8]}"
    with get_backend(backend).open(spec) as opened:
        # Detached from the command's output, so the command itself ends at once and leaves them running.
        result = _sh(opened, f"for i in 1 2 3; do nohup sh -c 'sleep 300; echo {marker}' >/dev/null 2>&1 & done; echo")
        assert result.ok and not result.timed_out  # (they may end with the command already: local does that)
        timed = _sh(opened, f"sh -c 'sleep 301; echo {marker}-2' & sleep 300", timeout_s=2)
        assert timed.timed_out and not _host_processes_naming(f"{marker}-2")
    assert not _host_processes_naming(marker)


def test_the_agent_cannot_signal_its_way_out(sandbox: Sandbox) -> None:
    result = _sh(sandbox, "kill -KILL 1; kill -TERM 1; kill -KILL -1; echo still-here")
    assert _sh(sandbox, "echo usable").stdout.strip() == "usable"
    killed = _sh(sandbox, "kill -KILL $$")
    assert killed.exit_code != 0 and not killed.oom and not killed.timed_out
    assert "still-here" not in result.stderr  # (a kill of every process may end the command itself: both are fine)


def test_special_files_links_and_sparse_files_are_refused_as_hand_ins(sandbox: Sandbox, tmp_path: Path) -> None:
    made = _sh(
        sandbox,
        "cd /workspace/submission && mkfifo fifo && ln -s /data/train.csv link && echo a > real && ln real hard"
        " && truncate -s 1500M sparse && echo ok",
    )
    assert made.stdout.strip() == "ok", made.stderr
    folder = sandbox.spec.submission_dir
    for name, reason in (("fifo", "a FIFO"), ("link", "a symbolic link"), ("hard", "hard link"),
                         ("sparse", "over the")):  # fmt: skip
        problem = handed_in_problem(folder / name, QUOTA_MB * 1024**2)
        assert problem is not None and reason in problem, (name, problem)
        with pytest.raises(HandedInError):
            copy_handed_in(folder / name, tmp_path / f"copy-{name}", QUOTA_MB * 1024**2)
        assert not (tmp_path / f"copy-{name}").exists()


# Forged results and model outages: see the end-to-end tests below.


# -- the same guarantees end to end: a trial on each backend --------------------------------------------------------


@pytest.fixture
def trial(backend: str, tmp_path: Path) -> Callable[..., TrialResult]:
    def run(command: str, **resources: object) -> TrialResult:
        task = load_task(MANIFEST)
        assert task.manifest is not None
        task.manifest.resources = task.manifest.resources.model_copy(update=resources)
        settings = RunSettings(runs_dir=tmp_path / "runs", backend=backend, cache_root=tmp_path / "cache")
        return run_trial(TrialRequest(task, "command", args=(command,)), settings)

    return run


def _trial_bytes(tmp_path: Path, result: TrialResult) -> int:
    folder = tmp_path / "runs" / result.trial_id
    return sum(path.lstat().st_blocks * 512 for path in folder.rglob("*"))


def test_a_trial_that_floods_output_keeps_a_bounded_log(trial: Callable[..., TrialResult], tmp_path: Path) -> None:
    result = trial(f"head -c 50000000 /dev/zero | tr '\\0' x; {SUBMIT_SAMPLE}", time_limit="2m")
    assert result.status == "ok", result.reason
    log = tmp_path / "runs" / result.trial_id / "logs" / "agent.log"
    assert log.stat().st_size <= 2 * (OUTPUT_HEAD_BYTES + OUTPUT_TAIL_BYTES) + 1000
    assert "bytes of output left out" in log.read_text()


def test_a_trial_past_its_disk_quota_is_recorded_and_bounded(trial: Callable[..., TrialResult], tmp_path: Path) -> None:
    result = trial(f"dd if=/dev/zero of=big bs=1M count=80 || exit 3; {SUBMIT_SAMPLE}", disk_gb=QUOTA_MB / 1024)
    assert result.status == "agent_error" and "No space left on device" in (result.reason or ""), result.reason
    assert _trial_bytes(tmp_path, result) <= (QUOTA_MB + 5) * 1024**2


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        ('mkfifo "$BENCHSMITH_SUBMISSION"', "a FIFO"),
        (f'{SUBMIT_SAMPLE} && ln "$BENCHSMITH_SUBMISSION" /workspace/submission/again', "hard link"),
        ('truncate -s 1500M "$BENCHSMITH_SUBMISSION"', "over the"),
    ],
    ids=["fifo", "hard-link", "sparse"],
)
def test_a_special_submission_is_the_agents_fault_and_never_copied(
    trial: Callable[..., TrialResult], tmp_path: Path, command: str, reason: str
) -> None:
    result = trial(command, disk_gb=QUOTA_MB / 1024)
    assert result.status == "invalid_submission" and reason in (result.reason or ""), result.reason
    folder = tmp_path / "runs" / result.trial_id
    assert not (folder / "submission.csv").exists()
    assert _trial_bytes(tmp_path, result) <= (QUOTA_MB + 5) * 1024**2


def test_forged_results_are_never_read(trial: Callable[..., TrialResult], tmp_path: Path) -> None:
    forged_id = "penguins-species@000000000000/forger/seed-0"
    result = trial(planting_command(forged_id))
    assert result.status == "ok", result.reason
    runs = tmp_path / "runs"
    assert any(path.is_file() for path in (runs / result.trial_id / "workspace").rglob("result.json"))
    assert [recorded for _, recorded in iter_results(runs)] == [result]
    assert list(load_trials(runs).frame["trial_id"]) == [result.trial_id]


def test_a_model_outage_is_an_infra_error(backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)
    down = resolve_settings({"model": "m", "base_url": f"http://127.0.0.1:{free_port()}/v1", "api_key_env": KEY_ENV})
    settings = RunSettings(runs_dir=tmp_path / "runs", backend=backend, cache_root=tmp_path / "cache")
    request = TrialRequest(load_task(MANIFEST), "command", args=(CALL_THE_MODEL,),
                           model_access=ModelAccess(down, parse_limits(())))  # fmt: skip
    result = run_trial(request, settings)
    assert result.status == "infra_error" and "not reachable" in (result.reason or ""), result.reason


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        ('mkfifo "$BENCHSMITH_ARTEFACT"', "a FIFO"),
        ('ln -s /data/train.csv "$BENCHSMITH_ARTEFACT"', "a symbolic link"),
        ('truncate -s 1500M "$BENCHSMITH_ARTEFACT"', "over the"),
    ],
    ids=["fifo", "symlink", "sparse"],
)
def test_a_special_research_artefact_is_the_agents_fault(
    backend: str, tmp_path: Path, command: str, reason: str
) -> None:
    task = load_task(RESEARCH)
    assert task.manifest is not None
    task.manifest.resources = task.manifest.resources.model_copy(update={"disk_gb": QUOTA_MB / 1024})
    settings = RunSettings(runs_dir=tmp_path / "runs", backend=backend, cache_root=tmp_path / "cache")
    result = run_trial(TrialRequest(task, "command", args=(command,)), settings)
    assert result.status == "invalid_submission" and reason in (result.reason or ""), result.reason
    assert _trial_bytes(tmp_path, result) <= (QUOTA_MB + 5) * 1024**2
