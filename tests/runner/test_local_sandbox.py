"""The local backend contains canary agents: no answers, no network, memory and time limits, fork bombs."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.sandboxes import CappedOutput, SandboxSpec, copy_handed_in, get_backend, mount_quota
from runner.sandboxes._local import LocalSandbox
from runner.sandboxes._quota import image_of
from tests.conftest import require, require_bwrap


@pytest.fixture(autouse=True)
def _needs_bwrap() -> None:
    require_bwrap()


@pytest.fixture
def spec(tmp_path: Path) -> SandboxSpec:
    folders = {name: tmp_path / name for name in ("task", "data", "code", "submission")}
    for folder in folders.values():
        folder.mkdir()
    (folders["data"] / "train.csv").write_text("id,x,y\n1,2,3\n")
    return SandboxSpec(
        trial_id="canary", task_dir=folders["task"], data_dir=folders["data"], code_dir=folders["code"],
        submission_dir=folders["submission"], submission_file="submission.csv", memory_gb=0.25, pids=64,
        time_limit_s=60,
    )  # fmt: skip


@pytest.fixture
def sandbox(spec: SandboxSpec) -> Iterator[LocalSandbox]:
    opened = get_backend("local").open(spec)
    assert isinstance(opened, LocalSandbox)
    yield opened
    opened.close()


def _python(sandbox: LocalSandbox, code: str, timeout_s: float = 30):  # type: ignore[no-untyped-def]
    return sandbox.run(["python", "-c", code], timeout_s=timeout_s)


def test_workspace_contract(sandbox: LocalSandbox) -> None:
    result = _python(
        sandbox,
        "import os, pandas, sklearn\n"
        "print(os.getuid(), open(os.environ['BENCHSMITH_DATA'] + '/train.csv').read().splitlines()[1])\n"
        "open(os.environ['BENCHSMITH_SUBMISSION'], 'w').write('id,y\\n1,3\\n')\n"
        "try:\n    open('/data/new.csv', 'w')\nexcept OSError as error:\n    print('read-only', error.errno)\n",
    )
    assert result.ok, result.stderr
    uid, row, *rest = result.stdout.split()
    assert uid != "0" and row == "1,2,3" and rest[0] == "read-only"
    assert (sandbox.spec.submission_dir / "submission.csv").read_text() == "id,y\n1,3\n"


def test_answers_elsewhere_on_the_host_are_not_found(sandbox: LocalSandbox, tmp_path: Path) -> None:
    secret = tmp_path / "cache" / "private"
    secret.mkdir(parents=True)
    (secret / "answers.csv").write_text("id,y\n1,42\n")
    result = _python(
        sandbox,
        "import os\nfound = []\n"
        "for root, dirs, files in os.walk('/'):\n"
        "    if root.startswith(('/proc', '/sys')):\n        continue\n"
        "    found += [os.path.join(root, f) for f in files if f == 'answers.csv']\n"
        "print(found)\n",
        timeout_s=60,
    )
    assert result.ok, result.stderr
    assert result.stdout.strip() == "[]"


def test_no_connection_to_a_server_on_the_host_loopback(sandbox: LocalSandbox) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]
    accepted: list[object] = []
    threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True).start()
    result = _python(
        sandbox,
        f"import socket\ns = socket.socket()\ns.settimeout(3)\ntry:\n    s.connect(('127.0.0.1', {port}))\n"
        "    print('connected')\nexcept OSError as error:\n    print('refused', error)\n",
    )
    server.close()
    assert "refused" in result.stdout and not accepted


def test_unbounded_memory_is_oom(sandbox: LocalSandbox) -> None:
    result = _python(sandbox, "blocks = []\nwhile True:\n    blocks.append(bytearray(50 * 1024 * 1024))\n")
    assert result.oom and not result.ok


def test_sleeping_past_the_limit_is_a_timeout(sandbox: LocalSandbox) -> None:
    started = time.monotonic()
    result = sandbox.run(["sleep", "30"], timeout_s=1)
    assert result.timed_out and time.monotonic() - started < 10


def test_fork_bomb_is_contained(sandbox: LocalSandbox) -> None:
    result = _python(
        sandbox,
        "import os, time\ncount = 0\nwhile True:\n    try:\n        if os.fork() == 0:\n            time.sleep(30)\n"
        "            os._exit(0)\n        count += 1\n    except OSError:\n        print('stopped at', count)\n"
        "        break\n",
        timeout_s=20,
    )
    assert "stopped at" in result.stdout
    assert int(result.stdout.split()[-1]) < 64
    # Closing kills the sleeping children; the runner is unharmed and starts the next sandbox as usual.
    sandbox.close()
    with get_backend("local").open(sandbox.spec) as fresh:
        assert fresh.run(["true"], timeout_s=5).exit_code == 0


def test_reaping_leaves_live_sandboxes_and_removes_dead_runners_cgroups(sandbox: LocalSandbox) -> None:
    from runner.sandboxes._local import CGROUP_PARENT, CGROUP_ROOT

    assert _python(sandbox, "print(1)").ok
    require(None if sandbox.cgroups else "no cgroup v1 hierarchy here", "the local backend limits trials with cgroups")
    # A runner that died: its pid no longer exists, and its cgroup is empty.
    dead = CGROUP_ROOT / "memory" / CGROUP_PARENT / "4194303-deadbeef0000"
    dead.mkdir()
    try:
        get_backend("local").reap()  # between two commands the live sandbox's cgroup is empty too
        assert not dead.exists()
        assert _python(sandbox, "print(2)").ok, "a live sandbox's cgroup must survive reaping"
    finally:
        if dead.exists():
            dead.rmdir()


def test_capped_output_keeps_head_and_tail_and_counts_the_rest() -> None:
    capped = CappedOutput(head=4, tail=3)
    for chunk in (b"ab", b"cdefgh", b"ijkl"):
        capped.feed(chunk)
    assert (bytes(capped.head), bytes(capped.tail), capped.omitted) == (b"abcd", b"jkl", 5)
    assert capped.text().startswith("abcd\n[benchsmith: 5 bytes of output left out") and capped.text().endswith("jkl")


def test_a_copy_of_a_sparse_file_stays_sparse(tmp_path: Path) -> None:
    sparse = tmp_path / "sparse"
    with sparse.open("wb") as handle:
        handle.truncate(64 * 1024**2)
        handle.seek(32 * 1024**2)
        handle.write(b"data")
    copy_handed_in(sparse, tmp_path / "copy", 64 * 1024**2)
    copied = (tmp_path / "copy").stat()
    assert copied.st_size == 64 * 1024**2 and copied.st_blocks * 512 < 1024**2
    with (tmp_path / "copy").open("rb") as handle:
        handle.seek(32 * 1024**2)
        assert handle.read(4) == b"data"


def test_a_dead_runners_quota_mount_is_released_and_its_files_kept(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("quota mounts need root (CI runs as root)")
    workspace = tmp_path / "workspace"
    assert mount_quota(workspace, 20 * 1024**2) and os.path.ismount(workspace)
    (workspace / "code").mkdir()
    (workspace / "code" / "train.py").write_text("print(1)\n")
    assert get_backend("local").reap() == 0 or os.path.ismount(workspace)  # its owner, this process, is alive
    workspace.with_name("workspace.quota.owner").write_text("999999999")  # as if a killed runner had mounted it
    assert get_backend("local").reap() >= 1
    assert not os.path.ismount(workspace) and (workspace / "code" / "train.py").read_text() == "print(1)\n"
    assert not image_of(workspace).exists()
