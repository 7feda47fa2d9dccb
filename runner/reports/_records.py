"""Reading thousands of result.json records quickly, without giving up on validating what the report uses.

`TrialResult.model_validate_json` costs about 0.25 ms a record, most of it in the Python-level validators every
persisted model shares (extension keys, private attributes), which made validation most of a 10,000-trial report.
A record the runner wrote has a known shape: the model's fields (all of them, or, from an older runner, the
required ones and some optional ones) and no other key, nested records likewise. `checked` accepts a parsed
record of that shape whose every field the report reads has the type and bounds the model gives it, filling a
missing optional field with the model's default; anything else (an unknown key, an `x-` key, a lax value such as
`"3"` for an int) returns None, and the caller validates that file with the model itself, so a record is never
accepted here that the model would reject in a field the report shows. Which files are read, and the identity
check, are not this module's concern.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel

from runner.results import TrialDetails, TrialResult, TrialStatus, Usage

__all__ = ["checked"]


def _literals(annotation: object) -> frozenset[object]:
    """Every literal value an annotation allows (`Literal[...] | None` and unions of them)."""
    if get_origin(annotation) is Literal:
        return frozenset(get_args(annotation))
    return frozenset(value for part in get_args(annotation) for value in _literals(part))


@dataclass(frozen=True)
class _Shape:
    """A model's keys: all it has, those it requires, and the defaults (as JSON values) of the others."""

    fields: frozenset[str]
    required: frozenset[str]
    defaults: dict[str, Any]

    @classmethod
    def of(cls, model: type[BaseModel]) -> _Shape:
        optional = {name: field for name, field in model.model_fields.items() if not field.is_required()}
        defaults = {
            name: _plain(field.get_default(call_default_factory=True, validated_data={}))
            for name, field in optional.items()
        }
        return cls(frozenset(model.model_fields), frozenset(model.model_fields) - set(optional), defaults)

    def complete(self, value: object) -> dict[str, Any] | None:
        """`value` with its missing optional keys filled in, or None when it is not of this shape."""
        if type(value) is not dict:
            return None
        keys = value.keys()
        if keys == self.fields:
            return value
        if not (keys <= self.fields and self.required <= keys):
            return None
        return {**self.defaults, **value}


def _plain(value: object) -> object:
    return value.model_dump(mode="json") if isinstance(value, BaseModel) else value


def _model(annotation: object) -> type[BaseModel] | None:
    """The model an annotation holds (`M` or `M | None`), if it holds exactly one."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    found = [part for part in get_args(annotation) if isinstance(part, type) and issubclass(part, BaseModel)]
    return found[0] if len(found) == 1 and get_origin(annotation) is not Literal else None


def _details_shapes() -> dict[str, _Shape]:
    """Each details kind with its shape, from the discriminated union `TrialDetails`."""
    union = get_args(TrialDetails)[0]
    return {str(model.model_fields["kind"].default): _Shape.of(model) for model in get_args(union)}


_RECORD = _Shape.of(TrialResult)
_USAGE = _Shape.of(Usage)
_DETAILS = _details_shapes()
# Nested records the report never reads (thresholds, lock, run settings): checked for shape only.
_UNREAD = {
    name: (_Shape.of(model), not field.is_required() and field.default is None)
    for name, field in TrialResult.model_fields.items()
    if name not in ("usage", "details") and (model := _model(field.annotation)) is not None
}
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


def _usage(value: object) -> dict[str, Any] | None:
    usage = _USAGE.complete(value)
    if usage is None:
        return None
    cost = usage["cost_usd"]
    valid = (
        _count(usage["input_tokens"]) and _count(usage["output_tokens"]) and _count(usage["calls"])
        and (cost is None or (_number(cost) and cost >= 0))
    )  # fmt: skip
    return usage if valid else None


def _details(value: object) -> dict[str, Any] | None:
    if type(value) is not dict or value.get("kind") not in _DETAILS:
        return None
    details = _DETAILS[value["kind"]].complete(value)
    if details is None:
        return None
    level = details.get("hint_level")
    valid = (
        (level is None or (type(level) is int and level in _HINT_LEVELS))
        and all(_optional_text(details.get(name)) for name in ("hints", "record", "next_record"))
        and _optional_number(details.get("fsr")) and _optional_number(details.get("baseline_score"))
    )  # fmt: skip
    return details if valid else None


def _unread(record: dict[str, Any]) -> bool:
    return all(
        (value is None and nullable) or shape.complete(value) is not None
        for name, (shape, nullable) in _UNREAD.items()
        for value in (record[name],)
    )


def _started_at(value: object) -> datetime | None:
    if type(value) is not str:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def checked(value: object) -> tuple[Mapping[str, Any], datetime] | None:
    """`value` (a parsed record) with its start time, when it has the runner's shape and every field the report
    reads is as the model allows; None when the model must judge it."""
    record = _RECORD.complete(value)
    if record is None:
        return None
    percentile, duration = record["percentile"], record["duration_s"]
    usage, details = _usage(record["usage"]), _details(record["details"])
    valid = (
        usage is not None and details is not None
        and record["schema_version"] == 1 and type(record["schema_version"]) is int
        and all(type(record[name]) is str for name in _TEXT)
        and _optional_text(record["model"]) and _optional_text(record["reason"])
        and record["kind"] in _KINDS and record["status"] in _STATUSES
        and (record["medal"] is None or record["medal"] in _MEDALS)
        and _count(record["seed"]) and _count(record["attempts"], 1)
        and all(_optional_number(record[name]) for name in _OPTIONAL_NUMBERS)
        and type(record["higher_is_better"]) is bool and type(record["above_median"]) is bool
        and (percentile is None or (_number(percentile) and 0 <= percentile <= 1))
        and _number(duration) and duration >= 0
        and _unread(record)
    )  # fmt: skip
    started = _started_at(record["started_at"]) if valid else None
    if started is None:
        return None
    if usage is not record["usage"] or details is not record["details"]:
        record = {**record, "usage": usage, "details": details}
    return record, started
