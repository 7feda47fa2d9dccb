"""Executors: the registry, and a real local Ray cluster that loses a worker mid-batch yet finishes every trial once."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from runner.executors import executor_names, get_executor
from runner.plugins import UnknownPluginError
from runner.preparation import prepare_task
from runner.results import iter_results
from runner.sandboxes import get_backend
from runner.trials import ClaimRecord, RunSettings, TrialRequest, run_claimed
from runner.trials._claims import CLAIM_FILE
from spec import load_task
from tests.conftest import CURATED, REPO, RUNNER, require, require_bwrap
from tests.runner.test_gpus import TWO_GPUS, fake_nvidia_smi

MANIFEST = CURATED / "penguins-species.yaml"
SUBMIT = 'cp /data/sample_submission.csv "$BENCHSMITH_SUBMISSION"'
# A worker that claims a trial and is killed mid-trial: it holds the claim until it dies.
HOLD_CLAIM = """
import sys, time
from pathlib import Path
from runner.trials import claim
with claim(Path(sys.argv[1])) as held:
    held.record(1)
    print("held", flush=True)
    time.sleep(600)
"""
SHOW_GPUS = 'echo "gpus=[$CUDA_VISIBLE_DEVICES]"'


@pytest.fixture(autouse=True)
def _needs_bwrap() -> None:
    require_bwrap()


def _requests(count: int, command: str, **resources: object) -> list[TrialRequest]:
    task = load_task(MANIFEST)
    assert task.manifest is not None
    # One CPU each, so the two-CPU local cluster runs two trials at once.
    task.manifest.resources = task.manifest.resources.model_copy(update={"cpus": 1, "memory_gb": 0.5, **resources})
    return [TrialRequest(task, "command", seed=seed, args=(command,)) for seed in range(count)]


def _is_ray_worker(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().startswith(b"ray::")
    except OSError:
        return False


def test_registry_and_usage_errors(tmp_path: Path) -> None:
    assert {"local", "ray"} <= set(executor_names())
    with pytest.raises(UnknownPluginError, match="choose one of"):
        get_executor("slurm")
    base = [*RUNNER, "exec", str(MANIFEST), "--backend", "local", "--runs-dir", str(tmp_path / "runs")]
    for extra, message in (
        (["--executor", "slurm"], "no executor 'slurm'"),
        (["--address", "127.0.0.1:6379"], "--address is the Ray cluster's"),
        (["--executor", "ray", "--address", "127.0.0.1:1"], "cannot start or reach the Ray cluster at 127.0.0.1:1"),
    ):
        completed = subprocess.run([*base, *extra], capture_output=True, text=True, cwd=REPO, timeout=120)
        assert completed.returncode == 2 and message in completed.stderr, completed.stderr


def test_ray_batch_survives_a_killed_worker_and_resumes(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    requests = _requests(20, f"sleep 1; {SUBMIT}")
    settings = RunSettings(runs_dir=runs, backend="local", cache_root=tmp_path / "cache")
    prepare_task(requests[0].task, cache_root=settings.cache_root)
    killed: list[tuple[Path, ClaimRecord]] = []
    done = threading.Event()

    def kill_one_worker_mid_trial() -> None:
        """Once a few trials have finished, SIGKILL the Ray worker that holds a running trial's claim."""
        while not done.is_set():
            if len(list(runs.glob("*/*/seed-*/result.json"))) >= 2:  # not into workspaces being moved
                for claim_file in runs.glob(f"*/*/seed-*/{CLAIM_FILE}"):
                    try:
                        record = ClaimRecord.model_validate_json(claim_file.read_bytes())
                    except (OSError, ValueError):
                        continue
                    folder = claim_file.parent
                    if (folder / "result.json").exists() or not _is_ray_worker(record.pid):
                        continue
                    os.kill(record.pid, signal.SIGKILL)
                    killed.append((folder, record))
                    return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_one_worker_mid_trial, daemon=True)
    killer.start()
    try:
        report = get_executor("ray", num_cpus=2).run(requests, settings, jobs=None, on_done=None)
    finally:
        done.set()
        killer.join()
    assert len(killed) == 1, "no Ray worker was caught mid-trial"
    killed_folder, record = killed[0]
    assert record.pid != os.getpid() and not _is_ray_worker(record.pid)

    assert not report.lost and not report.busy and not report.interrupted
    results = {folder: result for folder, result in iter_results(runs)}
    assert sorted(result.seed for result in results.values()) == list(range(20))  # every trial, once each
    assert len(list(runs.rglob("result.json"))) == 20
    assert sorted(result.seed for result in report.results) == list(range(20))
    assert all(result.status == "ok" for result in results.values()), [r.reason for r in results.values()]
    assert results[killed_folder].attempts == record.attempt + 1  # the retry took over the dead worker's claim
    assert all(result.attempts == 1 for folder, result in results.items() if folder != killed_folder)
    assert not list(runs.rglob(CLAIM_FILE))  # no claim left behind

    again = get_executor("ray", num_cpus=2).run(requests, settings, jobs=None, on_done=None)
    assert len(again.skipped) == 20 and not again.results


