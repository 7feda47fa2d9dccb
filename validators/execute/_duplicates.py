"""No two tasks of a catalogue ask the same question: the same answers, or the same source table and target."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator
from typing import TYPE_CHECKING

from spec import DeclarativePrepare, LoadedTask, Problem, task_digest

from .._registry import CheckContext, catalogue_check

if TYPE_CHECKING:
    import pandas as pd

    from ._kit import Kit

MIN_ROWS = 20
"""Fewer test answers than this can coincide by chance; they are compared by source and target only."""


def _canonical(values: pd.Series) -> list[str]:
    """The target with its labels and units taken away: classes numbered by first appearance, numbers
    standardised, so `setosa` and `0`, or centimetres and millimetres, fingerprint alike."""
    import numpy as np
    import pandas as pd

    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.notna().all() and numeric.nunique() > 10:
        spread = float(numeric.std()) or 1.0
        return [f"{value:.4f}" for value in (numeric - numeric.mean()) / spread]
    codes, _ = pd.factorize(values.astype(str))
    return [str(code) for code in np.asarray(codes)]


def answers_fingerprint(kit: Kit) -> str | None:
    """A hash of the test ids and their canonical answers; None for several targets or a tiny test set."""
    if len(kit.targets) != 1 or len(kit.answers) < MIN_ROWS:
        return None
    ordered = kit.answers.assign(_key=kit.answers[kit.id_column].astype(str)).sort_values("_key", kind="stable")
    text = "\n".join(
        f"{key}\t{value}" for key, value in zip(ordered["_key"], _canonical(ordered[kit.targets[0]]), strict=True)
    )
    return hashlib.sha256(text.encode()).hexdigest()


def task_fingerprint(task: LoadedTask, context: CheckContext) -> str | None:
    """The answers fingerprint the task's verification record holds for its digest, else one computed from its
    prepared data (so CI, answered from records, prepares nothing)."""
    from runner.preparation import PreparationError

    from .._verification import read_record, record_path
    from ._kit import kit_for

    assert task.manifest is not None
    entry = read_record(record_path(task.path)).tasks.get(task.id)
    digest = task_digest(task.path, task.manifest, task.raw or None) if entry is not None else None
    if entry is not None and entry.answers_fingerprint is not None and entry.task_digest == digest:
        return entry.answers_fingerprint
    from runner.hardware import gpu_shortage

    if gpu_shortage(task.manifest.id, task.manifest.resources) is not None:
        return None  # its execution is skipped on this machine, and so is its preparation
    kit = kit_for(task, context)
    return None if isinstance(kit, PreparationError) else answers_fingerprint(kit)


def _source_key(task: LoadedTask) -> tuple[str, ...] | None:
    """Same pinned table, same target, same form of input: a unit change or a log of the target does not make a
    new task, but the same labels asked from image files instead of a table of pixels ask for other skills."""
    manifest = task.manifest
    prepare = getattr(manifest, "prepare", None)
    sources = getattr(manifest, "sources", None)
    if not isinstance(prepare, DeclarativePrepare) or not sources:
        return None
    pins = sorted(
        str(next((getattr(source, name) for name in ("sha256", "dataset", "url", "file", "kaggle")
                  if getattr(source, name, None)), source.name))
        for source in sources
    )  # fmt: skip
    form = "table" if getattr(prepare.split, "images", None) is None else "image-files"
    return (form, *pins, prepare.split.target.lower())


def _keep_first(group: list[LoadedTask]) -> list[LoadedTask]:
    """Hand-written and imported tasks before generated ones, then by id: the first one stays."""
    return sorted(group, key=lambda task: (task.manifest is not None and task.manifest.provenance.origin == "generated",
                                           task.id))  # fmt: skip


@catalogue_check(
    "duplicate-tasks",
    layer="execute",
    codes=("catalogue.duplicate-task",),
    description="No two tasks have the same test answers (up to labels and units), or the same pinned source "
    "table, target and form of input (a table, or image files); hand-written tasks are kept over generated ones.",
)
def check_duplicates(tasks: list[LoadedTask], context: CheckContext) -> Iterator[Problem]:
    groups: dict[tuple[str, ...], list[LoadedTask]] = defaultdict(list)
    for task in tasks:
        if task.manifest is None or getattr(task.manifest, "submission", None) is None:
            continue
        source = _source_key(task)
        if source is not None:
            groups[("source", *source)].append(task)
        fingerprint = task_fingerprint(task, context)
        if fingerprint is not None:
            groups[("answers", fingerprint)].append(task)
    flagged: set[str] = set()
    for key, group in groups.items():
        if len({task.id for task in group}) < 2:
            continue
        kept, *others = _keep_first(group)
        why = "the same test answers" if key[0] == "answers" else "the same source table and target"
        for task in others:
            if task.id in flagged or task.id == kept.id:
                continue
            flagged.add(task.id)
            generated = task.manifest is not None and task.manifest.provenance.origin == "generated"
            yield task.problem(
                "catalogue.duplicate-task",
                f"{task.id} duplicates {kept.id} ({kept.path}): {why}; drop one or change what it asks",
                severity="error" if generated else "warning",
            )
