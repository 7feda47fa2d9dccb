"""Time one training script under a speedrun protocol and evaluate what it saved, each in a fresh sandbox.

The runner owns both sides: the timer and the evaluation driver are files of this package, mounted read-only;
the evaluator is the pristine file from the task folder; the data the script reads is a fresh copy of the
prepared public data, hashed again after the run. Nothing the script prints is used.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from runner.agents import output_tail
from runner.preparation import PreparedTask
from runner.sandboxes import ExecResult, SandboxSpec, get_backend
from spec import ScriptMetric, SpeedrunTask

SCRIPT_NAME = "train.py"
"""The candidate script's name in a workspace."""
DATA_FOLDER = "data"
"""The workspace folder holding the copy of the public data the script reads."""
MODEL_NAME = "model.pt"

_HERE = Path(__file__).parent
_TIMER = "timer.py"
_LAUNCHER = "launcher.py"
_DRIVER = "evaluate_driver.py"
_EVALUATOR = "evaluate.py"
HELPER_MAX_BYTES = 64 * 1024
"""Largest Python file staged for a timed run (train.py included); a larger one is a rule violation."""
STAGED_MAX_BYTES = 256 * 1024
"""Largest total of the Python files staged for a timed run."""
_SANDBOX_CODE = "/workspace/code"
_SANDBOX_OUT = "/workspace/submission"

Failure = Literal["failed", "timeout", "oom", "no_model", "data_changed", "not_causal", "eval_failed"]
RULE_FAILURES: tuple[Failure, ...] = ("data_changed", "not_causal")
"""Failures that break a rule (status rule_violation) rather than fail the run."""


@dataclass(frozen=True)
class Bench:
    """Where a chain's scripts are timed: the task, its folder, its prepared data and the sandbox backend."""

    task: SpeedrunTask
    manifest_dir: Path
    prepared: PreparedTask
    backend: str = "local"


@dataclass
class SeedRun:
    """One timed run of a script and the evaluation of its model."""

    seed: int
    time_s: float | None = None
    cpu_s: float | None = None
    wall_s: float | None = None
    metric: float | None = None
    failure: Failure | None = None
    reason: str | None = None
    described: dict[str, str] = field(default_factory=dict)


