"""The generated catalogue's README: per-stage counts, datasets, problem types and wall time, from the log and files.

Written by code, never by hand, so its counts always match the generation log and the manifests on disk (a test
regenerates it and compares).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from pydantic import Field

from spec import StrictModel, find_manifests, load_task

from ._generate import LOG_FILE, DatasetRecord, GenerationLog, Rejection, _read_log, _write_log

README_FILE = "README.md"
_LOAD_CODES = frozenset({"dataset.unloadable", "dataset.duplicate", "dataset.too-large"})
_AFTER_DESIGN = frozenset({"design", "reference", "validate"})
_AFTER_DRAFT = frozenset({"refactor", "review", "execute", "validate"})


def _by_model(log: GenerationLog) -> bool:
    """Whether the LLM pipeline (not the profiler) wrote the log."""
    from .llm import LLM_GENERATOR_NAME

    return log.generator.startswith(LLM_GENERATOR_NAME)


class CatalogueStats(StrictModel):
    """What the README reports."""

    generator: str = Field(description="Generator name and version of the log.")
    tried: int = Field(description="Raw dataset references the generator was run on.")
    tried_by_provider: dict[str, int] = Field(description="Datasets tried, per provider.")
    distinct_tried: int = Field(description="Distinct dataset contents (SHA-256 of the canonical CSV) tried.")
    duplicates: int = Field(description="References skipped because another one had the same bytes.")
    unloadable: int = Field(description="References that could not be loaded.")
    too_large: int = Field(description="Datasets skipped for size.")
    profiled: int = Field(description="Datasets profiled.")
    without_target: int = Field(description="Profiled datasets with no usable target.")
    proposed: int = Field(description="Task proposals.")
    designed: int = Field(description="Proposals turned into manifest, description and solution.")
    accepted: int = Field(description="Tasks that passed every static and execution check (in the log).")
    rejected: dict[str, int] = Field(description="Rejections by reason code.")
    files: int = Field(description="Task manifests in the folder.")
    distinct_with_tasks: int = Field(description="Distinct dataset contents with at least one accepted task.")
    by_problem: dict[str, int] = Field(description="Tasks per `modality/problem` tag pair.")
    by_metric: dict[str, int] = Field(description="Tasks per metric.")
    seconds: float = Field(description="Wall-clock seconds spent on datasets, summed over runs and workers.")
    by_model: bool = Field(default=False, description="True when the LLM pipeline made the tasks, not the profiler.")


def catalogue_stats(out: Path) -> CatalogueStats:
    """Counts of the catalogue in `out`, from its generation log and its manifests."""
    log = GenerationLog.model_validate_json((out / LOG_FILE).read_text(encoding="utf-8"))
    records = log.datasets
    codes = Counter(rejection.code for record in records.values() for rejection in record.rejected)
    skipped_before_profile = {
        reference
        for reference, record in records.items()
        if any(rejection.code in _LOAD_CODES for rejection in record.rejected)
    }
    accepted = sum(len(record.accepted) for record in records.values())
    stages = Counter(rejection.stage for record in records.values() for rejection in record.rejected)
    by_model = _by_model(log)
    if by_model:
        # The LLM pipeline's stages: a draft that never parsed is rejected at `design`, a designed one later.
        designed = accepted + sum(stages[stage] for stage in _AFTER_DRAFT)
        proposed = designed + stages["design"]
    else:
        designed = accepted + sum(stages[stage] for stage in _AFTER_DESIGN)
        proposed = designed + codes["design.failed"]
    tasks = [load_task(path) for path in find_manifests([out])]
    manifests = [task.manifest for task in tasks if task.manifest is not None]
    return CatalogueStats(
        generator=log.generator,
        tried=len(records),
        tried_by_provider=dict(sorted(Counter(reference.partition(":")[0] for reference in records).items())),
        distinct_tried=len({record.sha256 for record in records.values() if record.sha256}),
        duplicates=codes["dataset.duplicate"],
        unloadable=codes["dataset.unloadable"],
        too_large=codes["dataset.too-large"],
        profiled=len(records) - len(skipped_before_profile),
        without_target=codes["propose.no-target"],
        proposed=proposed,
        designed=designed,
        accepted=accepted,
        rejected=dict(sorted(codes.items())),
        files=len(tasks),
        distinct_with_tasks=len({record.sha256 for record in records.values() if record.accepted}),
        by_problem=dict(
            sorted(Counter(f"{manifest.tags.modality}/{manifest.tags.problem}" for manifest in manifests).items())
        ),
        by_metric=dict(sorted(Counter(getattr(manifest.metric, "name", "script") for manifest in manifests).items())),
        seconds=log.seconds,
        by_model=by_model,
    )


def _table(rows: dict[str, int], header: str) -> list[str]:
    return [f"| {header} | count |", "|---|---:|", *(f"| {key} | {value} |" for key, value in rows.items()), ""]


def catalogue_readme(out: Path) -> str:
    """The README text of the catalogue in `out`."""
    stats = catalogue_stats(out)
    per_task = stats.seconds / stats.accepted if stats.accepted else 0.0
    lines = [
        "# Generated tasks",
        "",
        f"Made by `runner generate{'' if stats.by_model else ' --no-llm'}` ({stats.generator}) from datasets that "
        "ship inside Python packages. "
        "Every task here passed all static and execution checks; rejected ones were deleted and are listed with "
        f"stage and reason in `{LOG_FILE}`. This file is written by code "
        "(`generators.write_catalogue_readme`), so its counts match the log and the files.",
        "",
        "## Counts",
        "",
        f"- accepted tasks: {stats.accepted} (manifests in this folder: {stats.files})",
        f"- raw datasets tried: {stats.tried} ({stats.distinct_tried} distinct by content hash)",
        f"- distinct datasets with at least one task: {stats.distinct_with_tasks}",
        f"- wall time: {stats.seconds / 60:.1f} min summed over datasets and workers "
        f"({per_task:.1f} s per accepted task)"
        if stats.seconds
        else "- wall time: not recorded in the log (the generator's own report has it)",
        "",
        "## Stages",
        "",
        "| stage | count |",
        "|---|---:|",
        f"| datasets tried | {stats.tried} |",
        f"| skipped: same bytes as another reference | {stats.duplicates} |",
        f"| skipped: unloadable | {stats.unloadable} |",
        f"| skipped: too large | {stats.too_large} |",
        f"| profiled | {stats.profiled} |",
        f"| profiled, no usable target | {stats.without_target} |",
        f"| proposed | {stats.proposed} |",
        f"| designed | {stats.designed} |",
        f"| accepted | {stats.accepted} |",
        "",
        "## Datasets tried per provider",
        "",
        *_table(stats.tried_by_provider, "provider"),
        "## Tasks per modality and problem type",
        "",
        *_table(stats.by_problem, "modality/problem"),
        "## Tasks per metric",
        "",
        *_table(stats.by_metric, "metric"),
        "## Rejections by reason",
        "",
        *_table(stats.rejected, "code"),
        "## Verification",
        "",
        "`verification.json` records, per task, the `task_digest` that passed the execution checks, which checks, "
        "the validator version and the date; `runner validate --execute` re-executes only tasks whose digest is "
        "not recorded. Refresh it with `runner validate tasks/generated --execute --record-verification`.",
        "",
    ]
    return "\n".join(lines)


def write_catalogue_readme(out: Path) -> Path:
    """Write `out/README.md` from the generation log and the manifests; returns its path."""
    from runner.results import write_atomic

    path = out / README_FILE
    write_atomic(path, catalogue_readme(out))
    return path


def merge_catalogues(sources: list[Path], out: Path) -> int:
    """Fold the catalogues of parallel `generate` workers (one output folder each) into `out`; returns tasks added.

    `out` may hold an earlier run, but no dataset of a source (merge each worker once, so wall time adds up
    right). A dataset whose bytes another dataset already brought
    (in `out` or an earlier source) becomes a `dataset.duplicate` record and its tasks are not copied, so the
    merged folder holds one task set per content hash, as one sequential run would. Only tasks the source log
    accepted are copied (a worker still busy may have files on disk it has not accepted yet).
    """
    import shutil

    out.mkdir(parents=True, exist_ok=True)
    merged = _read_log(out)
    before = set(merged.datasets)
    owners = {record.sha256: reference for reference, record in merged.datasets.items() if record.sha256}
    added = 0
    for source in sources:
        log = _read_log(source)
        if log.generator != merged.generator:
            raise ValueError(f"{source}: made by {log.generator}, not {merged.generator}")
        again = sorted(set(log.datasets) & before)
        if again:
            raise ValueError(f"{source}: {again[0]} is already in {out}; merge workers into a fresh folder")
        merged.seconds += log.seconds
        for reference, record in log.datasets.items():
            if reference in merged.datasets:
                continue  # two workers whose lists overlapped: the earlier source's outcome stands
            owner = owners.get(record.sha256) if record.sha256 else None
            if owner is not None:
                duplicate = Rejection(
                    dataset=reference, stage="profile", code="dataset.duplicate", reason=f"same bytes as {owner}"
                )
                merged.datasets[reference] = DatasetRecord(sha256=record.sha256, rejected=[duplicate])
                continue
            for task_id in record.accepted:
                shutil.copy2(source / f"{task_id}.yaml", out / f"{task_id}.yaml")
                shutil.copytree(source / task_id, out / task_id, dirs_exist_ok=True)
                added += 1
            merged.datasets[reference] = record
            if record.sha256:
                owners[record.sha256] = reference
    _write_log(out, merged)
    return added


def reject_tasks(out: Path, verdicts: dict[str, tuple[str, str]]) -> int:
    """Move accepted tasks of the catalogue in `out` to the log's rejections, `{task id: (code, reason)}`, deleting
    their files and rewriting the README; returns how many were rejected.

    For checks added after a catalogue was generated: the log keeps what the generator made and why each task is
    gone, so the README's rejection table counts the new checks like the generator's own.
    """
    from ._verify import remove_task

    # The log as it is, whichever generator version wrote it (`_read_log` starts afresh for another version).
    log = GenerationLog.model_validate_json((out / LOG_FILE).read_text(encoding="utf-8"))
    rejected = 0
    for reference, record in log.datasets.items():
        for task in [task for task in record.accepted if task in verdicts]:
            code, reason = verdicts[task]
            record.accepted.remove(task)
            record.rejected.append(
                Rejection(dataset=reference, task_id=task, stage="validate", code=code, reason=reason)
            )
            remove_task(out, task)
            rejected += 1
    _write_log(out, log)
    write_catalogue_readme(out)
    return rejected
