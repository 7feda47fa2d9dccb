"""Known solutions of a task (its `baselines`), run under the same contract an agent's code gets."""

from ._run import (
    DATA_ENV,
    DEFAULT_TIMEOUT_S,
    SUBMISSION_ENV,
    WORKDIR_ENV,
    SolutionError,
    baseline_script,
    run_solution_script,
    solution_environment,
)

__all__ = [
    "DATA_ENV",
    "DEFAULT_TIMEOUT_S",
    "SUBMISSION_ENV",
    "WORKDIR_ENV",
    "SolutionError",
    "baseline_script",
    "run_solution_script",
    "solution_environment",
]
