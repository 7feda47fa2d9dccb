"""The `--no-llm --ranking` generator: "which k classes are likeliest" tasks, scored by MAP@k.

Some tables hold a category with too many labels for a classification task a model could learn from a few
hundred rows (an aircraft's model among 127, a vehicle's maker among 33, a processor's socket among 60): the
profiler skips them (`MAX_CLASSES`). Asked for a ranked shortlist instead, as Kaggle's MAP@k competitions ask
(a hotel cluster, a product, a destination), they make a fair task: each test row's one relevant item is its
class, and a prediction is the classes best first, space-separated (labels' inner whitespace becomes `_`,
`runner.preparation`'s convention for ranking items). The split, the features withheld and the checks are the
profiler's; the sample submission ranks the classes by training frequency, so a model must beat that.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING

from spec import target_concern

from ._design import FILES_PROVIDER, GENERATOR_VERSION, TaskDesign, design, task_id
from ._generate import (
    MAX_DATASET_BYTES,
    DatasetRecord,
    GenerationReport,
    Progress,
    Reject,
    generate_each,
    keep_if_verified,
    load_raw,
    rejecter,
    with_group_split,
)
from ._profile import (
    MAX_CLASSES,
    TIME_NAME,
    ColumnProfile,
    TableProfile,
    TargetCandidate,
    columns_leaking,
    profile_table,
)
from ._propose import TaskProposal, propose

if TYPE_CHECKING:
    import pandas as pd

RANKING_GENERATOR_NAME = "ranking"
K = 5
"""Items scored per row (MAP@5)."""
MAX_ITEMS = 150
MIN_ROWS_PER_ITEM = 4.0
"""Rows per class on average: fewer, and most test classes were never seen in training."""
MAX_TOP_K_SHARE = 0.9
"""The commonest `K` classes may cover at most this share of rows: else the frequency ranking is nearly perfect."""
MAX_LABEL_WORDS = 4.0


def ranking_candidates(frame: pd.DataFrame, profile: TableProfile) -> list[TargetCandidate]:
    """Columns of many classes (more than the profiler's `MAX_CLASSES`) that a ranked shortlist could predict."""
    found: list[TargetCandidate] = []
    for column in profile.columns:
        if not _many_classes(column, profile.rows) or target_concern(column.name, True) is not None:
            continue
        labels = frame[column.name].astype(str).str.strip()
        counts = labels.value_counts()
        if counts.iloc[:K].sum() > MAX_TOP_K_SHARE * len(labels):
            continue
        found.append(
            TargetCandidate(
                column=column.name,
                kind="multiclass",
                classes=sorted(counts.index),
                min_class_rows=int(counts.min()),
                max_class_rows=int(counts.max()),
                leaky_columns=columns_leaking(frame, column.name, profile.columns),
            )
        )
    return found


def _many_classes(column: ColumnProfile, rows: int) -> bool:
    if column.kind not in ("categorical", "text") or column.missing_share > 0 or column.row_names:
        return False
    if re.match(TIME_NAME, column.name.strip().lower()) or (column.mean_words or 1.0) > MAX_LABEL_WORDS:
        return False  # a date is not a class; a sentence is not a label
    return MAX_CLASSES < column.cardinality <= MAX_ITEMS and column.cardinality * MIN_ROWS_PER_ITEM <= rows


def ranking_proposal(profile: TableProfile, candidate: TargetCandidate) -> TaskProposal | None:
    """The profiler's proposal for `candidate` (split, withheld columns), asking for a ranked shortlist."""
    shown = profile.model_copy(update={"candidates": [candidate]})
    proposals = propose(shown, max_tasks=1, target=candidate.column)
    if not proposals or proposals[0].time_column is not None:
        return None  # a forecast of a category over time is not this task
    base = proposals[0]
    classes = profile.column(candidate.column).cardinality
    return base.model_copy(
        update={
            "problem": "ranking",
            "metric": "map@k",
            "higher_is_better": True,
            "prediction": "ranking",
            "submission_columns": [candidate.column],
            "classes": [],
            "rationale": f"{candidate.column!r} has {classes} classes, too many to predict one from {profile.rows} "
            f"rows: a ranked shortlist of {K}, scored by MAP@{K} (the row's class found early counts most)"
            + (f"; withheld: {', '.join(base.drop_columns)}" if base.drop_columns else "")
            + ".",
        }
    )


def design_ranking(proposal: TaskProposal, reference: str, sha256: str) -> TaskDesign:
    """The profiler's design for `proposal`, with MAP@`K` and this generator's provenance and id."""
    task = design(proposal, reference, sha256)
    identifier = task_id(reference, f"{proposal.target}-shortlist")
    manifest = task.manifest
    old = task.id
    manifest["id"] = identifier
    manifest["description"] = f"{identifier}/description.md"
    manifest["metric"] = {"name": "map@k", "params": {"k": K}, "higher_is_better": True}
    manifest["baselines"]["reference"]["script"] = f"{identifier}/solution.py"
    manifest["tags"]["keywords"] = [*manifest["tags"]["keywords"], f"map-at-{K}"]
    manifest["provenance"]["generator"]["name"] = RANKING_GENERATOR_NAME
    manifest["provenance"]["by"] = "benchsmith generators (ranking)"
    return task.model_copy(
        update={"id": identifier, "manifest": manifest, "description": task.description.replace(old, identifier)}
    )


def _process(
    reference: str, out: Path, cache_root: Path | None, report: GenerationReport, max_per_dataset: int
) -> DatasetRecord:
    record = DatasetRecord()
    reject: Reject = rejecter(report, record, reference)
    try:
        raw, frame = load_raw(reference)
    except ValueError as error:
        reject("profile", "dataset.unloadable", str(error))
        return record
    record.sha256 = hashlib.sha256(raw).hexdigest()
    if len(raw) > MAX_DATASET_BYTES and not reference.startswith(f"{FILES_PROVIDER}:"):
        reject("profile", "dataset.too-large", f"{len(raw)} bytes of CSV, above {MAX_DATASET_BYTES}")
        return record
    profile = profile_table(frame)
    report.profiled += 1
    proposals = [
        with_group_split(proposal, frame)
        for proposal in (ranking_proposal(profile, candidate) for candidate in ranking_candidates(frame, profile))
        if proposal is not None
    ]
    if not proposals:
        reject(
            "propose",
            "propose.no-target",
            f"no column of {MAX_CLASSES + 1} to {MAX_ITEMS} classes with {MIN_ROWS_PER_ITEM:g}+ rows per class, "
            f"no missing values, whose {K} commonest classes cover at most {MAX_TOP_K_SHARE:.0%} of rows",
        )
    report.proposed += len(proposals)
    for proposal in proposals:
        if len(record.accepted) >= max_per_dataset:
            break
        task = design_ranking(proposal, reference, record.sha256)
        report.designed += 1
        keep_if_verified(task, out, cache_root, record, report, reject)
    return record


def generate_ranking(
    references: list[str],
    out: Path,
    cache_root: Path | None = None,
    progress: Progress | None = None,
    max_per_dataset: int = 2,
) -> GenerationReport:
    """Validated MAP@k shortlist tasks into `out` from the many-class columns of each table in `references`;
    resumable like the other generators (log in `out/generation-log.json`, README rewritten from it)."""
    return generate_each(
        references,
        out,
        lambda reference, _sha256, report: _process(reference, out, cache_root, report, max_per_dataset),
        progress,
        generator=f"{RANKING_GENERATOR_NAME} {GENERATOR_VERSION}",
    )
