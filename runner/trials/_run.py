"""One trial, start to finish: prepare, sandbox, agent, grade outside the sandbox, score, record."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from runner.agents import AgentContext, AgentOutcome, get_agent
from runner.grading import GradingError
from runner.llm import ModelAccess, ModelError, ModelProxy, batch_meter
from runner.preparation import PreparationError, prepare_task
from runner.results import (
    DEFAULT_RETRIES,
    EVENTS_FILE,
    Grading,
    Lock,
    RunConfig,
    TrialEnded,
    TrialResult,
    TrialStarted,
    TrialStatus,
    Usage,
    write_result,
)
from runner.sandboxes import (
    HandedInError,
    SandboxError,
    SandboxSpec,
    copy_handed_in,
    get_backend,
    handed_in_problem,
    quota_exhausted,
)
from spec import AnyTask, LoadedTask, task_digest

from . import _competition, _research, _speedrun  # noqa: F401  (register the kind runtimes)
from ._events import EventLog, recorded_sandbox
from ._identity import TrialKey
from ._kinds import Scored, get_kind_runtime
from ._workspace import TrialFolders, fit_workspace, make_workspace, release_workspace

DEFAULT_PIDS = 512
_OUTAGE_VICTIMS: frozenset[TrialStatus] = frozenset({"agent_error", "timeout", "invalid_submission"})
"""Statuses a model outage seen by the trial's proxy turns into infra_error (an agent without its model fails)."""


@dataclass(frozen=True)
class TrialRequest:
    """What to run: an agent configuration on a task with a seed."""

    task: LoadedTask
    agent: str
    seed: int = 0
    args: tuple[str, ...] = ()
    model: str | None = None
    record: str | None = None
    hint_level: str | None = None
    """Speedrun hints (`--hint-level`): `0`, `2`, `1+2`, `diff`, `upstream:1+2+3`, ... (see `spec.HintSelection`)."""
    model_access: ModelAccess | None = None
    """`--allow-model`: the trial's sandbox reaches the configured model only through a runner-side proxy."""
    model_source: str | None = None
    """Where `model` came from (`flag --model`, `env BENCHSMITH_MODEL`, `endpoint /models`, ...), for the agent's
    log; not part of the trial's identity."""

    @property
    def manifest(self) -> AnyTask:
        assert self.task.manifest is not None, "trial requests are made from valid manifests"
        return self.task.manifest

    @cached_property
    def key(self) -> TrialKey:
        """The trial's identity; the task folder is hashed once per request, not at every lookup."""
        digest = task_digest(self.task.path, self.manifest, self.task.raw or None)
        variant = "-".join(
            part
            for part in (
                f"record-{self.record}" if self.record is not None else "",
                f"hint-{str(self.hint_level).replace(':', '-')}" if self.hint_level is not None else "",
            )
            if part
        )
        return TrialKey(self.manifest.id, digest, self.agent, self.model, self.args, self.seed, variant)


@dataclass
class RunSettings:
    """Where and how trials run."""

    runs_dir: Path
    backend: str = "local"
    cache_root: Path | None = None
    validation: bool = False
    medal_round_to: int | None = None  # MLE-bench rounds scores to 5 decimals before judging medals; opt-in
    stop: threading.Event = field(default_factory=threading.Event)
    on_sandbox: Callable[[object], None] | None = None
    retries: int = DEFAULT_RETRIES
    """Times a trial that ends in infra_error is run again in this batch (`--retry-on-error`)."""
    run_config: RunConfig | None = None
    """The batch's settings, recorded in every result (`runner exec` resolves them)."""


def _benchsmith_version() -> str:
    try:
        return version("benchsmith")
    except PackageNotFoundError:
        return "unknown"


