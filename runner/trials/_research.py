"""Research trials (MLGym-style): starter code in, a protected evaluator, dev scores inside, test scores outside.

The contract is docs/research.md. In short: the agent's sandbox holds the starter code (read-write), the public
data (train and dev), and the pristine evaluator and protected files (read-only, under /task); its validate
command scores the dev split. After the agent stops, protected files are compared with the task's own copies,
and the artefact is evaluated on the test split in a second sandbox: the only place the test answers are mounted.
"""

from __future__ import annotations

import json
import math
import shlex
import shutil
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from runner.agents import output_tail
from runner.metrics import metric_names
from runner.preparation import PreparedTask
from runner.results import ResearchDetails, TrialDetails, TrialStatus
from runner.sandboxes import (
    CODE_DIR,
    DATA_DIR,
    SUBMISSION_DIR,
    TASK_DIR,
    ExecResult,
    HandedInError,
    SandboxSpec,
    copy_tree_handed_in,
    get_backend,
    mount_quota,
    release_quota,
)
from runner.scoring import normalized_score
from spec import NamedMetric, ResearchTask

from ._competition import best_score, grade_and_score, leaderboard_scores
from ._kinds import KindRuntime, Scored, kind_runtime
from ._workspace import TrialFolders, copy_task_file, copy_task_tree

if TYPE_CHECKING:
    from ._run import RunSettings, TrialRequest

ARTEFACT_DIR = "artefact"
"""Trial subfolder keeping the scored copy of the artefact (mounted read-only into the evaluation sandbox)."""
EVALUATION_DIR = "evaluation"
"""Trial subfolder of the evaluation sandbox: its pristine /task and its scratch working folder."""


GUARD_FILE = "benchsmith_guard.py"
"""The runner's hidden-data guard (runner/trials/_guard.py) as evaluators import it from /task."""


def populate_task_dir(task: ResearchTask, manifest_path: Path, target: Path) -> None:
    """Copy the pristine evaluator and protected files, and the runner's hidden-data guard, into `target` (a
    sandbox's /task)."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(Path(__file__).with_name("_guard.py"), target / GUARD_FILE)
    for path in task.protected_files:
        copy_task_file(manifest_path, path, target / task.task_location(path))


def protected_changes(task: ResearchTask, manifest_path: Path, code_dir: Path) -> list[str]:
    """Protected files the agent changed, deleted or replaced in its workspace (workspace-relative, sorted)."""
    changed = []
    for path in task.protected_files:
        location = task.workspace_location(path)
        if location is None:
            continue  # only in the read-only /task: the agent cannot have touched it
        copy = code_dir / location
        # A link is never followed: it would point into the host's file system, not the sandbox's.
        if copy.is_symlink() or not copy.is_file() or copy.read_bytes() != (manifest_path.parent / path).read_bytes():
            changed.append(location.as_posix())
    return sorted(changed)


def evaluation_command(task: ResearchTask, split: str, artefact: str, public: str, private: str | None) -> list[str]:
    """The evaluator's command line (docs/research.md)."""
    assert task.evaluation is not None
    script = (PurePosixPath(TASK_DIR) / task.task_location(task.evaluation.script)).as_posix()
    command = ["python", script, "--split", split, "--artefact", artefact, "--public", public]
    return [*command, "--private", private] if private is not None else command


def parse_metrics(stdout: str) -> dict[str, float] | None:
    """The numeric entries of the last stdout line that is a JSON object; None when there is none."""
    for line in reversed(stdout.strip().splitlines()):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            return {str(key): number for key, number in map(_number, value.items()) if number is not None}
    return None


def _number(item: tuple[object, object]) -> tuple[object, float | None]:
    key, value = item
    if not isinstance(value, int | float) or isinstance(value, bool):
        return key, None
    try:
        number = float(value)
    except OverflowError:  # an integer too large for a float
        return key, None
    return key, number if math.isfinite(number) else None


def _evaluation_failure(result: ExecResult, split: str, primary: str) -> tuple[TrialStatus, str] | None:
    """(status, reason) when an evaluation run did not give the primary metric, else None."""
    if result.oom:
        return "oom", f"the {split} evaluation of the artefact ran out of memory"
    if result.timed_out:
        return "invalid_submission", f"the {split} evaluation exceeded its time limit ({result.duration_s:.0f} s)"
    if result.exit_code != 0:
        return "invalid_submission", f"the evaluator rejected the artefact ({split} split): {output_tail(result)}"
    metrics = parse_metrics(result.stdout)
    if metrics is None or primary not in metrics:
        found = ", ".join(sorted(metrics)) if metrics else "no JSON object on its last lines"
        return "invalid_submission", f"the {split} evaluation reported no {primary!r} ({found})"
    return None


