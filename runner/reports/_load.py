"""Every result.json under a runs folder as one pandas row per trial, with the task unit each trial belongs to."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from pydantic import ValidationError

from runner.results import RESULT_FILE, TrialResult

__all__ = ["TRIAL_COLUMNS", "LoadedTrials", "load_trials", "task_label", "trials_frame"]

TRIAL_COLUMNS: tuple[str, ...] = (
    "trial_id", "task", "task_id", "task_digest", "task_version", "kind", "agent", "agent_label", "model", "seed",
    "status", "valid", "reason", "score", "higher_is_better", "medal", "above_median", "percentile",
    "normalized_score", "hint_level", "fsr", "baseline_score", "attempts", "duration_s", "input_tokens",
    "output_tokens", "calls", "cost_usd", "backend", "started_at", "path",
)  # fmt: skip
"""Columns of the trials table, in order. `task` is the task unit (`task_id`, or `task_id@digest12` when the
task_id has results of several digests); `valid` is status ok with a score; `path` is the result.json's folder
relative to the runs folder."""

_DIGEST_PREFIX = 12


@dataclass
class LoadedTrials:
    """The trials table and what loading it had to say."""

    frame: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)


def task_label(task_id: str, digest: str, length: int = _DIGEST_PREFIX) -> str:
    """`task_id@digest12`: how a task unit is named when its task_id has results of several digests."""
    return f"{task_id}@{digest[:length]}"


def _short_error(error: ValidationError) -> str:
    first = error.errors()[0] if error.errors() else None
    if first is None:
        return "not a valid result record"
    where = ".".join(str(part) for part in first.get("loc", ())) or "record"
    return f"{where}: {first.get('msg', 'invalid')} ({error.error_count()} problem(s))"


def _row(result: TrialResult, folder: str) -> dict[str, object]:
    details = result.details
    hint_level = getattr(details, "hint_level", None)
    fsr = getattr(details, "fsr", None)
    baseline = getattr(details, "baseline_score", None)
    if baseline is None:
        baseline = result.trivial_score
    return {
        "trial_id": result.trial_id, "task": result.task_id, "task_id": result.task_id,
        "task_digest": result.task_digest, "task_version": result.task_version, "kind": result.kind,
        "agent": result.agent, "agent_label": result.agent_label, "model": result.model, "seed": result.seed,
        "status": result.status, "valid": result.status == "ok" and result.score is not None,
        "reason": result.reason, "score": result.score, "higher_is_better": result.higher_is_better,
        "medal": result.medal, "above_median": result.above_median, "percentile": result.percentile,
        "normalized_score": result.normalized_score, "hint_level": hint_level, "fsr": fsr,
        "baseline_score": baseline, "attempts": result.attempts, "duration_s": result.duration_s,
        "input_tokens": result.usage.input_tokens, "output_tokens": result.usage.output_tokens,
        "calls": result.usage.calls, "cost_usd": result.usage.cost_usd, "backend": result.backend,
        "started_at": result.started_at, "path": folder,
    }  # fmt: skip


def trials_frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    """Rows (as built from results) as the typed trials table: one dtype per column whatever the rows hold."""
    frame = pd.DataFrame(rows, columns=list(TRIAL_COLUMNS))
    for column in ("score", "percentile", "normalized_score", "fsr", "baseline_score", "duration_s", "cost_usd"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    for column in ("seed", "attempts", "input_tokens", "output_tokens", "calls"):
        frame[column] = frame[column].astype("int64")
    frame["hint_level"] = pd.array(
        [None if value is None or pd.isna(value) else int(value) for value in frame["hint_level"]], dtype="Int64"
    )
    for column in ("valid", "higher_is_better", "above_median"):
        frame[column] = frame[column].astype(bool)
    frame["started_at"] = pd.to_datetime(frame["started_at"], utc=True)
    for column in ("trial_id", "task", "task_id", "task_digest", "task_version", "kind", "agent", "agent_label"):
        frame[column] = frame[column].astype(str)
    for column in ("model", "medal", "reason", "status", "backend", "path"):
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


def _split_digests(frame: pd.DataFrame) -> list[str]:
    """Name each (task_id, task_digest) unit; a task_id with several digests gets `task@digest12` labels."""
    warnings: list[str] = []
    if frame.empty:
        return warnings
    digests = frame.groupby("task_id", sort=True)["task_digest"].unique()
    labels = frame["task_id"].to_numpy(dtype=object).copy()
    for task_id, values in digests.items():
        found = sorted(str(value) for value in values)
        if len(found) < 2:
            continue
        length = _DIGEST_PREFIX
        while len({digest[:length] for digest in found}) < len(found) and length < max(map(len, found)):
            length += 4
        named = {digest: task_label(str(task_id), digest, length) for digest in found}
        mask = (frame["task_id"] == task_id).to_numpy(dtype=bool)
        labels[mask] = [named[str(digest)] for digest in frame.loc[mask, "task_digest"]]
        warnings.append(
            f"task {task_id} has results of {len(found)} different digests; they are never pooled and are "
            f"reported apart as {', '.join(named.values())}"
        )
    frame["task"] = labels.astype(str)
    return warnings


def load_trials(runs_dir: Path) -> LoadedTrials:
    """Read every result.json under `runs_dir` (recursively, in path order) into the trials table.

    A file that cannot be read or is not a valid `TrialResult` is skipped with a warning naming it; a second
    record with a trial_id already seen is skipped too (copies of a runs folder would count trials twice).
    Raises NotADirectoryError when `runs_dir` is not a folder.
    """
    if not runs_dir.is_dir():
        raise NotADirectoryError(f"{runs_dir} is not a folder")
    warnings: list[str] = []
    skipped: list[Path] = []
    rows: list[dict[str, object]] = []
    seen: dict[str, Path] = {}
    for path in sorted(runs_dir.rglob(RESULT_FILE)):
        if not path.is_file():
            continue
        try:
            result = TrialResult.model_validate_json(path.read_bytes())
        except ValidationError as error:
            warnings.append(f"skipped {path}: not a valid result ({_short_error(error)})")
            skipped.append(path)
            continue
        except (OSError, ValueError) as error:
            warnings.append(f"skipped {path}: cannot be read ({error})")
            skipped.append(path)
            continue
        if result.trial_id in seen:
            warnings.append(f"skipped {path}: trial {result.trial_id} was already read from {seen[result.trial_id]}")
            skipped.append(path)
            continue
        seen[result.trial_id] = path
        rows.append(_row(result, path.parent.relative_to(runs_dir).as_posix()))
    frame = trials_frame(rows)
    warnings.extend(_split_digests(frame))
    if not frame.empty:
        frame = frame.sort_values(["task", "agent_label", "seed"], kind="stable").reset_index(drop=True)
        frame.index = pd.RangeIndex(len(frame))
    return LoadedTrials(frame=frame, warnings=warnings, skipped=skipped)