def run_trial(
    request: TrialRequest, settings: RunSettings, attempt: int = 1, *, gpu_ids: tuple[str, ...] | None = None
) -> TrialResult:
    """Run one trial and write its result.json atomically; returns the result (never raises for trial failures).
    `gpu_ids`: the GPUs an executor gave this trial, the only ones it sees (None: not managed, the backend decides)."""
    key = request.key
    folder = key.folder(settings.runs_dir)
    task = request.manifest
    started_at, started = datetime.now(UTC), time.monotonic()
    outcome = AgentOutcome()
    runtime = get_kind_runtime(task.kind)
    scored = Scored()
    lock = Lock(backend=settings.backend, benchsmith=_benchsmith_version())
    submission_copy: str | None = None
    proxy: ModelProxy | None = None
    folders: TrialFolders | None = None
    events = EventLog(folder / EVENTS_FILE)
    events.emit(TrialStarted(trial_id=key.trial_id, agent=request.agent, model=request.model,
                             backend=settings.backend, attempt=attempt))  # fmt: skip
    try:
        agent = get_agent(request.agent)
        prepared = prepare_task(request.task, cache_root=settings.cache_root)
        folders = make_workspace(folder, task, request.task.path, prepared, quota=True)
        extra_env = runtime.setup(request, folders, prepared)
        fit_workspace(folders, task)
        file_name = task.submission.file if task.submission else "submission.csv"
        if request.model_access is not None:
            proxy = ModelProxy(request.model_access, batch_meter(), on_call=events.model_call("proxy"))
        spec = SandboxSpec(
            trial_id=key.trial_id, task_dir=folders.task, data_dir=prepared.public, code_dir=folders.code,
            submission_dir=folders.submission, submission_file=file_name,
            packages=(*task.environment.packages, *agent.sandbox_packages),
            packages_no_deps=agent.sandbox_packages_no_deps,
            python=task.environment.python, cpus=task.resources.cpus, memory_gb=task.resources.memory_gb,
            pids=DEFAULT_PIDS, network=task.resources.network, gpu=task.resources.gpu, gpus=task.resources.gpus,
            time_limit_s=task.resources.time_limit_s, env=extra_env, gpu_ids=gpu_ids,
            disk_gb=task.resources.disk_gb, tmp_dir=folders.tmp,
            model_socket=proxy.socket if proxy else None,
        )  # fmt: skip
        log_path = folders.logs / "agent.log"

        def log(text: str) -> None:
            with log_path.open("a", encoding="utf-8") as stream:
                stream.write(text if text.endswith("\n") else text + "\n")

        with recorded_sandbox(get_backend(settings.backend), spec, settings.backend, events) as sandbox:
            if settings.on_sandbox is not None:
                settings.on_sandbox(sandbox)
            context = AgentContext(
                task=task, manifest_path=request.task.path, sandbox=sandbox, code_dir=folders.code,
                submission_path=folders.submission / file_name, public_dir=prepared.public, seed=request.seed,
                args=request.args, model=request.model, model_source=request.model_source, log=log,
                on_model_call=events.model_call("agent"),
                prepared=prepared if agent.needs_private else None,
            )  # fmt: skip
            outcome = agent.run(context)
            described = sandbox.describe()
        if outcome.status != "ok" and quota_exhausted(folders.workspace):
            quota = f"the workspace is full: it reached the task's disk quota ({task.resources.disk_gb:g} GiB)"
            outcome.reason = f"{quota}; {outcome.reason}" if outcome.reason else quota
        lock = Lock(
            backend=settings.backend, image_id=described.get("image_id"), python=described.get("python"),
            packages={k.removeprefix("package:"): v for k, v in described.items() if k.startswith("package:")},
            benchsmith=_benchsmith_version(),
        )  # fmt: skip
        submission = folders.submission / file_name
        quota_bytes = int(task.resources.disk_gb * 1024**3)
        # Whatever the agent left is checked before anything reads it: a FIFO would hang the grader, a link lead
        # out of the workspace. Only a scored submission is kept, copied within bounds and holes kept as holes.
        handed_in = task.submission is not None and (submission.exists() or submission.is_symlink())
        problem = handed_in_problem(submission, quota_bytes) if handed_in else None
        if outcome.status == "ok":
            grading = time.monotonic()
            scored = (
                Scored(status="invalid_submission", reason=problem)
                if problem is not None
                else runtime.score(request, settings, prepared, folders, submission)
            )
            events.emit(Grading(status=scored.status, score=scored.score, reason=scored.reason,
                                duration_s=time.monotonic() - grading))  # fmt: skip
        if handed_in and problem is None and outcome.status == "ok" and scored.status == "ok":
            try:
                copy_handed_in(submission, folder / file_name, quota_bytes)
                submission_copy = file_name
            except HandedInError:
                pass  # replaced after grading (a process the agent left behind): the score stands, no copy
        status: TrialStatus = outcome.status if outcome.status != "ok" else scored.status
        reason = outcome.reason if outcome.status != "ok" else scored.reason
    except (SandboxError, PreparationError, GradingError, ModelError, OSError) as error:
        status, reason = "infra_error", f"{type(error).__name__}: {error}"
    except Exception as error:  # a runner bug in one trial must not end the whole batch: recorded, retried
        status, reason = "infra_error", f"internal error (please report it) {type(error).__name__}: {error}"
    finally:
        if proxy is not None:  # after the sandbox: what the agent spent through it is the trial's usage
            proxy.close()
            outcome.usage = proxy.usage
        if folders is not None:
            release_workspace(folders)
    if proxy is not None and proxy.outage is not None and status in _OUTAGE_VICTIMS:
        # The agent failed while the model server was down or refused the runner's key: not the agent's loss.
        status, reason = "infra_error", f"model unavailable ({proxy.outage}); the agent then ended {status}: {reason}"
    result = TrialResult(
        trial_id=key.trial_id, task_id=task.id, task_version=task.version, task_digest=key.digest, kind=task.kind,
        agent=request.agent, agent_label=key.label, model=request.model, seed=request.seed, backend=settings.backend,
        status=status, reason=reason, attempts=attempt, score=scored.score,
        higher_is_better=runtime.higher_is_better(request), started_at=started_at,
        duration_s=time.monotonic() - started, usage=outcome.usage if outcome.usage else Usage(),
        details=scored.details or runtime.details(request, submission_copy), lock=lock, run_config=settings.run_config,
        **scored.fields,
    )  # fmt: skip
    recorded = False
    try:
        if not settings.stop.is_set():
            # A trial cut short by Ctrl-C leaves no result, so the next run does it again rather than keep a wreck.
            write_result(folder, result)
            recorded = True
    finally:
        events.emit(TrialEnded(status=status, reason=reason, duration_s=result.duration_s, recorded=recorded,
                               lost_events=events.lost))  # fmt: skip
        events.close()
    return result
