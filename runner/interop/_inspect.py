"""benchsmith tasks as Inspect tasks: `inspect eval benchsmith/<task-id> --model ...`.

One Inspect `Task` per competition: a single sample whose input is the task's description preceded by the workspace
contract, run in Inspect's own sandbox (`local`, or `docker` with benchsmith's task image), solved by default by
Inspect's ReAct agent with its `bash` and `python` tools, and scored by benchsmith's grader. The score's value is
the normalized score (0: the trivial baseline, 1: the best leaderboard entry; an invalid or missing submission is
0); its metadata holds the raw score, validity, medal, percentile and the reason. Research and speedrun tasks are
refused: they are scored by running the agent's program under the runner's own measurement.

Where the contract lives depends on the sandbox. In `docker` it is exact: `/task` and `/data` are read-only bind
mounts, `/workspace/code` and `/workspace/submission` belong to the unprivileged agent user, the network is off.
Inspect's `local` sandbox runs commands on the host in a fresh temporary folder, so the same layout is made
relative to that folder (`task/`, `data/` read-only by permissions, `workspace/...`); it isolates nothing.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from inspect_ai import Task
from inspect_ai._util.error import PrerequisiteError
from inspect_ai.agent import Agent, react
from inspect_ai.dataset import Sample
from inspect_ai.scorer import Metric, SampleScore, Score, Scorer, Target, mean, metric, scorer
from inspect_ai.solver import Generate, Solver, TaskState, solver
from inspect_ai.tool import bash, python
from inspect_ai.util import OutputLimitExceededError
from inspect_ai.util import sandbox as current_sandbox

from runner._errors import EXIT_USAGE, BenchsmithError

if TYPE_CHECKING:
    from spec import AnyTask, LoadedTask

SandboxKind = Literal["local", "docker"]
SCORER_NAME = "benchsmith"
_TOOL_TIMEOUT_S = 600
_CONTRACT = """\
You are solving a machine-learning task. The full description follows below and is also in {task}/description.md.

- The public data is in {data}/ (read-only).
- Write your code and scratch files in {code}/.
- Write your submission to {submission}; that file alone is graded, after you finish, against answers you never \
see.
- `python {task}/validate_submission.py {submission}` checks its format (never its score).
- You have {time_limit} in all.{relative}

When the submission is written, call submit() with a one-line summary.

---

{description}"""


class InspectTaskError(BenchsmithError, PrerequisiteError):
    """A benchsmith task cannot be made into an Inspect task; the message says why and what to do.

    Also Inspect's `PrerequisiteError`: `inspect eval` prints those as their message alone, without a traceback."""

    exit_code = EXIT_USAGE


def catalogue_ids(tasks_dir: Path | None = None) -> Iterator[str]:
    """The id of every manifest in `tasks_dir` (default: ./tasks, else the installed catalogue), without loading."""
    from spec import default_tasks_dir, iter_manifests

    root = tasks_dir or default_tasks_dir()
    if root is not None:
        for manifest in iter_manifests(root):
            yield manifest.stem


