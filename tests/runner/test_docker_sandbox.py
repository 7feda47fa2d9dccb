"""The docker backend against a real engine: the workspace contract, limits, and canaries for escapes.

The first run builds the base image (debootstrap, ~1-2 min) and the task image; later runs reuse them. Without
a docker engine these tests skip, except under CI=true, where they fail.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import socket
import struct
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

docker = pytest.importorskip("docker") if os.environ.get("CI") != "true" else __import__("docker")

from runner.environments import EnvironmentSpec  # noqa: E402
from runner.images import (  # noqa: E402
    ImageError,
    base_image_tag,
    docker_client,
    ensure_task_image,
    list_images,
    task_image_tag,
)
from runner.sandboxes import SandboxSpec, SandboxUnavailable, get_backend  # noqa: E402
from runner.sandboxes._docker import DockerBackend, DockerSandbox  # noqa: E402


def _engine() -> Any | None:
    try:
        return docker_client()
    except ImageError:
        pass
    if shutil.which("dockerd") is None or os.geteuid() != 0 or os.environ.get("DOCKER_HOST"):
        return None  # only the local default engine is started here
    with Path("/tmp/dockerd.log").open("ab") as log:
        subprocess.Popen(["dockerd"], stdout=log, stderr=log, start_new_session=True)
    for _ in range(60):
        time.sleep(0.5)
        try:
            return docker_client()
        except ImageError:
            continue
    return None


@pytest.fixture(scope="session")
def engine() -> Any:
    client = _engine()
    if client is None:
        message = "no docker engine: install docker.io and start dockerd"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return client


@pytest.fixture(scope="session")
def task_image(engine: Any) -> str:
    return ensure_task_image(EnvironmentSpec(), engine)


@pytest.fixture
def backend(task_image: str) -> DockerBackend:
    backend = get_backend("docker")
    assert isinstance(backend, DockerBackend)
    return backend


@pytest.fixture
def make_spec(tmp_path: Path) -> Callable[..., SandboxSpec]:
    def make(**overrides: Any) -> SandboxSpec:
        folders = {name: tmp_path / name for name in ("task", "data", "code", "submission")}
        for folder in folders.values():
            folder.mkdir(exist_ok=True)
        (folders["task"] / "description.md").write_text("# Predict y\n")
        (folders["data"] / "train.csv").write_text("x,y\n1,2\n")
        values: dict[str, Any] = {
            "trial_id": f"test-{uuid.uuid4().hex[:8]}",
            "task_dir": folders["task"],
            "data_dir": folders["data"],
            "code_dir": folders["code"],
            "submission_dir": folders["submission"],
            "submission_file": "submission.csv",
            "cpus": 1.0,
            "memory_gb": 1.0,
            "pids": 128,
            "time_limit_s": 600.0,
        }
        values.update(overrides)
        return SandboxSpec(**values)

    return make


@pytest.fixture
def sandbox(backend: DockerBackend, make_spec: Callable[..., SandboxSpec]) -> Iterator[DockerSandbox]:
    opened = backend.open(make_spec())
    assert isinstance(opened, DockerSandbox)
    with opened:
        yield opened


def test_backend_is_available(engine: Any) -> None:
    assert get_backend("docker").availability() is None


def test_images_are_cached_and_listed(engine: Any, task_image: str) -> None:
    started = time.monotonic()
    assert ensure_task_image(EnvironmentSpec(), engine) == task_image == task_image_tag(EnvironmentSpec())
    assert time.monotonic() - started < 5, "an unchanged environment must not be rebuilt"
    tags = {tag: info for info in list_images(engine) for tag in info.tags}
    assert tags[base_image_tag()].kind == "base"
    assert tags[task_image].kind == "task"
    assert engine.images.get(task_image).labels["benchsmith"] == "1"


def test_runs_the_environment_as_the_agent(sandbox: DockerSandbox) -> None:
    result = sandbox.run(
        ["python", "-c", "import os, sys, pandas, sklearn; print(os.getuid(), os.getgid(), sys.prefix)"]
    )
    assert result.ok, result.stderr
    assert result.stdout.split() == ["1000", "1000", "/opt/venv"]
    described = sandbox.describe()
    assert described["image_id"].startswith("sha256:")
    assert described["python"].startswith("3.11.")


def test_contract_environment_and_stdin(sandbox: DockerSandbox) -> None:
    result = sandbox.run(["sh", "-c", "echo $BENCHSMITH_SUBMISSION $BENCHSMITH_DATA $HOME; pwd"])
    assert result.stdout.split() == ["/workspace/submission/submission.csv", "/data", "/workspace/code",
                                     "/workspace/code"]  # fmt: skip
    echoed = sandbox.run(["python", "-c", "import sys; print(sys.stdin.read().upper())"], stdin="hello\n" * 20000)
    assert echoed.ok and echoed.stdout == "HELLO\n" * 20000 + "\n"


def test_mounts_and_read_only_root(sandbox: DockerSandbox) -> None:
    spec = sandbox.spec
    sandbox.container.reload()
    host = sandbox.container.attrs["HostConfig"]
    assert (host["Memory"], host["MemorySwap"], host["NanoCpus"], host["PidsLimit"]) == (1024**3, 1024**3, 10**9, 128)
    assert host["ReadonlyRootfs"] and host["CapDrop"] == ["ALL"] and host["NetworkMode"] == "none"
    assert host["SecurityOpt"] == ["no-new-privileges"]
    assert sandbox.container.attrs["Config"]["User"] == "1000:1000"
    assert sandbox.container.labels["benchsmith.runner_pid"] == str(os.getpid())
    modes = {mount["Destination"]: mount["RW"] for mount in sandbox.container.attrs["Mounts"]}
    assert modes == {"/task": False, "/data": False, "/workspace/code": True, "/workspace/submission": True}
    limit = sandbox.run(["cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/pids/pids.max"])
    if limit.ok:  # cgroup v1: the limits the kernel enforces
        assert limit.stdout.split() == [str(1024**3), "128"]
    for target in ("/data/new.csv", "/data/train.csv", "/task/description.md", "/usr/evil", "/opt/venv/evil"):
        result = sandbox.run(["sh", "-c", f"echo x > {target}"])
        assert result.exit_code != 0, target
    assert (spec.data_dir / "train.csv").read_text() == "x,y\n1,2\n"
    assert sandbox.run(["cat", "/data/train.csv", "/task/description.md"]).ok
    result = sandbox.run(["sh", "-c", "echo id,y > $BENCHSMITH_SUBMISSION && echo s > /workspace/code/a.py"
                                      " && echo t > /tmp/t"])  # fmt: skip
    assert result.ok, result.stderr
    assert (spec.submission_dir / "submission.csv").read_text() == "id,y\n"
    assert (spec.code_dir / "a.py").read_text() == "s\n"


def test_canary_planted_answers_and_runner_environment_are_invisible(
    backend: DockerBackend, make_spec: Callable[..., SandboxSpec], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = uuid.uuid4().hex
    planted = tmp_path / "cache" / "private" / f"answers-{secret}.csv"
    planted.parent.mkdir(parents=True)
    planted.write_text(f"id,y\n1,{secret}\n")
    monkeypatch.setenv("BENCHSMITH_CANARY_SECRET", secret)
    with backend.open(make_spec()) as sandbox:
        found = sandbox.run(
            [
                "sh",
                "-c",
                "find / -name 'answers-*' 2>/dev/null; find /task /data /workspace /tmp "
                f"-name 'answers-*'; grep -rl {secret} /task /data /workspace; true",
            ]
        )
        assert found.stdout.strip() == "", found.stdout
        environment = sandbox.run(["sh", "-c", "env; cat /proc/1/environ"])
        assert environment.ok and secret not in environment.stdout


@pytest.fixture
def host_server() -> Iterator[int]:
    """A real TCP server on all of the host's addresses (so on its loopback too) that answers b'leak'."""
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("0.0.0.0", 0))
    server.listen()
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            with connection:
                connection.sendall(b"leak")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    server.close()