def _baseline_score(task: ResearchTask) -> float | None:
    reference = task.baselines.get("reference")
    return reference.score if reference else None


def _improvement(task: ResearchTask, score: float, baseline: float | None) -> float | None:
    if baseline is None:
        return None
    return score - baseline if task.metric.higher_is_better else baseline - score


def _normalized(task: ResearchTask, manifest_path: Path, score: float, baseline: float | None) -> float | None:
    """0 at the baseline, 1 at the leaderboard's best or the registry metric's perfect score."""
    board = leaderboard_scores(task, manifest_path)
    # The primary metric need not be a registry metric: then only a leaderboard gives the top of the scale.
    registered = isinstance(task.metric, NamedMetric) and task.metric.name in metric_names()
    best = best_score(task, board) if board or registered else None
    if baseline is None or best is None:
        return None
    try:
        return normalized_score(score, baseline, best, task.metric.higher_is_better)
    except ValueError:  # the baseline is already perfect, or the metric's best is not a bound here
        return None


def research_environment(task: ResearchTask) -> dict[str, str]:
    """Sandbox variables of a research task's agent sandbox (docs/research.md)."""
    assert task.evaluation is not None and task.artefact is not None
    artefact = f"{CODE_DIR}/{task.artefact.path}"
    env = {
        "BENCHSMITH_ARTEFACT": artefact,
        "BENCHSMITH_SUBMISSION": artefact,
        "BENCHSMITH_ARTEFACT_TYPE": task.artefact.type,
        "BENCHSMITH_TRAINING_TIMEOUT_S": f"{task.training_timeout_s:g}",
        "BENCHSMITH_EVAL_TIME_LIMIT_S": f"{task.evaluation.time_limit_s:g}",
    }
    if task.artefact.function is not None:
        env["BENCHSMITH_ARTEFACT_FUNCTION"] = task.artefact.function
    if task.evaluation.dev_split:
        command = evaluation_command(task, "dev", artefact, DATA_DIR, None)
        # coreutils' timeout holds one validate call to the evaluation's limit, on every backend.
        env["BENCHSMITH_VALIDATE"] = shlex.join(["timeout", f"{task.evaluation.time_limit_s:g}", *command])
    else:
        env["BENCHSMITH_VALIDATE"] = shlex.join(["test", "-e", artefact])
    return env


