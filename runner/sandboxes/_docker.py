"""The docker backend: one long-lived container per trial, commands run in it with `docker exec`.

The container runs the task image (`runner.images`) as uid 1000 with a read-only root, every capability dropped and
no new privileges, no network unless the task allows it, and the trial's memory (no swap), CPU and process limits.
The workspace contract is bind mounts: the read-only ones from neutral overlays (`_quota.Staging`), the writable ones
and /tmp from the trial's quota file system (a size-limited tmpfs /tmp without one). The runner enforces each
command's wall-clock limit and ends what a command leaves running: after it, and on timeout, it kills every agent
process (`kill -KILL -1` as uid 1000; if even that cannot start, because a
fork bomb holds every process slot, the container is restarted). An out-of-memory kill is read from the
container's memory cgroup (`oom_kill` in memory.oom_control on v1, memory.events on v2). Containers are labelled
with the runner's pid, so a later runner removes what a killed one left behind (`reap`).
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import struct
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from docker.errors import APIError, DockerException, NotFound  # type: ignore[import-untyped]
from docker.types import DeviceRequest  # type: ignore[import-untyped]

from runner.environments import EnvironmentSpec
from runner.hardware import docker_runtimes
from runner.images import LABEL, ImageError, docker_client, ensure_task_image

from ._base import (
    CODE_DIR,
    DATA_DIR,
    MODEL_DIR,
    SUBMISSION_DIR,
    TASK_DIR,
    ExecResult,
    Sandbox,
    SandboxBackend,
    SandboxError,
    SandboxSpec,
    SandboxUnavailable,
    sandbox_backend,
)
from ._output import CappedOutput
from ._quota import Staging, reap_quotas, reap_staging

AGENT = "1000:1000"
AGENT_UID = 1000
IMAGE_PYTHON = "3.11"  # Debian bookworm's python3
_KILL_GRACE_S = 5.0
_CGROUP_ROOT = Path("/sys/fs/cgroup")
_HEADER = struct.Struct(">BxxxL")
# The container's pid 1: idles, reaps orphaned processes (which re-parent to it), and, being the namespace's
# init, survives the `kill -KILL -1` that ends a timed-out command (`sleep infinity` under docker-init would not:
# it runs as the agent's uid and is not pid 1, so the kill stopped the container).
_INIT = """\
import os, signal
signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
while True:
    signal.sigwait({signal.SIGCHLD})
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass
"""


def _process_start(pid: int) -> str | None:
    """The start time of a process (clock ticks since boot), to tell a pid from a later one that reuses it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _runner_alive(pid_label: str | None, start_label: str | None) -> bool:
    try:
        pid = int(pid_label or "")
    except ValueError:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, someone else's
    if start_label and Path("/proc").is_dir():
        return _process_start(pid) in (None, start_label)
    return True


class _Streams:
    """Demultiplexes docker's attach stream (8-byte headers: stream id, size) into capped stdout and stderr."""

    def __init__(self) -> None:
        self.pending = bytearray()
        self.out = CappedOutput()
        self.err = CappedOutput()

    def feed(self, data: bytes) -> None:
        self.pending += data
        while len(self.pending) >= _HEADER.size:
            kind, size = _HEADER.unpack_from(self.pending)
            if len(self.pending) < _HEADER.size + size:
                return
            payload = bytes(self.pending[_HEADER.size : _HEADER.size + size])
            del self.pending[: _HEADER.size + size]
            (self.err if kind == 2 else self.out).feed(payload)

    def text(self) -> tuple[str, str]:
        return self.out.text(), self.err.text()


def _raw_socket(handle: Any) -> socket.socket:
    """The socket under what `exec_start(socket=True)` returns (a SocketIO on unix sockets)."""
    inner = getattr(handle, "_sock", handle)
    if not isinstance(inner, socket.socket):
        raise SandboxError(f"unsupported docker transport for exec: {type(handle).__name__}")
    return inner