_CONNECT = """
import socket, sys
for host in sys.argv[2:]:
    try:
        with socket.create_connection((host, int(sys.argv[1])), timeout=3) as s:
            print(host, s.recv(4).decode())
    except OSError as error:
        print(host, 'blocked', type(error).__name__)
"""


def _bridge_gateway(engine: Any) -> str:
    """The host's address on docker's default bridge (docker0)."""
    for config in engine.networks.get("bridge").attrs["IPAM"]["Config"] or []:
        if config.get("Gateway"):
            return str(config["Gateway"])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        packed = fcntl.ioctl(probe.fileno(), 0x8915, struct.pack("256s", b"docker0"))  # SIOCGIFADDR
    return socket.inet_ntoa(packed[20:24])


def test_canary_no_network_to_the_host(
    backend: DockerBackend, make_spec: Callable[..., SandboxSpec], engine: Any, host_server: int
) -> None:
    with socket.create_connection(("127.0.0.1", host_server), timeout=3) as check:
        assert check.recv(4) == b"leak"  # the server works from the host
    gateway = _bridge_gateway(engine)
    with backend.open(make_spec()) as sandbox:
        result = sandbox.run(["python", "-c", _CONNECT, str(host_server), "127.0.0.1", gateway])
        assert result.ok, result.stderr
        assert "leak" not in result.stdout, result.stdout
        assert result.stdout.count("blocked") == 2
        interfaces = sandbox.run(["cat", "/proc/net/dev"]).stdout
        assert "eth0" not in interfaces
    with backend.open(make_spec(network=True)) as networked:  # the control: the same probe gets through with network
        result = networked.run(["python", "-c", _CONNECT, str(host_server), gateway])
        assert "leak" in result.stdout, result.stdout + result.stderr


