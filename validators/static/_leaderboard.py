"""A leaderboard is a readable CSV of scores; a competition that awards medals needs one."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator

from spec import CompetitionTask, LoadedTask, Problem

from .._registry import CheckContext, task_check
from ._paths import escape_reason

_MAX_BYTES = 50 * 1024 * 1024


@task_check(
    "leaderboard",
    codes=("leaderboard.unreadable", "leaderboard.no-score-column", "leaderboard.bad-score", "leaderboard.empty",
           "leaderboard.missing", "leaderboard.unscored"),
    description="The leaderboard CSV has a numeric `score` column; medal-awarding competitions have a leaderboard.",
)  # fmt: skip
def check_leaderboard(task: LoadedTask, context: CheckContext) -> Iterator[Problem]:
    manifest = task.manifest
    if manifest is None:
        return
    if manifest.leaderboard is None:
        if isinstance(manifest, CompetitionTask) and manifest.awards_medals:
            yield task.problem(
                "leaderboard.missing",
                "no leaderboard, so no medals can be awarded; add `leaderboard: {path: <id>/leaderboard.csv, "
                "provenance: ...}` or set awards_medals: false",
                ("leaderboard",),
                severity="warning",
            )
        return
    reference = manifest.leaderboard.path
    path = task.path.parent / reference
    if escape_reason(reference, task.task_dir, task.path.parent) is not None or not path.is_file():
        return  # the paths check reports it
    field_path = ("leaderboard", "path")
    try:
        if path.stat().st_size > _MAX_BYTES:
            yield task.problem("leaderboard.unreadable", f"{reference} is larger than {_MAX_BYTES} bytes", field_path)
            return
        with path.open(newline="", encoding="utf-8") as handle:
            # Read as csv.DictReader would (blank lines skipped, short rows lack the value), in one pass without a
            # dict per row; the whole file is read before anything is said, so an unreadable one says only that.
            reader = csv.reader(handle)
            header = next(reader, [])
            # A repeated name holds its last column's value.
            column = len(header) - 1 - header[::-1].index("score") if "score" in header else None
            entries = 0
            unscored: list[int] = []
            bad: tuple[int, str] | None = None
            for row in reader:
                if not row:
                    continue
                entries += 1
                if column is None:
                    continue
                value = row[column] if column < len(row) else ""
                if not value.strip():
                    unscored.append(reader.line_num)
                elif bad is None and not _finite(value):
                    bad = (reader.line_num, value)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        yield task.problem("leaderboard.unreadable", f"cannot read {reference} as UTF-8 CSV: {error}", field_path)
        return
    if not entries:
        yield task.problem("leaderboard.empty", f"{reference} has no entries", field_path)
        return
    if column is None:
        yield task.problem(
            "leaderboard.no-score-column",
            f"{reference} has no `score` column (columns: {', '.join(header)})",
            field_path,
        )
        return
    if unscored:
        # Kaggle lists teams that never scored; MLE-bench keeps them and counts them when it sets the thresholds.
        yield Problem(
            code="leaderboard.unscored", severity="warning", file=str(path), line=unscored[0], column=None,
            path=None, message=f"{len(unscored)} of {entries} entries have no score: they count as teams for the "
            "medal thresholds, as MLE-bench counts them",
        )  # fmt: skip
    if bad is not None:
        yield Problem(
            code="leaderboard.bad-score", severity="error", file=str(path), line=bad[0], column=None,
            path=None, message=f"score {bad[1]!r} is not a finite number",
        )  # fmt: skip


def _finite(value: str) -> bool:
    try:
        return math.isfinite(float(value))
    except ValueError:
        return False
