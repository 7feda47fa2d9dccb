"""Every trial result of a runs folder as one pandas row per trial, with the task unit each trial belongs to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd
from pydantic import ValidationError
from pydantic_core import from_json

from runner.results import TrialResult, identity_problem, read_result_bytes, result_files

from ._records import checked

__all__ = ["TRIAL_COLUMNS", "LoadedTrials", "load_trials", "task_label", "trials_frame"]

TRIAL_COLUMNS: tuple[str, ...] = (
    "trial_id", "task", "task_id", "task_digest", "task_version", "kind", "agent", "agent_label", "model", "seed",
    "status", "valid", "reason", "score", "higher_is_better", "medal", "above_median", "percentile",
    "normalized_score", "hint_level", "hints", "transition", "fsr", "baseline_score", "attempts", "duration_s",
    "input_tokens", "output_tokens", "calls", "cost_usd", "backend", "started_at", "path",
)  # fmt: skip
"""Columns of the trials table, in order. `task` is the task unit (`task_id`, or `task_id@digest12` when the
task_id has results of several digests); `valid` is status ok with a score; `path` is the result.json's folder
relative to the runs folder; `hints` (`1+2`, `diff`, ...) and `transition` (`r2 -> r3`) are a speedrun trial's."""

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


def _row(record: Mapping[str, Any], started_at: datetime, folder: str) -> dict[str, object]:
    """A trials-table row from a record's fields (a validated `TrialResult` dumped, or a record `_checked` passed)."""
    details, usage = record["details"], record["usage"]
    hint_level = details.get("hint_level")
    hints = details.get("hints") or (None if hint_level is None else str(hint_level))
    following, previous = details.get("next_record"), details.get("record")
    baseline = details.get("baseline_score")
    if baseline is None:
        baseline = record["trivial_score"]
    status, score = record["status"], record["score"]
    return {
        "trial_id": record["trial_id"], "task": record["task_id"], "task_id": record["task_id"],
        "task_digest": record["task_digest"], "task_version": record["task_version"], "kind": record["kind"],
        "agent": record["agent"], "agent_label": record["agent_label"], "model": record["model"],
        "seed": record["seed"], "status": status, "valid": status == "ok" and score is not None,
        "reason": record["reason"], "score": score, "higher_is_better": record["higher_is_better"],
        "medal": record["medal"], "above_median": record["above_median"], "percentile": record["percentile"],
        "normalized_score": record["normalized_score"], "hint_level": hint_level, "hints": hints,
        "transition": f"{previous} -> {following}" if previous and following else None, "fsr": details.get("fsr"),
        "baseline_score": baseline, "attempts": record["attempts"], "duration_s": record["duration_s"],
        "input_tokens": usage["input_tokens"], "output_tokens": usage["output_tokens"], "calls": usage["calls"],
        "cost_usd": usage["cost_usd"], "backend": record["backend"], "started_at": started_at, "path": folder,
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


class _Identity(NamedTuple):
    trial_id: str
    task_id: str
    task_digest: str
    agent_label: str
    seed: int


def _record(path: Path) -> tuple[Mapping[str, Any], datetime]:
    """A record's fields and start time: parsed in bulk when it has the runner's shape (`checked`), else through
    the model. Raises OSError, ValueError (not JSON) or pydantic's ValidationError."""
    blob = read_result_bytes(path)
    try:
        fast = checked(from_json(blob, allow_inf_nan=False))
    except ValueError:
        fast = None  # the model's own parse says what is wrong
    if fast is not None:
        return fast
    result = TrialResult.model_validate_json(blob)
    return result.model_dump(), result.started_at


def load_trials(runs_dir: Path) -> LoadedTrials:
    """Read the result.json of every trial folder of `runs_dir` (in path order) into the trials table.

    Only the runner's own records count: a result.json is read from a trial folder,
    `<task>@<digest12>/<agent label>/seed-<n>/`, and nowhere else (agents' workspaces lie below those folders).
    A file that cannot be read, is not a valid `TrialResult`, or whose identity is not its folder's is skipped with
    a warning naming it. Raises NotADirectoryError when `runs_dir` is not a folder.
    """
    if not runs_dir.is_dir():
        raise NotADirectoryError(f"{runs_dir} is not a folder")
    warnings: list[str] = []
    skipped: list[Path] = []
    rows: list[dict[str, object]] = []
    for trial_id, path in result_files(runs_dir):
        try:
            record = _record(path)
        except ValidationError as error:
            warnings.append(f"skipped {path}: not a valid result ({_short_error(error)})")
            skipped.append(path)
            continue
        except (OSError, ValueError) as error:
            warnings.append(f"skipped {path}: cannot be read ({error})")
            skipped.append(path)
            continue
        fields, started_at = record
        problem = identity_problem(_Identity(*(fields[name] for name in _Identity._fields)), trial_id)
        if problem is not None:
            warnings.append(f"skipped {path}: not this trial's record ({problem})")
            skipped.append(path)
            continue
        rows.append(_row(fields, started_at, trial_id))
    frame = trials_frame(rows)
    warnings.extend(_split_digests(frame))
    if not frame.empty:
        frame = frame.sort_values(["task", "agent_label", "seed"], kind="stable").reset_index(drop=True)
        frame.index = pd.RangeIndex(len(frame))
    return LoadedTrials(frame=frame, warnings=warnings, skipped=skipped)