def test_canary_memory_limit_gives_oom(backend: DockerBackend, make_spec: Callable[..., SandboxSpec]) -> None:
    with backend.open(make_spec(memory_gb=0.25)) as sandbox:
        hog = "x = []\nwhile True:\n    x.append(bytearray(10**7))\n"
        result = sandbox.run(["python", "-c", hog], timeout_s=60)
        assert result.oom and not result.timed_out and not result.ok, result
        assert result.exit_code == 137
        after = sandbox.run(["python", "-c", "print(sum(range(10)))"])
        assert after.ok and not after.oom and after.stdout == "45\n"


def test_canary_timeout_kills_the_command(sandbox: DockerSandbox) -> None:
    started = time.monotonic()
    result = sandbox.run(["sh", "-c", "sleep 60 & sleep 60"], timeout_s=2)
    elapsed = time.monotonic() - started
    assert result.timed_out and not result.ok and not result.oom
    assert 2 <= elapsed < 7, elapsed
    left = sandbox.run(["sh", "-c", "cat /proc/[0-9]*/comm"])
    assert "sleep" not in left.stdout.split(), left.stdout
    assert sandbox.run(["true"]).ok


def test_canary_fork_bomb_is_contained(backend: DockerBackend, make_spec: Callable[..., SandboxSpec]) -> None:
    bomb = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    sandbox = backend.open(make_spec(pids=64))
    assert isinstance(sandbox, DockerSandbox)
    try:
        sandbox.container.reload()
        assert sandbox.container.attrs["HostConfig"]["PidsLimit"] == 64
        started = time.monotonic()
        result = sandbox.run(["python", "-c", bomb], timeout_s=5)
        assert result.timed_out
        assert time.monotonic() - started < 5 + 40
        count = sandbox.run(["sh", "-c", "ls /proc | grep -c '^[0-9]'"], timeout_s=30)
        assert count.ok and int(count.stdout) < 10, count  # the bomb is gone, the sandbox works again
    finally:
        sandbox.close()
    with pytest.raises(docker.errors.NotFound):
        sandbox.container.reload()


def test_reaps_containers_of_dead_runners(backend: DockerBackend, engine: Any, task_image: str) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    labels = {"benchsmith": "1", "benchsmith.trial": "orphan", "benchsmith.runner_pid": str(dead.pid)}
    orphan = engine.containers.run(task_image, ["sleep", "infinity"], detach=True, labels=labels, network_mode="none")
    alive = engine.containers.run(task_image, ["sleep", "infinity"], detach=True, network_mode="none",
                                  labels={**labels, "benchsmith.runner_pid": str(os.getpid())})  # fmt: skip
    try:
        assert backend.reap() >= 1
        with pytest.raises(docker.errors.NotFound):
            orphan.reload()
        alive.reload()
    finally:
        for container in (orphan, alive):
            with contextlib.suppress(docker.errors.NotFound):
                container.remove(force=True)


def test_gpu_required_without_nvidia_runtime(
    backend: DockerBackend, make_spec: Callable[..., SandboxSpec], engine: Any
) -> None:
    if "nvidia" in (engine.info().get("Runtimes") or {}):
        pytest.skip("this engine has the nvidia runtime")
    with pytest.raises(SandboxUnavailable, match="nvidia runtime"):
        backend.open(make_spec(gpu="required", gpus=1))
    with backend.open(make_spec(gpu="optional", gpus=1)) as sandbox:  # optional: runs on the CPU
        assert sandbox.run(["true"]).ok
