"""The submission format a manifest declares is the one its prepared sample submission has.

An imported task's columns are written down from the upstream code, since the sample submission only exists once
the data is prepared; this check compares the two as soon as it does.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from spec import LoadedTask, Problem

from .._registry import CheckContext, task_check


def sample_submission(public: Path, private: Path) -> Path | None:
    """The prepared sample submission: `sample_submission.csv`, else the one CSV in public/ (or private/, where some
    MLE-bench competitions keep it) whose name says `sample`."""
    from runner.preparation import SAMPLE_FILE

    for folder in (public, private):
        if (folder / SAMPLE_FILE).is_file():
            return folder / SAMPLE_FILE
        named = sorted(path for path in folder.glob("*.csv") if "sample" in path.name.lower())
        if len(named) == 1:
            return named[0]
    return None


def _header(path: Path) -> list[str] | None:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            row = next(csv.reader(handle), None)
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    return [name.strip() for name in row] if row else None


@task_check(
    "sample-columns",
    layer="execute",
    codes=("submission.not-in-sample",),
    description="The declared submission id column and columns are all in the prepared sample submission.",
)
def check_sample_columns(task: LoadedTask, context: CheckContext) -> Iterator[Problem]:
    from runner.preparation import PreparationError, prepare_task

    manifest = task.manifest
    if manifest is None or manifest.submission is None:
        return
    try:
        prepared = prepare_task(task, cache_root=context.cache_root)
    except PreparationError:
        return  # the preparation check reports it
    path = sample_submission(prepared.public, prepared.private)
    header = _header(path) if path is not None else None
    if path is None or header is None:
        return
    declared = [manifest.submission.id_column, *manifest.submission.columns]
    missing = [column for column in declared if column not in header]
    if missing:
        yield task.problem(
            "submission.not-in-sample",
            f"the sample submission {path.name} has no column(s) {', '.join(missing)} (its header: "
            f"{','.join(header)}); declare the columns it has",
            ("submission",),
        )
