"""Scores that compare agents, as pure functions over numbers and pandas tables.

- leaderboard arithmetic: `medal` (Kaggle progression rules), `percentile`, `normalized_score`;
- Elo: `pairwise_matches` from trial results, `bradley_terry` ratings, `bootstrap_ratings`, `win_matrix`;
- speedruns: `fsr` (fraction of speed-up recovered) and `fsr_summary`;
- research tasks: `aup` (area under performance profiles, MLGym's and our fixed-penalty mode), `aup_best_last`
  (MLGym's best-attempt and last-submission AUPs on one shared tau_max) and `best_of_runs`.
"""

from ._aup import N_TAU, AupMode, aup, aup_best_last, aup_table, best_of_runs, performance_profile, tau_grid
from ._elo import (
    ELO_BASE,
    ELO_SCALE,
    L2_PENALTY,
    bootstrap_ratings,
    bradley_terry,
    pairwise_matches,
    separation,
    win_matrix,
)
from ._fsr import FsrSummary, fsr, fsr_summary
from ._leaderboard import (
    MLEBENCH_DECIMALS,
    MedalName,
    MedalResult,
    medal,
    medal_positions,
    normalized_score,
    percentile,
)

__all__ = [
    "ELO_BASE",
    "ELO_SCALE",
    "L2_PENALTY",
    "MLEBENCH_DECIMALS",
    "N_TAU",
    "AupMode",
    "FsrSummary",
    "MedalName",
    "MedalResult",
    "aup",
    "aup_best_last",
    "aup_table",
    "best_of_runs",
    "bootstrap_ratings",
    "bradley_terry",
    "fsr",
    "fsr_summary",
    "medal",
    "medal_positions",
    "normalized_score",
    "pairwise_matches",
    "percentile",
    "performance_profile",
    "separation",
    "tau_grid",
    "win_matrix",
]
