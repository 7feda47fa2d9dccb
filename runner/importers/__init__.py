"""Import tasks of other benchmarks as manifests: MLE-bench competitions and MLGym research tasks.

`import_mlebench(checkout, out)` and `import_mlgym(checkout, out)` read a local checkout of the upstream
repository, write one manifest per task (plus its task folder) into `out`, and return an `ImportReport` listing
what was written and every broken or guessed upstream entry. Broken entries are reported, never fatal.
Re-importing unchanged upstream rewrites nothing; a changed task gets its patch version bumped.
"""

from pathlib import Path

from ._common import ImportedTask, ImportIssue, ImportReport, slugify
from ._mlebench import (
    GRADER_DIRECTIONS,
    SPLIT_KEYWORD,
    import_mlebench,
    leaderboard_lower_is_better,
    read_splits,
    served_modality,
    suite_tags,
)
from ._mlebench_table import COMPETITIONS as MLEBENCH_COMPETITIONS
from ._mlebench_table import ClassList, Competition
from ._mlgym import HIGHER_IS_BETTER_WORDS, LOWER_IS_BETTER_WORDS, MLGYM_TASKS, MlgymTask, fallback_metric, import_mlgym

DEFAULT_OUT: dict[str, Path] = {
    "mlebench": Path("tasks/imported/mlebench"),
    "mlgym": Path("tasks/imported/mlgym"),
}
"""Where `runner import <benchmark>` writes by default (relative to the working folder)."""

__all__ = [
    "DEFAULT_OUT",
    "GRADER_DIRECTIONS",
    "HIGHER_IS_BETTER_WORDS",
    "LOWER_IS_BETTER_WORDS",
    "MLEBENCH_COMPETITIONS",
    "MLGYM_TASKS",
    "SPLIT_KEYWORD",
    "ClassList",
    "Competition",
    "ImportIssue",
    "ImportReport",
    "ImportedTask",
    "MlgymTask",
    "fallback_metric",
    "import_mlebench",
    "import_mlgym",
    "leaderboard_lower_is_better",
    "read_splits",
    "served_modality",
    "slugify",
    "suite_tags",
]
