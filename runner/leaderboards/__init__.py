"""Reference-solver leaderboards: a ladder of scikit-learn models run on a task's public data, graded, ranked.

- `SOLVERS`: the ladder for each problem kind (`classification`, `regression`, `multilabel`: one 0/1 model per
  label column, `ranking`: a classifier over the items ranking them by probability for `map@k`), as picklable
  `Solver` records;
- `build_leaderboard`: prepare the task, run the ladder in worker processes (each with a time limit; failures are
  skipped), grade every submission against private/ and return `rank, team, score, family, params`, best first;
- `write_leaderboard`: write that frame as CSV atomically;
- `set_manifest_leaderboard`: point a manifest's `leaderboard:` entry at it by a minimal, comment-keeping edit.

Per-item relevance scores (`ndcg@k`) are not supported yet: `build_leaderboard` raises `LeaderboardError` for them.
"""

from ._build import (
    COLUMNS,
    DEFAULT_SOLVER_TIMEOUT_S,
    LEADERBOARD_FILE,
    MIN_ENTRIES,
    PROVENANCE,
    Progress,
    SolverOutcome,
    build_leaderboard,
    write_leaderboard,
)
from ._manifest import set_manifest_leaderboard
from ._problem import LeaderboardError, Problem, describe_problem
from ._solvers import MAX_ROWS, SOLVERS, ProblemKind, Solver

__all__ = [
    "COLUMNS",
    "DEFAULT_SOLVER_TIMEOUT_S",
    "LEADERBOARD_FILE",
    "MAX_ROWS",
    "MIN_ENTRIES",
    "PROVENANCE",
    "SOLVERS",
    "LeaderboardError",
    "Problem",
    "ProblemKind",
    "Progress",
    "Solver",
    "SolverOutcome",
    "build_leaderboard",
    "describe_problem",
    "set_manifest_leaderboard",
    "write_leaderboard",
]
