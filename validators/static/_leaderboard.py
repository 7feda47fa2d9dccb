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
            # Read as csv.DictReader would (blank lines skipped, short rows lack the value), without a dict per row.
            reader = csv.reader(handle)
            header = next(reader, [])
            rows = [(reader.line_num, row) for row in reader if row]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        yield task.problem("leaderboard.unreadable", f"cannot read {reference} as UTF-8 CSV: {error}", field_path)
        return
    if not rows:
        yield task.problem("leaderboard.empty", f"{reference} has no entries", field_path)
        return
    if "score" not in header:
        yield task.problem(
            "leaderboard.no-score-column",
            f"{reference} has no `score` column (columns: {', '.join(header)})",
            field_path,
        )
        return
    column = len(header) - 1 - header[::-1].index("score")  # a repeated name holds its last column's value
    scores = [(line_number, row[column] if column < len(row) else "") for line_number, row in rows]
    unscored = [line_number for line_number, value in scores if not value.strip()]
    if unscored:
        # Kaggle lists teams that never scored; MLE-bench keeps them and counts them when it sets the thresholds.
        yield Problem(
            code="leaderboard.unscored", severity="warning", file=str(path), line=unscored[0], column=None,
            path=None, message=f"{len(unscored)} of {len(rows)} entries have no score: they count as teams for the "
            "medal thresholds, as MLE-bench counts them",
        )  # fmt: skip
    for line_number, value in scores:
        if not value.strip():
            continue
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            yield Problem(
                code="leaderboard.bad-score", severity="error", file=str(path), line=line_number, column=None,
                path=None, message=f"score {value!r} is not a finite number",
            )  # fmt: skip
            return