@kind_runtime("research")
class ResearchRuntime(KindRuntime):
    """Starter code into the workspace, dev-split validation inside; protected-file check and a separate test
    evaluation sandbox after the agent stops."""

    def setup(self, request: TrialRequest, folders: TrialFolders, prepared: PreparedTask) -> dict[str, str]:
        task = request.manifest
        assert isinstance(task, ResearchTask)
        manifest_path = request.task.path
        for stale in (ARTEFACT_DIR, EVALUATION_DIR):  # what an earlier attempt scored is not this attempt's
            shutil.rmtree(folders.root / stale, ignore_errors=True)
        if task.starter_code is not None:
            copy_task_tree(manifest_path, task.starter_code, folders.code)
        if task.evaluation is None:
            return {}
        populate_task_dir(task, manifest_path, folders.task)
        return research_environment(task)

    def score(
        self,
        request: TrialRequest,
        settings: RunSettings,
        prepared: PreparedTask,
        folders: TrialFolders,
        submission: Path,
    ) -> Scored:
        task = request.manifest
        assert isinstance(task, ResearchTask)
        baseline = _baseline_score(task)
        if task.evaluation is None or task.artefact is None:
            scored = grade_and_score(request, prepared, submission)
            scored.details = ResearchDetails(baseline_score=baseline)
            return scored
        manifest_path = request.task.path
        changed = protected_changes(task, manifest_path, folders.code)
        if changed:
            return Scored(
                status="rule_violation",
                reason=f"protected file{'s' if len(changed) > 1 else ''} changed: {', '.join(changed)}",
                details=ResearchDetails(baseline_score=baseline, protected_changed=changed),
            )
        artefact = folders.code / task.artefact.path
        details = ResearchDetails(baseline_score=baseline)
        if not artefact.exists() and not artefact.is_symlink():
            return Scored(
                status="invalid_submission",
                reason=f"no artefact: the agent left nothing at {CODE_DIR}/{task.artefact.path}",
                details=details,
            )
        # Links, FIFOs, devices and hard links are the agent's doing: refused with a reason, never copied (a FIFO
        # would hang the copy; a link would lead out of the workspace). The copy is bounded and keeps holes.
        kept = folders.root / ARTEFACT_DIR
        shutil.rmtree(kept, ignore_errors=True)
        (kept / task.artefact.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            copy_tree_handed_in(artefact, kept / task.artefact.path, int(task.resources.disk_gb * 1024**3))
        except HandedInError as error:
            return Scored(status="invalid_submission", reason=f"the artefact is not acceptable: {error}",
                          details=details)  # fmt: skip
        details.artefact_file = f"{ARTEFACT_DIR}/{task.artefact.path}"
        return self._evaluate(request, settings, prepared, folders, details)

    def _evaluate(
        self,
        request: TrialRequest,
        settings: RunSettings,
        prepared: PreparedTask,
        folders: TrialFolders,
        details: ResearchDetails,
    ) -> Scored:
        task = request.manifest
        assert isinstance(task, ResearchTask) and task.evaluation is not None and task.artefact is not None
        manifest_path = request.task.path
        root = folders.root / EVALUATION_DIR
        shutil.rmtree(root, ignore_errors=True)
        pristine, scratch = root / "task", root / "scratch"
        pristine.mkdir(parents=True)
        # The artefact's code runs here too: its writes are held to the trial's disk quota like the agent's.
        mount_quota(scratch, int(task.resources.disk_gb * 1024**3))
        copy_task_file(manifest_path, task.description, pristine / "description.md")
        populate_task_dir(task, manifest_path, pristine)
        limit = task.evaluation.time_limit_s
        artefact = f"{SUBMISSION_DIR}/{task.artefact.path}"
        public, private = f"{DATA_DIR}/public", f"{DATA_DIR}/private"
        # Passed as variables, which backends map to host paths when they cannot mount (bubblewrap missing).
        commands = {
            "test": evaluation_command(task, "test", artefact, public, private),
            "dev": evaluation_command(task, "dev", artefact, public, None),
        }
        env = {f"BENCHSMITH_EVALUATE_{split.upper()}": shlex.join(command) for split, command in commands.items()}
        spec = SandboxSpec(
            trial_id=f"{request.key.trial_id}#evaluation", task_dir=pristine, data_dir=prepared.root,
            code_dir=scratch, submission_dir=folders.root / ARTEFACT_DIR, submission_file=task.artefact.path,
            packages=tuple(task.environment.packages), python=task.environment.python, cpus=task.resources.cpus,
            memory_gb=task.resources.memory_gb, network=False, gpu=task.resources.gpu, gpus=task.resources.gpus,
            time_limit_s=2 * limit + 60, env=env, submission_readonly=True, disk_gb=task.resources.disk_gb,
        )  # fmt: skip
        assert isinstance(task.metric, NamedMetric)  # the model requires it with an evaluation
        primary = task.metric.name
        log = folders.logs / "evaluation.log"
        try:
            with get_backend(settings.backend).open(spec) as sandbox:
                test = sandbox.run(["sh", "-c", 'eval "$BENCHSMITH_EVALUATE_TEST"'], timeout_s=limit)
                dev = (
                    sandbox.run(["sh", "-c", 'eval "$BENCHSMITH_EVALUATE_DEV"'], timeout_s=limit)
                    if task.evaluation.dev_split
                    else None
                )
        finally:
            release_quota(scratch, keep=False)
        with log.open("w", encoding="utf-8") as stream:
            for split, result in (("test", test), ("dev", dev)):
                if result is not None:
                    stream.write(f"== {split} (exit {result.exit_code})\n{result.stdout}\n{result.stderr}\n")
        if dev is not None and _evaluation_failure(dev, "dev", primary) is None:
            details.dev_metrics = parse_metrics(dev.stdout) or {}
            details.dev_score = details.dev_metrics[primary]
        failure = _evaluation_failure(test, "test", primary)
        if failure is not None:
            return Scored(status=failure[0], reason=failure[1], details=details)
        details.test_metrics = parse_metrics(test.stdout) or {}
        score = details.test_metrics[primary]
        details.improvement = _improvement(task, score, details.baseline_score)
        trivial = task.baselines.get("trivial")
        fields: dict[str, object] = {
            "normalized_score": _normalized(task, manifest_path, score, details.baseline_score),
            "trivial_score": trivial.score if trivial is not None else None,
        }
        return Scored(score=score, fields=fields, details=details)

    def details(self, request: TrialRequest, submission_copy: str | None) -> TrialDetails:
        task = request.manifest
        assert isinstance(task, ResearchTask)
        return ResearchDetails(baseline_score=_baseline_score(task))