def benchsmith_task(
    task_id: str,
    *,
    sandbox: SandboxKind = "local",
    tasks_dir: str | None = None,
    cache_dir: str | None = None,
    solver: Solver | Agent | None = None,
    message_limit: int | None = 100,
) -> Task:
    """The Inspect `Task` of a benchsmith competition (an id, manifest path or task folder).

    The task is checked as `runner exec` checks it (a manifest with static errors is refused) and prepared into the
    data cache on the host before the sample starts; `time_limit` is the manifest's `resources.time_limit`."""
    from runner.preparation import PreparationError, prepare_task
    from runner.trials import make_workspace

    if sandbox not in ("local", "docker"):
        raise InspectTaskError(f"sandbox {sandbox!r} is not one of local, docker")
    loaded = _checked(task_id, Path(tasks_dir) if tasks_dir else None)
    manifest = loaded.manifest
    assert manifest is not None
    if manifest.kind != "competition" or manifest.submission is None:
        raise InspectTaskError(
            f"{loaded.id} is a {manifest.kind} task: only competitions (a submission file graded against answers) "
            "run under Inspect; run it with `runner exec`"
        )
    try:
        prepared = prepare_task(loaded, cache_root=Path(cache_dir) if cache_dir else None)
    except PreparationError as error:
        raise InspectTaskError(f"{loaded.id}: cannot prepare its data: {error}") from None
    # The same /task folder the runner gives its own sandboxes: the description and the format check.
    staging = Path(tempfile.mkdtemp(prefix=f"benchsmith-inspect-{loaded.id}-"))
    atexit.register(shutil.rmtree, staging, ignore_errors=True)  # docker bind-mounts it for the whole eval
    folders = make_workspace(staging, manifest, loaded.path, prepared)
    description = (folders.task / "description.md").read_text(encoding="utf-8")
    submission_file = manifest.submission.file
    root = "" if sandbox == "local" else "/"
    paths = {
        "task": f"{root}task",
        "data": f"{root}data",
        "code": f"{root}workspace/code",
        "submission": f"{root}workspace/submission/{submission_file}",
    }
    prompt = _CONTRACT.format(
        **paths, description=description, time_limit=_duration(manifest.resources.time_limit_s),
        relative=" Paths are relative to your working directory." if sandbox == "local" else "",
    )  # fmt: skip
    metadata = {
        "task_id": loaded.id, "task_version": manifest.version, "task_digest": _digest(loaded.path),
        "submission": paths["submission"], "manifest": str(loaded.path), "cache_dir": cache_dir,
    }  # fmt: skip
    files: dict[str, str] | None = None
    if sandbox == "local":
        files = {f"task/{path.name}": str(path) for path in sorted(folders.task.iterdir()) if path.is_file()}
        files |= {
            f"data/{path.relative_to(prepared.public).as_posix()}": str(path)
            for path in sorted(prepared.public.rglob("*"))
            if path.is_file()
        }
        spec: Any = "local"
    else:
        spec = ("docker", str(_compose_file(staging, folders.task, prepared.public, manifest)))
    sample = Sample(input=prompt, id=loaded.id, metadata=metadata, files=files)
    return Task(
        dataset=[sample],
        setup=_lay_out_workspace(sandbox),
        cleanup=_writable_again if sandbox == "local" else None,
        solver=solver if solver is not None else default_solver(),
        scorer=benchsmith_scorer(),
        sandbox=spec,
        time_limit=int(manifest.resources.time_limit_s),
        message_limit=message_limit,
        name=f"benchsmith/{loaded.id}",
        version=manifest.version,
        metadata=metadata,
    )


def default_solver() -> Agent:
    """Inspect's ReAct agent with its own `bash` and `python` tools."""
    return react(
        name="benchsmith-react",
        tools=[bash(timeout=_TOOL_TIMEOUT_S), python(timeout=_TOOL_TIMEOUT_S)],
    )


@solver
def _lay_out_workspace(sandbox: SandboxKind) -> Solver:
    """Make the workspace folders, and in the local sandbox make `task/` and `data/` read-only."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        if sandbox == "local":
            command = "mkdir -p workspace/code workspace/submission && chmod -R a-w task data"
        else:
            # Login shells (Inspect's tools run `bash --login`) reset PATH from /etc/profile: put the task's
            # environment back in front.
            command = "echo 'export PATH=/opt/venv/bin:$PATH' > /etc/profile.d/benchsmith.sh"
        result = await current_sandbox().exec(["sh", "-c", command], user="root" if sandbox == "docker" else None)
        if not result.success:
            raise InspectTaskError(f"cannot lay out the workspace: {result.stderr.strip()}")
        return state

    return solve


async def _writable_again(state: TaskState) -> None:
    """Give `task/` and `data/` their write permission back, so that Inspect can delete the local sandbox's folder."""
    await current_sandbox().exec(["chmod", "-R", "u+w", "task", "data"])


@metric
def valid() -> Metric:
    """The share of samples whose submission was graded valid."""

    def compute(scores: list[SampleScore]) -> float:
        return _share(scores, lambda meta: bool(meta.get("valid")))

    return compute


@metric
def medal() -> Metric:
    """The share of samples that earned any medal."""

    def compute(scores: list[SampleScore]) -> float:
        return _share(scores, lambda meta: meta.get("medal") is not None)

    return compute


def _share(scores: list[SampleScore], test: Any) -> float:
    return sum(1 for item in scores if test(item.score.metadata or {})) / len(scores) if scores else 0.0


@scorer(metrics=[mean(), valid(), medal()], name=SCORER_NAME)
def benchsmith_scorer() -> Scorer:
    """benchsmith's grader: the submission file read out of the sandbox, graded on the host against the answers."""

    async def score(state: TaskState, target: Target) -> Score:
        meta = state.metadata
        try:
            content = await current_sandbox().read_file(meta["submission"], text=False)
        except (FileNotFoundError, IsADirectoryError, PermissionError, OutputLimitExceededError) as error:
            return _invalid(f"no submission at {meta['submission']} ({type(error).__name__})")
        return grade_bytes(content, meta)

    return score


