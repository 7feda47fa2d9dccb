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
_DRIVER = "evaluate_driver.py"
_EVALUATOR = "evaluate.py"
_TAIL = 1500
_SANDBOX_CODE = "/workspace/code"
_SANDBOX_OUT = "/workspace/submission"

Failure = Literal["failed", "timeout", "oom", "no_model", "data_changed", "eval_failed"]


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


def stage_workspace(source: Path, destination: Path, prepared: PreparedTask) -> None:
    """Copy a workspace (without its data copy and model) and put pristine public data beside its script."""
    shutil.rmtree(destination, ignore_errors=True)
    shutil.copytree(
        source,
        destination,
        symlinks=True,
        ignore=lambda folder, names: [n for n in names if Path(folder) == source and n in (DATA_FOLDER, MODEL_NAME)],
    )
    copy_public_data(prepared, destination / DATA_FOLDER)


def script_environment(task: SpeedrunTask, seed: int, data: str, model: str) -> dict[str, str]:
    """The variables of the record-script contract (docs/speedrun.md)."""
    threads = str(task.protocol.threads)
    return {
        "SPEEDRUN_DATA": data,
        "SPEEDRUN_MODEL": model,
        "SPEEDRUN_SEED": str(seed),
        "SPEEDRUN_THREADS": threads,
        "SPEEDRUN_VAL_TOKENS": str(task.invariants.validation.tokens),
        "OMP_NUM_THREADS": threads,
        "MKL_NUM_THREADS": threads,
        "OPENBLAS_NUM_THREADS": threads,
    }


def _tagged(result: ExecResult, secret: str) -> dict[str, object] | None:
    for line in reversed(result.stdout.splitlines()):
        if line.startswith(secret + " "):
            value = json.loads(line[len(secret) + 1 :])
            return value if isinstance(value, dict) else None
    return None


def _tail(result: ExecResult) -> str:
    text = (result.stderr.strip() or result.stdout.strip())[-_TAIL:]
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
    run.metric, reason = evaluate_model(bench, model, work / "eval", f"{name}-seed{seed}")
    if run.metric is None:
        run.failure, run.reason = "eval_failed", f"seed {seed}: {reason}"
    return run


def evaluate_model(bench: Bench, model: Path, work: Path, name: str) -> tuple[float | None, str | None]:
    """The evaluator's value for `model` on the private validation slice, in a sandbox the agent never touched.

    Returns (value, None), or (None, why not).
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
    threads = str(task.protocol.threads)
    env = {"SPEEDRUN_EVALUATOR": f"/task/{_EVALUATOR}", "SPEEDRUN_DRIVER": f"/task/{_DRIVER}",
           "SPEEDRUN_MODEL": f"{_SANDBOX_CODE}/{MODEL_NAME}", "SPEEDRUN_ANSWERS": "/data",
           "SPEEDRUN_THREADS": threads, "OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads}  # fmt: skip
    limit = task.protocol.eval_time_limit_s
    secret = secrets.token_hex(16)
    spec = _spec(task, f"{name}-eval", task_dir, prepared.private, code, out, limit, env)
    with get_backend(bench.backend).open(spec) as sandbox:
        result = sandbox.run(["sh", "-c", 'exec python "$SPEEDRUN_DRIVER"'], timeout_s=limit, stdin=secret + "\n")
    report = _tagged(result, secret)
    if result.timed_out:
        return None, f"evaluation ran past {task.protocol.eval_time_limit}"
    if report is None or report.get("value") is None:
        return None, f"the evaluator could not score the saved model{_tail(result)}"
    return float(str(report["value"])), None


def mean_std(values: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for a single value)."""
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0
