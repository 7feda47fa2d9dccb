"""The local backend: bubblewrap namespaces, an unprivileged user, cgroup limits, and a wall-clock limit.

The agent's processes see only system folders (read-only), the sandbox Python environment, the task's
description and public data (read-only), and the trial's workspace. They have no network unless the task
allows it, run as `nobody` (process-count limits do not bind root), and live in their own cgroup (v1) for
memory, process and CPU limits, so an out-of-memory kill is detected as `oom`. Read-only folders are mounted from
neutral overlays and bubblewrap reads its options from a file, so nothing inside names a host path; output is
read as it comes into head-and-tail caps (`_output`). Without bubblewrap the agent runs as a plain subprocess, and a
loud warning says that nothing is isolated.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import resource
import selectors
import shutil
import signal
import subprocess
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

from runner.environments import (
    EnvironmentError_,
    EnvironmentSpec,
    ensure_environment,
    installed_versions,
    python_version,
)

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
    sandbox_backend,
)
from ._output import CappedOutput
from ._quota import Staging, reap_quotas, reap_staging

NOBODY = 65534
CGROUP_ROOT = Path("/sys/fs/cgroup")
CGROUP_PARENT = "benchsmith"
_SYSTEM_BINDS = ("/usr", "/bin", "/lib", "/lib64", "/sbin")
_ETC_FILES = ("/etc/alternatives", "/etc/ld.so.cache", "/etc/localtime", "/etc/nsswitch.conf", "/etc/passwd",
              "/etc/group", "/etc/ssl", "/etc/mime.types")  # fmt: skip
_KILL_GRACE_S = 5.0
# bubblewrap's fresh /dev has no GPU nodes: a GPU trial gets the host's NVIDIA ones (nvidia0.., nvidiactl, nvidia-uvm,
# nvidia-caps/); CUDA_VISIBLE_DEVICES then keeps it to the GPUs it was given.
_GPU_DEVICE_DIR = Path("/dev")


class IsolationWarning(UserWarning):
    """The local backend runs without bubblewrap: nothing is isolated."""


def _is_root() -> bool:
    return os.geteuid() == 0


def _owner_alive(cgroup_name: str) -> bool:
    """Whether the runner process that made this cgroup (its name starts with the pid) still runs."""
    owner = cgroup_name.split("-", 1)[0]
    if not owner.isdigit():
        return False  # named before owners were recorded: only its emptiness can be judged
    try:
        os.kill(int(owner), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class _Cgroups:
    """One v1 cgroup per controller for a trial (memory, pids, cpu), when this process may create them."""

    def __init__(self, name: str, spec: SandboxSpec) -> None:
        self.paths: dict[str, Path] = {}
        if not _is_root():
            return
        for controller in ("memory", "pids", "cpu"):
            parent = CGROUP_ROOT / controller / CGROUP_PARENT
            try:
                parent.mkdir(exist_ok=True)
                path = parent / name
                path.mkdir(exist_ok=True)
            except OSError:
                continue
            self.paths[controller] = path
        limit = int(spec.memory_gb * 1024**3)
        self._write("memory", "memory.limit_in_bytes", str(limit))
        self._write("memory", "memory.memsw.limit_in_bytes", str(limit))  # no swap either, where accounted
        self._write("pids", "pids.max", str(spec.pids))
        self._write("cpu", "cpu.cfs_period_us", "100000")
        self._write("cpu", "cpu.cfs_quota_us", str(int(spec.cpus * 100000)))

    def _write(self, controller: str, name: str, value: str) -> None:
        path = self.paths.get(controller)
        if path is not None and (path / name).exists():
            with contextlib.suppress(OSError):
                (path / name).write_text(value)

    @property
    def limits_memory(self) -> bool:
        return "memory" in self.paths

    @property
    def limits_pids(self) -> bool:
        return "pids" in self.paths

    def join(self) -> None:
        """Move the calling process in (runs in the child between fork and exec)."""
        for path in self.paths.values():
            (path / "cgroup.procs").write_text(str(os.getpid()))

    def oom_kills(self) -> int:
        path = self.paths.get("memory")
        if path is None:
            return 0
        try:
            fields = dict(line.split() for line in (path / "memory.oom_control").read_text().splitlines())
            return int(fields.get("oom_kill", 0)) or int((path / "memory.failcnt").read_text().strip() != "0")
        except (OSError, ValueError):
            return 0

    def reset_oom_counter(self) -> None:
        self._write("memory", "memory.failcnt", "0")

    def kill_all(self) -> None:
        for path in self.paths.values():
            try:
                pids = (path / "cgroup.procs").read_text().split()
            except OSError:
                continue
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, ValueError, PermissionError):
                    os.kill(int(pid), signal.SIGKILL)

    def remove(self) -> None:
        self.kill_all()
        for path in self.paths.values():
            for _ in range(50):
                try:
                    path.rmdir()
                    break
                except OSError:
                    time.sleep(0.05)


def _pump(
    process: subprocess.Popen[bytes], stdin: bytes | None, out: CappedOutput, err: CappedOutput, deadline: float
) -> bool:
    """Feed stdin and read both output streams into their caps until both end (True) or the deadline (False)."""
    streams = {pipe.fileno(): capped for pipe, capped in ((process.stdout, out), (process.stderr, err)) if pipe}
    pending = memoryview(stdin) if stdin is not None else None
    with selectors.DefaultSelector() as selector:
        for fd in streams:
            os.set_blocking(fd, False)
            selector.register(fd, selectors.EVENT_READ)
        if process.stdin is not None:
            if pending:
                os.set_blocking(process.stdin.fileno(), False)
                selector.register(process.stdin.fileno(), selectors.EVENT_WRITE)
            else:
                process.stdin.close()
        while selector.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            for key, _ in selector.select(min(remaining, 1.0)):
                if key.fd in streams:
                    try:
                        data = os.read(key.fd, 1 << 16)
                    except BlockingIOError:
                        continue
                    if data:
                        streams[key.fd].feed(data)
                    else:
                        selector.unregister(key.fd)
                    continue
                assert process.stdin is not None and pending is not None
                try:
                    pending = pending[os.write(key.fd, pending[: 1 << 16]) :]
                except BlockingIOError:
                    continue
                except OSError:  # the command exited without reading all of its input
                    pending = pending[:0]
                if not pending:
                    selector.unregister(key.fd)
                    process.stdin.close()
    return True


class LocalSandbox(Sandbox):
    """A trial's sandbox on this machine."""

    def __init__(self, spec: SandboxSpec, environment: Path) -> None:
        self.spec = spec
        self.environment = environment
        self.isolated = shutil.which("bwrap") is not None
        self.closed = False
        self.deadline = time.monotonic() + spec.time_limit_s
        digest = hashlib.sha256(f"{spec.trial_id}\0{time.time_ns()}".encode()).hexdigest()[:12]
        # The owner's pid leads the name: reap() must tell a dead runner's cgroup from a live sandbox's that is
        # only empty between two commands.
        self.name = f"{os.getpid()}-{digest}"
        self.cgroups = _Cgroups(self.name, spec) if self.isolated else None
        self.staging = Staging(spec.trial_id)
        self.task_dir, self.data_dir, self.submission_dir = spec.task_dir, spec.data_dir, spec.submission_dir
        if self.isolated:
            self.task_dir = self.staging.stage("task", spec.task_dir)
            self.data_dir = self.staging.stage("data", spec.data_dir)
            if spec.submission_readonly:
                self.submission_dir = self.staging.stage("submission", spec.submission_dir)
        if not self.isolated:
            warnings.warn(
                "bubblewrap (bwrap) is not installed: the agent runs as a plain subprocess with NO isolation — it "
                "can read any file this user can (the private answers too) and use the network. Install it with "
                "`apt-get install bubblewrap`.",
                IsolationWarning,
                stacklevel=2,
            )
        if self.isolated and _is_root():
            for folder in (spec.code_dir, spec.submission_dir):
                for path in (folder, *folder.rglob("*")):
                    os.chown(path, NOBODY, NOBODY, follow_symlinks=False)
        if self.isolated and spec.tmp_dir is not None:
            spec.tmp_dir.chmod(0o1777)  # like any /tmp: every user may write, only the owner may remove

    def _environment(self) -> dict[str, str]:
        env = self.spec.contract_environment()
        env["PATH"] = f"{self.environment}/bin:/usr/local/bin:/usr/bin:/bin"
        if self.spec.gpu_ids is not None:
            # /dev is the host's, so CUDA's own filter is what keeps a trial off the GPUs given to others.
            env["CUDA_VISIBLE_DEVICES"] = ",".join(self.spec.gpu_ids)
        if not self.isolated:
            mapping = self._host_folders()
            for key in list(env):
                for inside, outside in mapping.items():
                    value = env[key]  # a command line may name several folders: map each in turn
                    if value.startswith(inside) or f" {inside}" in value:
                        env[key] = value.replace(inside, str(outside))
        return env

    def _host_folders(self) -> dict[str, Path]:
        """Without bubblewrap nothing is mounted: each contract folder is its host folder."""
        mapping = {TASK_DIR: self.spec.task_dir, DATA_DIR: self.spec.data_dir, CODE_DIR: self.spec.code_dir,
                   SUBMISSION_DIR: self.spec.submission_dir}  # fmt: skip
        if self.spec.model_socket is not None:
            mapping[MODEL_DIR] = self.spec.model_socket.parent
        return mapping

    def contract_path(self, inside: str) -> str:
        if self.isolated:
            return inside
        for folder, outside in self._host_folders().items():
            if inside == folder or inside.startswith(folder + "/"):
                return str(outside) + inside[len(folder) :]
        return inside

    def _bwrap(self, command: Sequence[str], env: dict[str, str]) -> tuple[list[str], list[str]]:
        """bubblewrap's options (they name host folders) and the command line it runs (it names none)."""
        spec = self.spec
        argv = ["--unshare-ipc", "--unshare-pid", "--unshare-uts", "--unshare-cgroup-try"]
        if not spec.network:
            argv.append("--unshare-net")
        if not _is_root():
            argv.append("--unshare-user")
        argv += ["--die-with-parent", "--new-session", "--clearenv"]
        for system in _SYSTEM_BINDS:
            argv += ["--ro-bind-try", system, system]
        for etc in _ETC_FILES:
            argv += ["--ro-bind-try", etc, etc]
        if spec.network:
            argv += [
                "--ro-bind-try",
                "/etc/resolv.conf",
                "/etc/resolv.conf",
                "--ro-bind-try",
                "/etc/hosts",
                "/etc/hosts",
            ]
        # bubblewrap makes the missing parents of a mount point private (0700); readable parents must be explicit.
        for parent in [*reversed(self.environment.parents[:-1]), Path("/workspace")]:
            argv += ["--perms", "0755", "--dir", str(parent)]
        argv += ["--ro-bind", str(self.environment), str(self.environment)]
        argv += ["--ro-bind", str(self.task_dir), TASK_DIR, "--ro-bind", str(self.data_dir), DATA_DIR]
        argv += ["--bind", str(spec.code_dir), CODE_DIR]
        argv += ["--ro-bind" if spec.submission_readonly else "--bind", str(self.submission_dir), SUBMISSION_DIR]
        if spec.model_socket is not None:  # the model proxy's socket: a way out that is not the network
            argv += ["--perms", "0755", "--dir", str(Path(MODEL_DIR).parent)]
            argv += ["--ro-bind", str(spec.model_socket.parent), MODEL_DIR]
        if spec.tmp_dir is not None:
            argv += ["--bind", str(spec.tmp_dir), "/tmp"]
        else:
            argv += ["--perms", "1777", "--size", str(int(spec.disk_gb * 1024**3)), "--tmpfs", "/tmp"]
        argv += ["--proc", "/proc", "--dev", "/dev", "--chdir", CODE_DIR]
        if spec.gpu != "none" and spec.gpus > 0:
            for device in sorted(_GPU_DEVICE_DIR.glob("nvidia*")):
                argv += ["--dev-bind", str(device), f"/dev/{device.name}"]
        # POSIX semaphores (Python's multiprocessing locks and queues, joblib) live in a writable /dev/shm; what is
        # written there is memory, charged to the sandbox's cgroup like any other.
        argv += ["--perms", "1777", "--size", str(int(spec.memory_gb * 1024**3)), "--tmpfs", "/dev/shm"]
        for key, value in env.items():
            argv += ["--setenv", key, value]
        inside: list[str] = []
        if _is_root():
            inside += ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--inh-caps=-all",
                       "--bounding-set=-all", "--"]  # fmt: skip
        return argv, [*inside, *command]

    def _limits(self) -> None:
        """Runs in the child after fork: join the cgroups, set the rlimits cgroups cannot give."""
        os.setsid()
        cgroups = self.cgroups
        if cgroups is not None:
            cgroups.join()
        memory = int(self.spec.memory_gb * 1024**3)
        if cgroups is None or not cgroups.limits_memory:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        if cgroups is None or not cgroups.limits_pids:
            resource.setrlimit(resource.RLIMIT_NPROC, (self.spec.pids, self.spec.pids))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    def run(self, command: Sequence[str], *, timeout_s: float | None = None, stdin: str | None = None) -> ExecResult:
        if self.closed:
            raise SandboxError("the sandbox is closed")
        remaining = self.deadline - time.monotonic()
        limit = max(0.0, min(timeout_s, remaining) if timeout_s is not None else remaining)
        env = self._environment()
        arguments = -1
        if self.isolated:
            # The sandbox's pid 1 is bwrap itself: given its arguments through a file, its /proc/1/cmdline names
            # none of the host folders it mounts.
            options, inside = self._bwrap(command, env)
            arguments = os.memfd_create("bwrap-args", 0)
            os.write(arguments, b"".join(os.fsencode(arg) + b"\0" for arg in options))
            os.lseek(arguments, 0, os.SEEK_SET)
            argv = ["bwrap", "--args", str(arguments), "--", *inside]
        else:
            argv = list(command)
        if self.cgroups is not None:
            self.cgroups.reset_oom_counter()
        started = time.monotonic()
        try:
            process = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=None if self.isolated else self.spec.code_dir,
                env=env if not self.isolated else {"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
                preexec_fn=self._limits,
                pass_fds=(arguments,) if arguments >= 0 else (),
            )
        except OSError as error:
            raise SandboxError(f"cannot start the sandbox: {error}") from None
        finally:
            if arguments >= 0:
                os.close(arguments)
        out, err = CappedOutput(), CappedOutput()
        timed_out = not _pump(process, stdin.encode() if stdin is not None else None, out, err, started + limit)
        if not timed_out:
            try:
                process.wait(timeout=max(0.0, started + limit - time.monotonic()))
            except subprocess.TimeoutExpired:
                timed_out = True
        if timed_out:
            self._kill(process)
            _pump(process, None, out, err, time.monotonic() + _KILL_GRACE_S)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=_KILL_GRACE_S)
        for pipe in (process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()
        duration = time.monotonic() - started
        stdout, stderr = out.text(), err.text()
        oom = False
        if self.cgroups is not None and self.cgroups.limits_memory:
            oom = self.cgroups.oom_kills() > 0 and process.returncode != 0
        elif process.returncode != 0 and "MemoryError" in stderr:
            oom = True
        return ExecResult(process.returncode, stdout, stderr, duration, timed_out=timed_out, oom=oom)

    def _kill(self, process: subprocess.Popen[bytes]) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        if self.cgroups is not None:
            self.cgroups.kill_all()

    def close(self) -> None:
        self.closed = True
        if self.cgroups is not None:
            self.cgroups.remove()
        self.staging.close()

    def describe(self) -> dict[str, str]:
        versions = installed_versions(self.environment)
        described = {"isolation": "bwrap" if self.isolated else "none"}
        described.update({f"package:{name}": version for name, version in versions.items()})
        python = python_version(self.environment)
        if python is not None:
            described["python"] = python
        return described


@sandbox_backend("local")
class LocalBackend(SandboxBackend):
    """Sandboxes on this machine (bubblewrap; a plain subprocess when bubblewrap is missing)."""

    def availability(self) -> str | None:
        return None

    def open(self, spec: SandboxSpec) -> Sandbox:
        try:
            environment = ensure_environment(EnvironmentSpec(spec.packages, spec.packages_no_deps))
        except EnvironmentError_ as error:
            raise SandboxError(f"cannot build the sandbox's Python environment: {error}") from None
        return LocalSandbox(spec, environment)

    def reap(self) -> int:
        removed = reap_staging() + reap_quotas()
        for controller in ("memory", "pids", "cpu"):
            parent = CGROUP_ROOT / controller / CGROUP_PARENT
            if not parent.is_dir():
                continue
            for child in parent.iterdir():
                if child.is_dir() and not _owner_alive(child.name) and not (child / "cgroup.procs").read_text().strip():
                    try:
                        child.rmdir()
                        removed += 1
                    except OSError:
                        pass
        return removed