class DockerSandbox(Sandbox):
    """One trial's container; `run` execs into it."""

    def __init__(self, spec: SandboxSpec, client: Any, container: Any, image_id: str, staging: Staging) -> None:
        self.spec = spec
        self.staging = staging
        self.client = client
        self.container = container
        self.image_id = image_id
        self.deadline = time.monotonic() + spec.time_limit_s
        self._python: str | None = None
        self._memory_cgroup: Path | None = None
        self._closed = False

    # -- cgroup ---------------------------------------------------------------------------------------------------

    def _cgroup_dir(self) -> Path | None:
        """The container's memory cgroup on this host (v1: memory controller; v2: the unified group)."""
        if self._memory_cgroup is not None and self._memory_cgroup.is_dir():
            return self._memory_cgroup
        candidates: list[Path] = []
        with contextlib.suppress(DockerException):
            self.container.reload()
        pid = int(self.container.attrs.get("State", {}).get("Pid") or 0)
        if pid:
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
                    _, controllers, path = line.split(":", 2)
                    if "memory" in controllers.split(","):
                        candidates.append(_CGROUP_ROOT / "memory" / path.lstrip("/"))
                    elif controllers == "":
                        candidates.append(_CGROUP_ROOT / path.lstrip("/"))
        cid = self.container.id
        candidates += [_CGROUP_ROOT / "memory" / "docker" / cid, _CGROUP_ROOT / "system.slice" / f"docker-{cid}.scope",
                       _CGROUP_ROOT / "memory" / "system.slice" / f"docker-{cid}.scope"]  # fmt: skip
        for candidate in candidates:
            if (candidate / "memory.oom_control").is_file() or (candidate / "memory.events").is_file():
                self._memory_cgroup = candidate
                return candidate
        return None

    def _oom_kills(self) -> int | None:
        """How many processes the kernel killed for memory in this container so far; None when unreadable."""
        folder = self._cgroup_dir()
        if folder is None:
            return None
        for name in ("memory.oom_control", "memory.events"):
            with contextlib.suppress(OSError, ValueError):
                for line in (folder / name).read_text().splitlines():
                    key, _, value = line.partition(" ")
                    if key == "oom_kill":
                        return int(value)
        return None

    # -- exec -----------------------------------------------------------------------------------------------------

    def _ensure_running(self) -> None:
        try:
            self.container.reload()
            if self.container.status != "running":
                self.container.start()
                self._memory_cgroup = None
        except DockerException as error:
            raise SandboxError(f"the trial's container {self.container.short_id} is gone: {error}") from None

    def _exec_start(self, command: Sequence[str], *, user: str, with_stdin: bool) -> tuple[str, socket.socket, Any]:
        api = self.client.api
        created = api.exec_create(
            self.container.id, list(command), stdout=True, stderr=True, stdin=with_stdin, tty=False, user=user,
            workdir=CODE_DIR,
        )  # fmt: skip
        handle = api.exec_start(created["Id"], socket=True, tty=False)
        return created["Id"], _raw_socket(handle), handle

    def _pump(self, sock: socket.socket, streams: _Streams, stdin: bytes | None, deadline: float) -> bool:
        """Send stdin and read the output until the stream ends (True) or the deadline passes (False)."""
        sock.setblocking(False)
        pending = memoryview(stdin) if stdin is not None else None
        if pending is not None and not pending:
            sock.shutdown(socket.SHUT_WR)
            pending = None
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            readable, writable, _ = select.select([sock], [sock] if pending is not None else [], [], min(remaining, 1))
            if writable and pending is not None:
                try:
                    sent = sock.send(pending[: 1 << 16])
                except (BlockingIOError, InterruptedError):
                    sent = 0
                except OSError:  # the command exited without reading all of its input
                    sent, pending = 0, memoryview(b"")
                pending = pending[sent:]
                if not pending:
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_WR)
                    pending = None
            if readable:
                try:
                    data = sock.recv(1 << 16)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    return True
                if not data:
                    return True
                streams.feed(data)

    def _exit_code(self, exec_id: str, wait_s: float = 2.0) -> int | None:
        until = time.monotonic() + wait_s
        while True:
            try:
                state = self.client.api.exec_inspect(exec_id)
            except DockerException:
                return None
            if not state.get("Running") or time.monotonic() >= until:
                code = state.get("ExitCode")
                return int(code) if code is not None and not state.get("Running") else None
            time.sleep(0.02)

    def _start_kill(self) -> str | None:
        """Start a SIGKILL of every process of the agent user but pid 1 (the container's init), detached: the
        engine may hold the kill's end until a command's pending output is read. Its exec id; None if it could not
        start (e.g. no process slot left for the kill itself)."""
        # Exits 0 whether or not anything was left to kill: only a kill that could not start is a failure.
        kill = ["/bin/sh", "-c", "kill -KILL -1 2>/dev/null; exit 0"]
        try:
            created = self.client.api.exec_create(self.container.id, kill, stdout=False, stderr=False, user=AGENT)
            self.client.api.exec_start(created["Id"], detach=True)
        except DockerException:
            return None
        return str(created["Id"])

    def _killed(self, kill_id: str | None) -> bool:
        return kill_id is not None and self._exit_code(kill_id, _KILL_GRACE_S) == 0  # 126 and the like: no start

    def _restart(self) -> None:
        with contextlib.suppress(DockerException, OSError):
            self.container.kill()
        try:
            self.container.wait(timeout=30)
            self.container.start()
        except (DockerException, OSError) as error:  # OSError: the engine's answer timed out (requests')
            raise SandboxError(f"cannot restart the trial's container {self.container.short_id}: {error}") from None
        self._memory_cgroup = None

    def run(self, command: Sequence[str], *, timeout_s: float | None = None, stdin: str | None = None) -> ExecResult:
        if self._closed:
            raise SandboxError("the sandbox is closed")
        remaining = self.deadline - time.monotonic()
        limit = max(0.0, min(timeout_s, remaining) if timeout_s is not None else remaining)
        return self._exec(command, limit, stdin)

    def _exec(self, command: Sequence[str], limit: float, stdin: str | None) -> ExecResult:
        self._ensure_running()
        oom_before = self._oom_kills()
        started = time.monotonic()
        try:
            exec_id, sock, handle = self._exec_start(command, user=AGENT, with_stdin=stdin is not None)
        except DockerException as error:
            raise SandboxError(f"docker exec failed: {error}") from None
        streams = _Streams()
        try:
            finished = self._pump(sock, streams, stdin.encode() if stdin is not None else None, started + limit)
            if not finished:
                kill_id = self._start_kill()
                drained = kill_id is not None and self._pump(sock, streams, None, time.monotonic() + _KILL_GRACE_S)
                if not drained or not self._killed(kill_id):
                    sock.close()  # the engine may wait for this stream to be read before it stops the container
                    self._restart()
        finally:
            sock.close()
            del handle
        duration = time.monotonic() - started
        exit_code = self._exit_code(exec_id)
        oom_after = self._oom_kills()
        if oom_before is not None and oom_after is not None:
            oom = oom_after > oom_before and exit_code != 0  # a child killed but handled is no failure
        else:  # no cgroup to read: the engine's flag, or SIGKILL without a timeout
            with contextlib.suppress(DockerException):
                self.container.reload()
            oom = bool(self.container.attrs.get("State", {}).get("OOMKilled")) or (exit_code == 137 and finished)
        if finished and not self._killed(self._start_kill()):
            # What the command left running ends with it, as on the local backend (its own pid namespace per
            # command): nothing the agent started lives on to hold process slots or write after the command.
            self._restart()
        stdout, stderr = streams.text()
        return ExecResult(exit_code, stdout, stderr, duration, timed_out=not finished, oom=oom)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self.container.remove(force=True)
        except NotFound:
            pass
        except DockerException as error:
            raise SandboxError(f"cannot remove the trial's container {self.container.short_id}: {error}") from None
        finally:
            self.staging.close()

    def describe(self) -> dict[str, str]:
        if self._python is None and not self._closed:
            result = self._exec(["python", "-c", "import sys; print(sys.version.split()[0])"], 30, None)
            self._python = result.stdout.strip() if result.ok else "unknown"
        return {"image_id": self.image_id, "python": self._python or "unknown"}


