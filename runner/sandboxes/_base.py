"""What every sandbox backend offers: run commands for one trial, isolated, within the trial's limits.

The workspace contract is the same on every backend. Inside the sandbox:

| path | access | holds |
|---|---|---|
| `/task` | read-only | `description.md`, `validate_submission.py` (format check, no answers) |
| `/data` | read-only | the task's public data |
| `/workspace/code` | read-write | the agent's code and scratch files |
| `/workspace/submission` | read-write | where the submission file goes |
| `/tmp` | read-write | scratch, counted in the trial's disk quota (`SandboxSpec.tmp_dir`) |

and the environment names them: BENCHSMITH_DATA, BENCHSMITH_SUBMISSION (the submission file path),
BENCHSMITH_WORKDIR (code folder), BENCHSMITH_DESCRIPTION, BENCHSMITH_TIME_LIMIT_S, BENCHSMITH_VALIDATE (a command
that checks the submission's format), and with `--allow-model` BENCHSMITH_MODEL_SOCKET (the runner's model proxy,
mounted read-only under `/run/benchsmith`; docs/agents.md). Private answers, the data cache, other trials and the
runner's files and environment are never inside.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Literal

from runner._errors import BenchsmithError
from runner.plugins import GROUPS, Registry

TASK_DIR = "/task"
DATA_DIR = "/data"
CODE_DIR = "/workspace/code"
SUBMISSION_DIR = "/workspace/submission"
MODEL_DIR = "/run/benchsmith"
"""Where the folder of `SandboxSpec.model_socket` is mounted (read-only) inside the sandbox."""
GpuPolicy = Literal["none", "optional", "required"]


class SandboxError(BenchsmithError, RuntimeError):
    """The sandbox itself failed (an infrastructure error, retried): not the agent's fault."""


class SandboxUnavailable(SandboxError):
    """A backend cannot run here; the message says what is missing and how to get it."""


@dataclass(frozen=True)
class SandboxSpec:
    """Everything a backend needs to start the sandbox of one trial."""

    trial_id: str
    task_dir: Path
    data_dir: Path
    code_dir: Path
    submission_dir: Path
    submission_file: str
    packages: tuple[str, ...] = ()
    packages_no_deps: tuple[str, ...] = ()
    """Installed without their declared dependencies (`EnvironmentSpec.no_deps`): an agent program's own package."""
    python: str = "3.11"
    cpus: float = 2.0
    memory_gb: float = 4.0
    pids: int = 512
    network: bool = False
    gpu: GpuPolicy = "none"
    gpus: int = 0
    gpu_ids: tuple[str, ...] | None = None  # given by the executor: only these GPUs are visible; None: any
    time_limit_s: float = 1800.0
    env: dict[str, str] = field(default_factory=dict)
    disk_gb: float = 20.0
    """The trial's disk quota: the workspace (code, submission, /tmp) holds at most this much (`resources.disk_gb`)."""
    tmp_dir: Path | None = None
    """A host folder on the workspace's quota file system mounted read-write at /tmp, so what the agent writes there
    counts against `disk_gb`; None: a tmpfs of `disk_gb` (counted against the memory limit as it fills)."""
    submission_readonly: bool = False
    """Mount SUBMISSION_DIR read-only: a research task's evaluation sandbox, where it holds the agent's artefact."""
    model_socket: Path | None = None
    """A unix socket on the host (the runner's model proxy, `--allow-model`); its folder is mounted read-only at
    MODEL_DIR and BENCHSMITH_MODEL_SOCKET names it inside. The network stays as `network` says."""

    def contract_environment(self) -> dict[str, str]:
        """The variables of the workspace contract, as the sandbox sees them."""
        return {
            "BENCHSMITH_DATA": DATA_DIR,
            "BENCHSMITH_TASK": TASK_DIR,
            "BENCHSMITH_SUBMISSION": f"{SUBMISSION_DIR}/{self.submission_file}",
            "BENCHSMITH_WORKDIR": CODE_DIR,
            "BENCHSMITH_DESCRIPTION": f"{TASK_DIR}/description.md",
            "BENCHSMITH_TIME_LIMIT_S": f"{self.time_limit_s:g}",
            "BENCHSMITH_VALIDATE": f"python {TASK_DIR}/validate_submission.py",
            "HOME": CODE_DIR,
            "LANG": "C.UTF-8",
            "PYTHONUNBUFFERED": "1",
            **self.env,
            **({"BENCHSMITH_MODEL_SOCKET": f"{MODEL_DIR}/{self.model_socket.name}"} if self.model_socket else {}),
        }


@dataclass(frozen=True)
class ExecResult:
    """How one command in the sandbox ended."""

    exit_code: int | None
    stdout: str
    stderr: str
    duration_s: float
    timed_out: bool = False
    oom: bool = False

    @property
    def ok(self) -> bool:
        """Exited 0 within its limits."""
        return self.exit_code == 0 and not self.timed_out and not self.oom


class Sandbox(ABC):
    """A started sandbox for one trial; commands run inside it until it is closed."""

    spec: SandboxSpec

    @abstractmethod
    def run(self, command: Sequence[str], *, timeout_s: float | None = None, stdin: str | None = None) -> ExecResult:
        """Run a command inside; stops it at `timeout_s` (default: what is left of the trial's time limit)."""

    @abstractmethod
    def close(self) -> None:
        """Stop everything still running and release the sandbox's resources."""

    def describe(self) -> dict[str, str]:
        """What ran, for the result's lock (image id, python version)."""
        return {}

    def contract_path(self, inside: str) -> str:
        """Where a workspace-contract path (DATA_DIR, CODE_DIR, ...) is for the commands this sandbox runs: the path
        itself wherever the contract's folders are mounted there; the host folder behind it where they are not."""
        return inside

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


class SandboxBackend(ABC):
    """A way to make sandboxes (local bubblewrap, docker)."""

    name: str

    @abstractmethod
    def availability(self) -> str | None:
        """None when this backend works here, else why not (and what to install or start)."""

    @abstractmethod
    def open(self, spec: SandboxSpec) -> Sandbox:
        """Start a sandbox for `spec`; raises SandboxUnavailable or SandboxError."""

    def reap(self) -> int:
        """Remove what a killed runner left behind (containers, cgroups); returns how many."""
        return 0


BACKENDS: Registry[type[SandboxBackend]] = Registry("sandbox backend", GROUPS["sandboxes"])
"""Sandbox backends by name: local, docker and those of installed packages (entry-point group
`benchsmith.sandboxes`)."""


def sandbox_backend(name: str) -> Callable[[type[SandboxBackend]], type[SandboxBackend]]:
    """Register a backend class under `name`; adding a backend is one file."""

    def stamp(cls: type[SandboxBackend]) -> None:
        cls.name = name

    return BACKENDS.decorator(name, on_add=stamp)


def backend_names() -> list[str]:
    """Registered backend names."""
    return BACKENDS.names()


def get_backend(name: str) -> SandboxBackend:
    """An instance of the named backend (UnknownPluginError or PluginUnavailableError when there is none)."""
    instance = BACKENDS.get(name)()
    instance.name = name
    return instance