def grade_bytes(content: bytes, meta: dict[str, Any]) -> Score:
    """Grade a submission's bytes as a trial of the task in `meta` would be, as an Inspect `Score`."""
    from runner.grading import grade_submission
    from runner.preparation import prepare_task
    from runner.trials import score_fields
    from spec import load_task

    loaded = load_task(Path(meta["manifest"]))
    manifest = loaded.manifest
    assert manifest is not None and manifest.submission is not None
    prepared = prepare_task(loaded, cache_root=Path(meta["cache_dir"]) if meta.get("cache_dir") else None)
    scratch = Path(tempfile.mkdtemp(prefix="benchsmith-grade-"))
    try:
        submission = scratch / manifest.submission.file
        submission.write_bytes(content)
        grade = grade_submission(manifest, loaded.path, submission, prepared.private)
        if not grade.valid or grade.score is None:
            return _invalid(grade.reason or "the submission is invalid")
        fields = score_fields(manifest, loaded.path, prepared, grade.score)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return result_score(
        status="ok", score=grade.score, normalized=_float(fields.get("normalized_score")),
        medal=_str(fields.get("medal")), percentile=_float(fields.get("percentile")), reason=None,
        higher_is_better=manifest.metric.higher_is_better,
    )  # fmt: skip


def result_score(
    *,
    status: str,
    score: float | None,
    normalized: float | None,
    medal: str | None,
    percentile: float | None,
    reason: str | None,
    higher_is_better: bool | None = None,
) -> Score:
    """The Inspect `Score` of a benchsmith outcome (a graded submission, or a recorded trial)."""
    valid_ = status == "ok" and score is not None
    explanation = (
        f"score {score:g}, normalized {normalized:g}" if valid_ and score is not None and normalized is not None
        else f"score {score:g}" if valid_ and score is not None
        else f"{status}: {reason or 'no reason given'}"
    )  # fmt: skip
    if medal:
        explanation += f", {medal} medal"
    return Score(
        value=normalized if valid_ and normalized is not None else 0.0,
        answer=None if score is None else f"{score:g}",
        explanation=explanation,
        metadata={
            "status": status, "valid": valid_, "score": score, "normalized_score": normalized, "medal": medal,
            "percentile": percentile, "higher_is_better": higher_is_better, "reason": reason,
        },
    )  # fmt: skip


def _invalid(reason: str) -> Score:
    return result_score(
        status="invalid_submission", score=None, normalized=None, medal=None, percentile=None, reason=reason
    )


def _float(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _duration(seconds: float) -> str:
    minutes = seconds / 60
    return f"{minutes:g} minutes" if minutes >= 1 else f"{seconds:g} seconds"


def _digest(path: Path) -> str:
    from spec import task_digest

    return task_digest(path)


def _checked(argument: str, tasks_dir: Path | None) -> LoadedTask:
    """The task named, loaded and free of static errors (what `runner exec` requires before running one)."""
    from spec import TaskNotFoundError, load_task, resolve_task
    from validators import validate_tasks

    try:
        path = resolve_task(argument, tasks_dir).resolve()
    except TaskNotFoundError as error:
        raise InspectTaskError(str(error)) from None
    loaded = load_task(path)
    problems = [problem for problem in loaded.problems if problem.severity == "error"]
    if loaded.manifest is not None:
        [report] = validate_tasks([loaded], layers=("static",)).tasks
        problems = [problem for problem in report.problems if problem.severity == "error"]
    if problems:
        first = problems[0]
        raise InspectTaskError(
            f"{first.where()}: {first.message} [{first.code}]: the task is not run; fix it "
            f"(`runner validate {path}` lists every problem)"
        )
    return loaded


def _compose_file(staging: Path, task_folder: Path, public: Path, manifest: AnyTask) -> Path:
    """A compose file for Inspect's docker sandbox: benchsmith's task image and its workspace contract."""
    import json

    from runner.environments import EnvironmentSpec
    from runner.images import ImageError, ensure_task_image

    try:
        image = ensure_task_image(EnvironmentSpec(tuple(manifest.environment.packages)))
    except ImageError as error:
        raise InspectTaskError(f"cannot build the task's image: {error}") from None
    resources = manifest.resources
    service = {
        "image": image,
        "command": ["sleep", "infinity"],
        "init": True,
        "user": "agent",
        "working_dir": "/workspace/code",
        "network_mode": "bridge" if resources.network else "none",
        "cpus": resources.cpus,
        "mem_limit": f"{int(resources.memory_gb * 1024)}m",
        "pids_limit": 512,
        "volumes": [f"{task_folder}:/task:ro", f"{public}:/data:ro"],
        "x-local": True,
    }
    compose = staging / "compose.yaml"
    # JSON is YAML: no YAML writer needed for a file this small.
    compose.write_text(json.dumps({"services": {"default": service}}, indent=2), encoding="utf-8")
    return compose
