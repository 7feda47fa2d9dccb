"""A Ray cluster started the way users start one: `ray start --head` and a second node joining it with
`ray start --address`, each its own processes, CPUs and temp folder, with Ray's token authentication on. A batch runs
there through `runner exec --executor ray --address`; one node is killed mid-batch; every trial is recorded once."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from runner.results import iter_results
from runner.trials import ClaimRecord
from runner.trials._claims import CLAIM_FILE
from tests.conftest import CURATED, REPO, RUNNER, require, require_bwrap

SUBMIT = 'cp /data/sample_submission.csv "$BENCHSMITH_SUBMISSION"'
SEEDS = 4
# Each node offers one CPU and each trial asks for one, so the two nodes run a trial each at a time.
NODE = ["--node-ip-address", "127.0.0.1", "--num-cpus", "1", "--num-gpus", "0", "--memory", str(2**30),
        "--object-store-memory", str(80 * 2**20), "--disable-usage-stats",
        "--include-log-monitor", "false"]  # fmt: skip


@dataclass
class Cluster:
    address: str
    env: dict[str, str]  # what a driver needs: RAY_AUTH_MODE=token and the cluster's token
    head_dir: Path
    node_dir: Path


def _ray_cli() -> str:
    require(None if importlib.util.find_spec("ray") else "ray is not installed", "pip install 'ray>=2.9'")
    found = shutil.which("ray", path=str(Path(sys.executable).parent)) or shutil.which("ray")
    assert found is not None, "ray is importable but its `ray` command is not on PATH"
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _parents() -> dict[int, int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                # Field 4 of /proc/PID/stat, after the parenthesised command name (which may hold spaces).
                parents[int(entry.name)] = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
    return parents


def _node_processes(temp_dir: Path) -> set[int]:
    """The processes of the Ray node whose temp folder is `temp_dir`: those naming it (raylet, agents, GCS) and all
    their descendants (the workers rename themselves `ray::...`, and run the trials' sandboxes)."""
    roots = set()
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError):
            if entry.name.isdigit() and str(temp_dir).encode() in (entry / "cmdline").read_bytes():
                roots.add(int(entry.name))
    parents = _parents()
    found = set(roots)
    grew = True
    while grew:
        children = {pid for pid, parent in parents.items() if parent in found} - found
        found |= children
        grew = bool(children)
    return found - {os.getpid()}


def _kill(pids: set[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _start_node(command: list[str], temp_dir: Path, env: dict[str, str]) -> None:
    """`ray start`, tried again from scratch when the node misses Ray's fixed 30 s to register (a loaded CI machine)."""
    output = ""
    for _ in range(3):
        started = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
        if started.returncode == 0:
            return
        output = started.stdout + started.stderr
        _kill(_node_processes(temp_dir))
        time.sleep(2)
    pytest.fail(f"`{' '.join(command[1:3])}` failed three times:\n{output}")


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    require_bwrap()  # the trials' sandbox: checked before minutes go into starting the cluster
    ray = _ray_cli()
    token = secrets.token_hex(16)
    env = {key: value for key, value in os.environ.items() if not key.startswith("RAY_")}
    env |= {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": token}
    address = f"127.0.0.1:{_free_port()}"
    # Short folders under /tmp: Ray's unix sockets live there and their paths are limited to 107 bytes.
    head_dir = Path(tempfile.mkdtemp(prefix="bs-ray-head-", dir="/tmp"))
    node_dir = Path(tempfile.mkdtemp(prefix="bs-ray-node-", dir="/tmp"))
    try:
        head = [ray, "start", "--head", "--port", address.rpartition(":")[2], "--include-dashboard", "false",
                "--temp-dir", str(head_dir), *NODE]  # fmt: skip
        _start_node(head, head_dir, env)
        _start_node([ray, "start", "--address", address, "--temp-dir", str(node_dir), *NODE], node_dir, env)
        yield Cluster(address, env, head_dir, node_dir)
    finally:
        # Not `ray stop`: it stops every Ray process on the machine, other tests' clusters included.
        _kill(_node_processes(node_dir) | _node_processes(head_dir))
        for folder in (head_dir, node_dir):
            shutil.rmtree(folder, ignore_errors=True)


def _task(tmp_path: Path) -> Path:
    folder = tmp_path / "tasks" / "curated"
    folder.mkdir(parents=True)
    shutil.copytree(CURATED / "penguins-species", folder / "penguins-species")
    manifest = folder / "penguins-species.yaml"
    text = (CURATED / "penguins-species.yaml").read_text(encoding="utf-8")
    old = "{cpus: 2, memory_gb: 4, gpu: none"
    assert old in text
    manifest.write_text(text.replace(old, "{cpus: 1, memory_gb: 0.5, gpu: none"), encoding="utf-8")
    return manifest


def test_batch_on_a_two_node_cluster_survives_losing_a_node(tmp_path: Path, cluster: Cluster) -> None:
    manifest = _task(tmp_path)
    runs = tmp_path / "runs"  # one folder both nodes write to, as shared storage would be
    command = [*RUNNER, "exec", str(manifest), "--backend", "local", "--executor", "ray", "--address",
               cluster.address, "--runs-dir", str(runs), "--cache-dir", str(tmp_path / "cache"), "--seeds",
               str(SEEDS), "--agent", "command", "--agent-arg", f"sleep 4; {SUBMIT}"]  # fmt: skip

    # Token authentication as Ray documents it: without the cluster's token the driver is refused, clearly.
    no_token = {key: value for key, value in cluster.env.items() if key != "RAY_AUTH_TOKEN"}
    refused = subprocess.run(
        command, capture_output=True, text=True, cwd=REPO, timeout=300, env={**no_token, "HOME": str(tmp_path)}
    )
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "refused this driver" in refused.stderr and "RAY_AUTH_TOKEN" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr

    killed: list[tuple[Path, ClaimRecord]] = []
    done = threading.Event()

    def kill_the_second_node_mid_trial() -> None:
        """SIGKILL every process of the second node (raylet, agents, workers, sandboxes) once a worker there holds a
        running trial's claim."""
        while not done.is_set():
            node = _node_processes(cluster.node_dir)
            for claim_file in runs.rglob(CLAIM_FILE) if runs.is_dir() else ():
                try:
                    record = ClaimRecord.model_validate_json(claim_file.read_bytes())
                except (OSError, ValueError):
                    continue
                if record.pid in node and not (claim_file.parent / "result.json").exists():
                    _kill(node)
                    killed.append((claim_file.parent, record))
                    return
            time.sleep(0.1)

    killer = threading.Thread(target=kill_the_second_node_mid_trial, daemon=True)
    killer.start()
    try:
        env = {**cluster.env, "COLUMNS": "200"}
        completed = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=900, env=env)
    finally:
        done.set()
        killer.join()
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert len(killed) == 1, "no trial was caught running on the second node"
    killed_folder, record = killed[0]
    assert not _node_processes(cluster.node_dir)  # the node is gone, its workers with it

    results = dict(iter_results(runs))
    assert sorted(result.seed for result in results.values()) == list(range(SEEDS))  # every trial, once each
    assert len(list(runs.rglob("result.json"))) == SEEDS
    assert all(result.status == "ok" for result in results.values()), [r.reason for r in results.values()]
    # Ray ran the lost trial again on the surviving node; the retry took over the dead worker's claim.
    assert results[killed_folder].attempts == record.attempt + 1
    assert all(result.attempts == 1 for folder, result in results.items() if folder != killed_folder)
    assert not list(runs.rglob(CLAIM_FILE))

    again = subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=300, env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"{SEEDS} finished trial(s) kept from an earlier run" in again.stderr