@sandbox_backend("docker")
class DockerBackend(SandboxBackend):
    """Sandboxes in docker containers built from `benchsmith/task:<env key>` images."""

    _reaped_in: ClassVar[int | None] = None

    def availability(self) -> str | None:
        try:
            docker_client()
        except ImageError as error:
            return str(error)
        return None

    def _client(self) -> Any:
        try:
            return docker_client()
        except ImageError as error:
            raise SandboxUnavailable(str(error)) from None

    def _device_requests(self, client: Any, spec: SandboxSpec) -> list[Any]:
        if spec.gpu == "none" or spec.gpus <= 0:
            return []
        runtimes = docker_runtimes(client) or []
        if "nvidia" not in runtimes:
            if spec.gpu == "required":
                raise SandboxUnavailable(
                    f"trial {spec.trial_id} requires {spec.gpus} GPU(s) but the docker engine has no nvidia runtime "
                    f"(runtimes: {', '.join(sorted(runtimes)) or 'none'}): install the NVIDIA container toolkit and "
                    "run `nvidia-ctk runtime configure --runtime=docker`, or use a machine with a GPU"
                )
            return []  # optional: run on the CPU
        if spec.gpu_ids is not None:
            return [DeviceRequest(device_ids=list(spec.gpu_ids), capabilities=[["gpu"]])] if spec.gpu_ids else []
        return [DeviceRequest(count=spec.gpus, capabilities=[["gpu"]])]

    @staticmethod
    def _writable_by_agent(folder: Path) -> None:
        """The read-write mounts must be writable by uid 1000 inside."""
        if os.geteuid() == 0:
            for root, folders, files in os.walk(folder):
                for name in (root, *folders, *files):
                    os.chown(Path(root, name), AGENT_UID, AGENT_UID, follow_symlinks=False)
        elif folder.stat().st_uid != AGENT_UID:
            folder.chmod(0o777)  # not root: the only way for another uid to write here

    def open(self, spec: SandboxSpec) -> Sandbox:
        client = self._client()
        if DockerBackend._reaped_in != os.getpid():
            DockerBackend._reaped_in = os.getpid()
            self.reap()
        if spec.python != IMAGE_PYTHON:
            raise SandboxUnavailable(f"docker images have Python {IMAGE_PYTHON} (Debian bookworm), not {spec.python}")
        device_requests = self._device_requests(client, spec)
        try:
            tag = ensure_task_image(EnvironmentSpec(tuple(spec.packages), spec.packages_no_deps), client)
            image = client.images.get(tag)
        except (ImageError, DockerException) as error:
            raise SandboxError(f"cannot build the sandbox image: {error}") from None
        mounts = {TASK_DIR: (spec.task_dir, "ro"), DATA_DIR: (spec.data_dir, "ro"), CODE_DIR: (spec.code_dir, "rw"),
                  SUBMISSION_DIR: (spec.submission_dir, "ro" if spec.submission_readonly else "rw")}  # fmt: skip
        if spec.tmp_dir is not None:
            mounts["/tmp"] = (spec.tmp_dir, "rw")
        staging = Staging(spec.trial_id)
        volumes = {}
        for inside, (host, mode) in mounts.items():
            host = Path(host).resolve()
            if not host.is_dir():
                staging.close()
                raise SandboxError(f"{host} (mounted at {inside}) is not a folder")
            if mode == "rw":
                self._writable_by_agent(host)
            else:  # a read-only overlay: the container's mountinfo names no host path
                host = staging.stage(inside.strip("/").replace("/", "-"), host)
            volumes[str(host)] = {"bind": inside, "mode": mode}
        if spec.tmp_dir is not None:
            Path(spec.tmp_dir).chmod(0o1777)  # like any /tmp: every user may write, only the owner may remove
        if spec.model_socket is not None:  # the model proxy's socket: a way out that is not the network
            volumes[str(spec.model_socket.parent.resolve())] = {"bind": MODEL_DIR, "mode": "ro"}
        memory, disk = int(spec.memory_gb * 1024**3), int(spec.disk_gb * 1024**3)
        labels = {LABEL: "1", f"{LABEL}.trial": spec.trial_id, f"{LABEL}.runner_pid": str(os.getpid()),
                  f"{LABEL}.runner_start": _process_start(os.getpid()) or "",
                  f"{LABEL}.runner_host": socket.gethostname()}  # fmt: skip
        try:
            container = client.containers.run(
                image.id,
                ["/usr/bin/python3", "-c", _INIT],
                detach=True,
                labels=labels,
                environment=spec.contract_environment(),
                volumes=volumes,
                working_dir=CODE_DIR,
                user=AGENT,
                network_mode="bridge" if spec.network else "none",
                mem_limit=memory,
                memswap_limit=memory,
                nano_cpus=int(spec.cpus * 1e9),
                pids_limit=spec.pids,
                read_only=True,
                tmpfs=None if spec.tmp_dir is not None else {"/tmp": f"rw,nosuid,nodev,mode=1777,size={disk}"},
                cap_drop=["ALL"],
                security_opt=["no-new-privileges"],
                device_requests=device_requests or None,
                hostname="sandbox",
            )
        except DockerException as error:
            staging.close()
            raise SandboxError(f"cannot start the trial's container: {error}") from None
        return DockerSandbox(spec, client, container, image.id, staging)

    def reap(self) -> int:
        """Remove benchsmith containers whose runner process is no longer alive."""
        reap_staging()
        reap_quotas()
        try:
            client = docker_client()
            containers = client.containers.list(all=True, filters={"label": f"{LABEL}=1"})
        except (ImageError, DockerException):
            return 0
        removed = 0
        for container in containers:
            labels = container.labels or {}
            if labels.get(f"{LABEL}.runner_host", socket.gethostname()) != socket.gethostname():
                continue  # another machine's runner (a shared engine): its pids mean nothing here
            if _runner_alive(labels.get(f"{LABEL}.runner_pid"), labels.get(f"{LABEL}.runner_start")):
                continue
            try:
                container.remove(force=True)
                removed += 1
            except (NotFound, APIError):
                pass
        return removed
