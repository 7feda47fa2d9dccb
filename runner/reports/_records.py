"""Reading thousands of result.json records quickly, without giving up on validating what the report uses.

`TrialResult.model_validate_json` costs about 0.25 ms a record, most of it in the Python-level validators every
persisted model shares (extension keys, private attributes), which made validation most of a 10,000-trial report.
A record the runner wrote has one exact shape, `TrialResult.model_dump_json()`: every field present, no other key.
`checked` accepts a parsed record of exactly that shape whose every field the report reads has the type and bounds
the model gives it; anything else (another shape, a lax value such as `"3"` for an int, an `x-` key) returns None,
and the caller validates that file with the model itself, so a record is never accepted here that the model would
reject in a field the report shows. Which files are read, and the identity check, are not this module's concern.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal, get_args, get_origin

from runner.results import Lock, Thresholds, TrialDetails, TrialResult, TrialStatus, Usage

__all__ = ["checked"]


def _literals(annotation: object) -> frozenset[object]:
    """Every literal value an annotation allows (`Literal[...] | None` and unions of them)."""
    if get_origin(annotation) is Literal:
        return frozenset(get_args(annotation))
    return frozenset(value for part in get_args(annotation) for value in _literals(part))


def _details_models() -> dict[str, frozenset[str]]:
    """Each details kind with its fields, from the discriminated union `TrialDetails`."""
    union = get_args(TrialDetails)[0]
    return {str(model.model_fields["kind"].default): frozenset(model.model_fields) for model in get_args(union)}


_FIELDS = frozenset(TrialResult.model_fields)
_USAGE = frozenset(Usage.model_fields)
_THRESHOLDS = frozenset(Thresholds.model_fields)
_LOCK = frozenset(Lock.model_fields)
_DETAILS = _details_models()
_STATUSES = frozenset(get_args(TrialStatus))
_MEDALS = _literals(TrialResult.model_fields["medal"].annotation)
_KINDS = _literals(TrialResult.model_fields["kind"].annotation)
_TEXT = ("trial_id", "task_id", "task_version", "task_digest", "agent", "agent_label", "backend")
_OPTIONAL_NUMBERS = ("score", "normalized_score", "trivial_score")
_HINT_LEVELS = range(4)


def _number(value: object) -> bool:
    # `type(...) is`, not isinstance: a bool is an int, and whether one passes is the model's call, not this one's
    return type(value) is int or (type(value) is float and math.isfinite(value))


def _optional_number(value: object) -> bool:
    return value is None or _number(value)


def _optional_text(value: object) -> bool:
    return value is None or type(value) is str


def _count(value: object, low: int = 0) -> bool:
    return type(value) is int and value >= low


def _shaped(value: object, keys: frozenset[str]) -> bool:
    return type(value) is dict and value.keys() == keys


def _usage(usage: object) -> bool:
    if not _shaped(usage, _USAGE):
        return False
    assert isinstance(usage, dict)
    cost = usage["cost_usd"]
    return (
        _count(usage["input_tokens"]) and _count(usage["output_tokens"]) and _count(usage["calls"])
        and (cost is None or (_number(cost) and cost >= 0))
    )  # fmt: skip


def _details(details: object) -> bool:
    if type(details) is not dict or details.get("kind") not in _DETAILS or details.keys() != _DETAILS[details["kind"]]:
        return False
    level = details.get("hint_level")
    return (
        (level is None or (type(level) is int and level in _HINT_LEVELS))
        and all(_optional_text(details.get(name)) for name in ("hints", "record", "next_record"))
        and _optional_number(details.get("fsr")) and _optional_number(details.get("baseline_score"))
    )  # fmt: skip


def _started_at(value: object) -> datetime | None:
    if type(value) is not str:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def checked(record: object) -> tuple[Mapping[str, Any], datetime] | None:
    """`record` (parsed JSON) with its start time, when it has the runner's exact shape and every field the report
    reads is as the model allows; None when the model must judge it."""
    if not _shaped(record, _FIELDS):
        return None
    assert isinstance(record, dict)
    percentile, duration = record["percentile"], record["duration_s"]
    valid = (
        record["schema_version"] == 1 and type(record["schema_version"]) is int
        and all(type(record[name]) is str for name in _TEXT)
        and _optional_text(record["model"]) and _optional_text(record["reason"])
        and record["kind"] in _KINDS and record["status"] in _STATUSES
        and (record["medal"] is None or record["medal"] in _MEDALS)
        and _count(record["seed"]) and _count(record["attempts"], 1)
        and all(_optional_number(record[name]) for name in _OPTIONAL_NUMBERS)
        and type(record["higher_is_better"]) is bool and type(record["above_median"]) is bool
        and (percentile is None or (_number(percentile) and 0 <= percentile <= 1))
        and _number(duration) and duration >= 0
        and _usage(record["usage"]) and _details(record["details"])
        and _shaped(record["thresholds"], _THRESHOLDS) and _shaped(record["lock"], _LOCK)
    )  # fmt: skip
    if not valid:
        return None
    started = _started_at(record["started_at"])
    return None if started is None else (record, started)