def test_ray_cli_gives_each_trial_its_own_gpu(tmp_path: Path) -> None:
    fake = fake_nvidia_smi(tmp_path / "bin", TWO_GPUS)
    task_dir = tmp_path / "tasks" / "curated"
    task_dir.mkdir(parents=True)
    subprocess.run(["cp", "-r", str(CURATED / "penguins-species"), str(task_dir)], check=True)
    (task_dir / "penguins-species.yaml").write_text(
        MANIFEST.read_text().replace("{cpus: 2, memory_gb: 4, gpu: none", "{cpus: 0.5, memory_gb: 0.5, gpu: required"),
        encoding="utf-8",
    )
    command = [*RUNNER, "exec", str(task_dir / "penguins-species.yaml"), "--backend", "local", "--executor", "ray",
               "--runs-dir", str(tmp_path / "runs"), "--cache-dir", str(tmp_path / "cache"), "--seeds", "4",
               "--agent", "command", "--agent-arg", f"{SHOW_GPUS}; sleep 1; {SUBMIT}"]  # fmt: skip
    env = {**os.environ, "PATH": f"{fake}{os.pathsep}{os.environ['PATH']}", "COLUMNS": "200"}
    completed = subprocess.run(command, capture_output=True, text=True, cwd=REPO, env=env, timeout=400)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    spans = []
    for folder, result in iter_results(tmp_path / "runs"):
        [ids] = re.findall(r"gpus=\[([^\]]*)\]", (folder / "logs" / "agent.log").read_text())
        assert ids in {"0", "1"}  # Ray's assignment from the two GPUs nvidia-smi listed, one each
        spans.append((result.started_at.timestamp(), result.started_at.timestamp() + result.duration_s, ids))
    assert len(spans) == 4
    for index, (start, end, gpu) in enumerate(spans):
        for other_start, other_end, other_gpu in spans[index + 1 :]:
            if start < other_end and other_start < end:
                assert gpu != other_gpu


def test_taking_over_a_dead_workers_claim_reaps_its_containers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker killed mid-trial leaves its claim record and a labelled container; the runner that takes the trial
    over removes the container and counts the attempt on."""
    require(get_backend("docker").availability(), ".ci/run installs docker.io and starts dockerd")
    from runner.images import LABEL, docker_client
    from runner.sandboxes._docker import DockerBackend

    [request] = _requests(1, SUBMIT)
    settings = RunSettings(runs_dir=tmp_path / "runs", backend="docker", cache_root=tmp_path / "cache")
    folder = request.key.folder(settings.runs_dir)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_CLAIM, str(folder)], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    client = docker_client()
    image = next(
        image for image in client.images.list() if any(tag.startswith("benchsmith/base") for tag in image.tags)
    )
    labels = {LABEL: "1", f"{LABEL}.trial": request.key.trial_id, f"{LABEL}.runner_pid": str(holder.pid),
              f"{LABEL}.runner_host": socket.gethostname()}  # fmt: skip
    left = client.containers.run(image.id, ["sleep", "600"], detach=True, labels=labels, network_mode="none")
    try:
        assert run_claimed(request, settings) == (None, "busy")  # its holder is alive: left to it
        holder.kill()
        holder.wait()
        # This process already swept once at its first sandbox (as a long-lived Ray worker has): only the takeover
        # of the dead holder's claim can remove the container now.
        monkeypatch.setattr(DockerBackend, "_reaped_in", os.getpid())
        result, how = run_claimed(request, settings)
        assert how == "ran" and result is not None and result.status == "ok", result
        assert result.attempts == 2
        assert left.id not in {container.id for container in client.containers.list(all=True)}
    finally:
        holder.kill()
        with contextlib.suppress(Exception):
            left.remove(force=True)
