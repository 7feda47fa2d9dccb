"""The target is something a reviewer would set, and an ordered series is not split at random."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal

from spec import DeclarativePrepare, LoadedTask, Problem, TargetConcern, target_concern

from .._registry import CheckContext, task_check
from ..static._targets import declared_targets

TIME_COLUMN = re.compile(
    r"^(year|yr|date|datetime|timestamp|time_stamp|month|quarter|qtr|yearmonth|year_month|ds|dates|time_index|"
    r"obs_date|year_quarter|year_month_day)$"
)
"""Column names that place a row in time; `time`, `years`, `week` and `day` are left out: in survival and panel data
they are as often durations (weeks to arrest, years of experience)."""

MIN_TIME_POINTS = 10
"""Distinct values a time column needs before rows are points of an ordered series."""

Category = TargetConcern


def normalized(name: str) -> str:
    """Lower case with runs of other characters as one underscore: `Ethnic.Group` → `ethnic_group`."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def target_category(name: str, classes: bool = False) -> Category | None:
    """Why a column should not be a target, or None: the generators' own judgement (`spec.target_concern`)."""
    concern = target_concern(name, classes)
    return concern[0] if concern is not None else None


def time_columns(columns: list[str]) -> list[str]:
    """Columns whose name says they hold a time."""
    return [column for column in columns if TIME_COLUMN.match(normalized(column))]


_WHY = {
    "sensitive": "is a sensitive attribute of people: a task should not ask a model to infer it",
    "design": "is an experimental-design factor the experimenter assigned: predicting it inverts the experiment",
    "identifier": "is an identifier: it carries no learnable signal",
}


@task_check(
    "target-sanity",
    layer="execute",
    codes=("target.sensitive", "target.design-factor", "target.identifier", "split.random-over-time"),
    description="The target is not a sensitive attribute, a design factor or an identifier (errors for generated "
    "tasks, warnings otherwise), and a table with a year or date column of at least 10 distinct values is not "
    "split at random.",
)
def check_target_sanity(task: LoadedTask, context: CheckContext) -> Iterator[Problem]:
    manifest = task.manifest
    assert manifest is not None
    generated = manifest.provenance.origin == "generated"
    severity: Literal["error", "warning"] = "error" if generated else "warning"
    codes = {"sensitive": "target.sensitive", "design": "target.design-factor", "identifier": "target.identifier"}
    classes = manifest.tags.problem in ("binary", "multiclass", "multilabel")
    for target in declared_targets(task):
        category = target_category(target, classes)
        if category is not None:
            yield task.problem(
                codes[category], f"the target {target!r} {_WHY[category]}", ("prepare",), severity=severity
            )
    yield from _random_over_time(task, context, severity)


def _random_over_time(
    task: LoadedTask, context: CheckContext, severity: Literal["error", "warning"]
) -> Iterator[Problem]:
    prepare = getattr(task.manifest, "prepare", None)
    if not isinstance(prepare, DeclarativePrepare) or prepare.split.method not in ("random", "stratified"):
        return  # a time or group split is the remedy; a custom script states its own split
    from runner.preparation import TRAIN_FILE, PreparationError

    from ._kit import kit_for

    kit = kit_for(task, context)
    if isinstance(kit, PreparationError):
        return
    path = kit.prepared.public / TRAIN_FILE
    if not path.is_file():
        return
    import csv

    import pandas as pd

    with path.open(encoding="utf-8", errors="replace") as handle:
        columns = next(csv.reader([handle.readline().rstrip("\r\n")]), [])
    named = time_columns([column for column in columns if column not in kit.targets])
    if not named:
        return
    values = pd.read_csv(path, usecols=named, low_memory=False)
    # A handful of distinct years is a cohort attribute (penguins' study year), not a series to forecast.
    found = [column for column in named if values[column].nunique() >= MIN_TIME_POINTS]
    if found:
        yield task.problem(
            "split.random-over-time",
            f"train keeps the time column(s) {', '.join(found)} under a {prepare.split.method} split: test rows sit "
            "between train rows in time (interpolation, not forecasting); use `split: {method: time, time_column: "
            "...}` or drop the column",
            ("prepare", "split", "method"),
            severity=severity,
        )
