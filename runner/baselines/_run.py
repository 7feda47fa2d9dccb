"""Run a task's solution script the way an agent's code runs: it reads public data and writes a submission.

The contract, the same one agents get: environment variables name the folders, the working directory is a
scratch folder, and the submission goes to `$BENCHSMITH_SUBMISSION`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from runner._errors import BenchsmithError
from spec import AnyTask, Baseline

DATA_ENV = "BENCHSMITH_DATA"
SUBMISSION_ENV = "BENCHSMITH_SUBMISSION"
WORKDIR_ENV = "BENCHSMITH_WORKDIR"
DEFAULT_TIMEOUT_S = 900.0
_TAIL = 2000


class SolutionError(BenchsmithError, RuntimeError):
    """A solution script failed or ran out of time; the message has the end of its error output."""


def solution_environment(public: Path, submission: Path, workdir: Path) -> dict[str, str]:
    """Environment of a solution run: the variables of the contract, and no secrets of the caller."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "TMPDIR")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    env.update(
        {DATA_ENV: str(public), SUBMISSION_ENV: str(submission), WORKDIR_ENV: str(workdir), "PYTHONHASHSEED": "0"}
    )
    return env


def run_solution_script(
    script: Path,
    public: Path,
    workdir: Path,
    *,
    file_name: str = "submission.csv",
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> Path:
    """Run `script` against `public`; returns the submission path it was asked to write."""
    workdir.mkdir(parents=True, exist_ok=True)
    submission = workdir / "submission" / file_name
    submission.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, str(script.resolve())]
    try:
        completed = subprocess.run(
            command,
            cwd=workdir,
            env=solution_environment(public, submission, workdir),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise SolutionError(f"{script.name} did not finish within {timeout_s:g} s") from None
    if completed.returncode != 0:
        raise SolutionError(f"{script.name} exited with {completed.returncode}:\n{completed.stderr.strip()[-_TAIL:]}")
    return submission


def baseline_script(task: AnyTask, manifest_path: Path, name: str = "reference") -> Path | None:
    """The script of a named baseline, when the task has one with a script."""
    baseline: Baseline | None = task.baselines.get(name)
    if baseline is None or baseline.script is None:
        return None
    return manifest_path.parent / baseline.script
