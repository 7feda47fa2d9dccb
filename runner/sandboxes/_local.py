"""The local backend: bubblewrap namespaces, an unprivileged user, cgroup limits, and a wall-clock limit.

The agent's processes see only system folders (read-only), the sandbox Python environment, the task's
description and public data (read-only), and the trial's workspace. They have no network unless the task
allows it, run as `nobody` (process-count limits do not bind root), and live in their own cgroup (v1) for
memory, process and CPU limits, so an out-of-memory kill is detected as `oom`. Without bubblewrap the agent
runs as a plain subprocess, and a loud warning says that nothing is isolated.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import resource
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

NOBODY = 65534
CGROUP_ROOT = Path("/sys/fs/cgroup")
CGROUP_PARENT = "benchsmith"
_SYSTEM_BINDS = ("/usr", "/bin", "/lib", "/lib64", "/sbin")
_ETC_FILES = ("/etc/alternatives", "/etc/ld.so.cache", "/etc/localtime", "/etc/nsswitch.conf", "/etc/passwd",
              "/etc/group", "/etc/ssl", "/etc/mime.types")  # fmt: skip
_KILL_GRACE_S = 5.0


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
                    os.chown(path, NOBODY, NOBODY)

    def _environment(self) -> dict[str, str]:
        env = self.spec.contract_environment()
        env["PATH"] = f"{self.environment}/bin:/usr/local/bin:/usr/bin:/bin"
        if self.spec.gpu_ids is not None:
            # /dev is the host's, so CUDA's own filter is what keeps a trial off the GPUs given to others.
            env["CUDA_VISIBLE_DEVICES"] = ",".join(self.spec.gpu_ids)
        if not self.isolated:
            mapping = {TASK_DIR: self.spec.task_dir, DATA_DIR: self.spec.data_dir, CODE_DIR: self.spec.code_dir,
                       SUBMISSION_DIR: self.spec.submission_dir}  # fmt: skip
            if self.spec.model_socket is not None:
                mapping[MODEL_DIR] = self.spec.model_socket.parent
            for key in list(env):
                for inside, outside in mapping.items():
                    value = env[key]  # a command line may name several folders: map each in turn
                    if value.startswith(inside) or f" {inside}" in value:
                        env[key] = value.replace(inside, str(outside))
        return env

    def _bwrap(self, command: Sequence[str], env: dict[str, str]) -> list[str]:
        spec = self.spec
        argv = ["bwrap", "--unshare-ipc", "--unshare-pid", "--unshare-uts", "--unshare-cgroup-try"]
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
        argv += ["--ro-bind", str(spec.task_dir), TASK_DIR, "--ro-bind", str(spec.data_dir), DATA_DIR]
        argv += ["--bind", str(spec.code_dir), CODE_DIR]
        argv += ["--ro-bind" if spec.submission_readonly else "--bind", str(spec.submission_dir), SUBMISSION_DIR]
        if spec.model_socket is not None:  # the model proxy's socket: a way out that is not the network
            argv += ["--perms", "0755", "--dir", str(Path(MODEL_DIR).parent)]
            argv += ["--ro-bind", str(spec.model_socket.parent), MODEL_DIR]
        argv += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--chdir", CODE_DIR]
        for key, value in env.items():
            argv += ["--setenv", key, value]
        argv.append("--")
        if _is_root():
            argv += ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--inh-caps=-all",
                     "--bounding-set=-all", "--"]  # fmt: skip
        return [*argv, *command]

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
        argv = self._bwrap(command, env) if self.isolated else list(command)
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
                text=True,
                errors="replace",
            )
        except OSError as error:
            raise SandboxError(f"cannot start the sandbox: {error}") from None
        timed_out = False
        try:
            stdout, stderr = process.communicate(stdin, timeout=limit)
        except subprocess.TimeoutExpired:
            timed_out = True
            self._kill(process)
            stdout, stderr = process.communicate(timeout=_KILL_GRACE_S)
        duration = time.monotonic() - started
        oom = False
        if self.cgroups is not None and self.cgroups.limits_memory:
            oom = self.cgroups.oom_kills() > 0 and process.returncode != 0
        elif process.returncode != 0 and "MemoryError" in stderr:
            oom = True
        return ExecResult(process.returncode, stdout, stderr, duration, timed_out=timed_out, oom=oom)

    def _kill(self, process: subprocess.Popen[str]) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        if self.cgroups is not None:
            self.cgroups.kill_all()

    def close(self) -> None:
        self.closed = True
        if self.cgroups is not None:
            self.cgroups.remove()

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
            environment = ensure_environment(EnvironmentSpec(spec.packages))
        except EnvironmentError_ as error:
            raise SandboxError(f"cannot build the sandbox's Python environment: {error}") from None
        return LocalSandbox(spec, environment)

    def reap(self) -> int:
        removed = 0
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