def sha256_file(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def public_hashes(prepared: PreparedTask) -> dict[str, str]:
    """Prepared public files by path relative to public/, and their SHA-256."""
    return {
        name.removeprefix("public/"): digest for name, digest in prepared.files.items() if name.startswith("public/")
    }


def data_changes(folder: Path, expected: dict[str, str]) -> list[str]:
    """How `folder` differs from the files `expected` (relative path → sha256): changed, missing and extra files."""
    changes = []
    present = {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()}
    for name, digest in sorted(expected.items()):
        if name not in present:
            changes.append(f"{DATA_FOLDER}/{name} is missing")
        elif sha256_file(present[name]) != digest:
            changes.append(f"{DATA_FOLDER}/{name} was changed (its SHA-256 differs from the prepared file)")
    changes += [f"{DATA_FOLDER}/{name} was added" for name in sorted(set(present) - set(expected))]
    return changes


def copy_public_data(prepared: PreparedTask, destination: Path) -> None:
    """A fresh copy of the prepared public data at `destination`."""
    shutil.rmtree(destination, ignore_errors=True)
    shutil.copytree(prepared.public, destination)


def staged_files(workspace: Path) -> list[Path]:
    """The workspace files a timed run gets: its Python files (train.py and helpers), as relative paths.

    Nothing else is staged — no weights, data, caches or logs the agent made while it worked, so nothing trained
    outside the clock can reach the timed run. Files under `data/` and under hidden or `__pycache__` folders (pip
    and tool caches in $HOME) are left out, and so are symbolic links.
    """
    found = []
    for path in sorted(workspace.rglob("*.py")):
        relative = path.relative_to(workspace)
        if relative.parts[0] == DATA_FOLDER or any(p.startswith(".") or p == "__pycache__" for p in relative.parts):
            continue
        if path.is_file() and not path.is_symlink():
            found.append(relative)
    return found


def staging_problems(workspace: Path) -> list[str]:
    """Rule violations in what a timed run would get: Python files over the size caps (weights in disguise)."""
    sizes = {relative: (workspace / relative).stat().st_size for relative in staged_files(workspace)}
    problems = [
        f"{relative.as_posix()} is {size} bytes, over the {HELPER_MAX_BYTES // 1024} KiB cap on a staged Python file"
        for relative, size in sizes.items()
        if size > HELPER_MAX_BYTES
    ]
    total = sum(sizes.values())
    if total > STAGED_MAX_BYTES:
        problems.append(
            f"the workspace's Python files total {total} bytes, over the {STAGED_MAX_BYTES // 1024} KiB cap on "
            "what a timed run gets"
        )
    return problems


def stage_workspace(source: Path, destination: Path, prepared: PreparedTask) -> None:
    """Copy a workspace's staged Python files (train.py and helpers) and put pristine public data beside them."""
    shutil.rmtree(destination, ignore_errors=True)
    destination.mkdir(parents=True)
    for relative in staged_files(source):
        (destination / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / relative, destination / relative)
    copy_public_data(prepared, destination / DATA_FOLDER)


def thread_environment(threads: int) -> dict[str, str]:
    """The thread-count variables every sandboxed run of a chain gets."""
    value = str(threads)
    return {"SPEEDRUN_THREADS": value, "OMP_NUM_THREADS": value, "MKL_NUM_THREADS": value,
            "OPENBLAS_NUM_THREADS": value}  # fmt: skip


def script_environment(task: SpeedrunTask, seed: int, data: str, model: str) -> dict[str, str]:
    """The variables of the record-script contract (docs/speedrun.md)."""
    return {
        "SPEEDRUN_DATA": data,
        "SPEEDRUN_MODEL": model,
        "SPEEDRUN_SEED": str(seed),
        "SPEEDRUN_VAL_TOKENS": str(task.invariants.validation.tokens),
    } | thread_environment(task.protocol.threads)


def _tagged(result: ExecResult, secret: str) -> dict[str, object] | None:
    for line in reversed(result.stdout.splitlines()):
        if line.startswith(secret + " "):
            value = json.loads(line[len(secret) + 1 :])
            return value if isinstance(value, dict) else None
    return None


def _tail(result: ExecResult) -> str:
    text = output_tail(result)
    return f":\n{text}" if text else ""


def _spec(task: SpeedrunTask, name: str, task_dir: Path, data: Path, code: Path, out: Path, limit_s: float,
          env: dict[str, str]) -> SandboxSpec:  # fmt: skip
    return SandboxSpec(
        trial_id=name, task_dir=task_dir, data_dir=data, code_dir=code, submission_dir=out,
        submission_file=MODEL_NAME, packages=tuple(task.environment.packages), python=task.environment.python,
        cpus=float(max(task.protocol.threads, 1)), memory_gb=task.resources.memory_gb, network=False,
        gpu="required" if task.protocol.gpus else "none", gpus=task.protocol.gpus, time_limit_s=limit_s + 30.0,
        env=env,
    )  # fmt: skip


def time_script(bench: Bench, workspace: Path, work: Path, seed: int, name: str) -> SeedRun:
    """Run `workspace`'s train.py once under the protocol (fresh copy, fresh sandbox) and evaluate its model.

    `work` is an empty scratch folder of the runner's; returns the run with its time and metric, or the failure.
    """
    task, prepared = bench.task, bench.prepared
    run = SeedRun(seed=seed)
    shutil.rmtree(work, ignore_errors=True)
    timer_dir, code, out = work / "timer", work / "code", work / "out"
    timer_dir.mkdir(parents=True)
    out.mkdir()
    shutil.copyfile(_HERE / "timer_program.py", timer_dir / _TIMER)
    stage_workspace(workspace, code, prepared)
    env = script_environment(task, seed, f"{_SANDBOX_CODE}/{DATA_FOLDER}", f"{_SANDBOX_OUT}/{MODEL_NAME}")
    env |= {"SPEEDRUN_TIMER": f"/task/{_TIMER}", "SPEEDRUN_SCRIPT": SCRIPT_NAME,
            "SPEEDRUN_PRELOAD": ",".join(task.protocol.preload)}  # fmt: skip
    if task.protocol.launcher is not None:
        # Beside the timer, read-only: the launcher is the task's, so the agent's code cannot change what it fixes.
        shutil.copyfile(bench.manifest_dir / task.protocol.launcher, timer_dir / _LAUNCHER)
        env |= {"SPEEDRUN_SCRIPT": f"/task/{_LAUNCHER}", "SPEEDRUN_RECORD_SCRIPT": SCRIPT_NAME}
    limit = task.protocol.time_limit_s
    secret = secrets.token_hex(16)
    spec = _spec(task, f"{name}-seed{seed}", timer_dir, prepared.public, code, out, limit, env)
    with get_backend(bench.backend).open(spec) as sandbox:
        result = sandbox.run(["sh", "-c", 'exec python "$SPEEDRUN_TIMER"'], timeout_s=limit, stdin=secret + "\n")
        run.described = sandbox.describe()
    report = _tagged(result, secret)
    if result.timed_out:
        run.failure, run.reason = (
            "timeout",
            f"seed {seed}: the script ran past the protocol's {task.protocol.time_limit}",
        )
        return run
    if result.oom:
        run.failure, run.reason = "oom", f"seed {seed}: the script ran out of memory ({task.resources.memory_gb:g} GiB)"
        return run
    if report is None or report.get("exit_code") != 0:
        code_text = report.get("exit_code") if report else result.exit_code
        run.failure, run.reason = "failed", f"seed {seed}: the script failed (exit code {code_text}){_tail(result)}"
        return run
    if result.exit_code != 0:
        # The timer reports only after the script ended; a timer that then did not exit 0 was interfered with.
        run.failure = "failed"
        run.reason = f"seed {seed}: the timer exited with code {result.exit_code}, so its time is void{_tail(result)}"
        return run
    run.cpu_s, run.wall_s = float(str(report["cpu_s"])), float(str(report["wall_s"]))
    run.time_s = run.cpu_s if task.protocol.clock == "process_cpu" else run.wall_s
    changes = data_changes(code / DATA_FOLDER, public_hashes(prepared))
    if changes:
        run.failure, run.reason = "data_changed", f"seed {seed}: the script changed its data: {'; '.join(changes)}"
        return run
    model = out / MODEL_NAME
    if not model.is_file():
        run.failure = "no_model"
        run.reason = f"seed {seed}: the script saved no model at $SPEEDRUN_MODEL ({MODEL_NAME})"
        return run
    evaluation = evaluate_model(bench, model, work / "eval", f"{name}-seed{seed}")
    run.metric = evaluation.value
    if evaluation.failure is not None:
        run.failure, run.reason = evaluation.failure, f"seed {seed}: {evaluation.reason}"
    return run


@dataclass(frozen=True)
class Evaluation:
    """The evaluator's value for a saved model, or why there is none."""

    value: float | None
    failure: Literal["not_causal", "eval_failed"] | None = None
    reason: str | None = None


def evaluate_model(bench: Bench, model: Path, work: Path, name: str) -> Evaluation:
    """The evaluator's value for `model` on the private validation slice, in a sandbox the agent never touched.

    With `invariants.causal_lm`, the driver first probes that the model cannot see future tokens.
    """
    task, prepared = bench.task, bench.prepared
    metric = task.metric
    assert isinstance(metric, ScriptMetric), "speedrun manifests name their evaluator as metric.script"
    shutil.rmtree(work, ignore_errors=True)
    task_dir, code, out = work / "task", work / "code", work / "out"
    for folder in (task_dir, code, out):
        folder.mkdir(parents=True)
    shutil.copyfile(bench.manifest_dir / metric.script, task_dir / _EVALUATOR)
    shutil.copyfile(_HERE / "evaluate_program.py", task_dir / _DRIVER)
    shutil.copyfile(model, code / MODEL_NAME)
    env = {"SPEEDRUN_EVALUATOR": f"/task/{_EVALUATOR}", "SPEEDRUN_DRIVER": f"/task/{_DRIVER}",
           "SPEEDRUN_MODEL": f"{_SANDBOX_CODE}/{MODEL_NAME}", "SPEEDRUN_ANSWERS": "/data"}  # fmt: skip
    env |= thread_environment(task.protocol.threads)
    probe, validation = task.invariants.causal_lm, task.invariants.validation
    if probe is not None:
        env |= {"SPEEDRUN_CAUSAL_CONTEXT": str(probe.context), "SPEEDRUN_CAUSAL_WINDOWS": str(probe.windows),
                "SPEEDRUN_CAUSAL_TOLERANCE": repr(probe.tolerance), "SPEEDRUN_VALIDATION_FILE": validation.file,
                "SPEEDRUN_VALIDATION_DTYPE": validation.dtype}  # fmt: skip
    limit = task.protocol.eval_time_limit_s
    secret = secrets.token_hex(16)
    spec = _spec(task, f"{name}-eval", task_dir, prepared.private, code, out, limit, env)
    with get_backend(bench.backend).open(spec) as sandbox:
        result = sandbox.run(["sh", "-c", 'exec python "$SPEEDRUN_DRIVER"'], timeout_s=limit, stdin=secret + "\n")
    report = _tagged(result, secret)
    if result.timed_out:
        return Evaluation(None, "eval_failed", f"evaluation ran past {task.protocol.eval_time_limit}")
    if report is not None and report.get("violation") is not None and result.exit_code == 0:
        return Evaluation(None, "not_causal", str(report["violation"]))
    if report is None or report.get("value") is None or result.exit_code != 0:
        return Evaluation(None, "eval_failed", f"the evaluator could not score the saved model{_tail(result)}")
    return Evaluation(float(str(report["value"])))


def mean_std(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0
