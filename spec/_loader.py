"""Load a manifest file into a model, or into problems that say where and what to fix."""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ._manifest import MANIFEST_ADAPTER, CompetitionTask, ResearchTask, SpeedrunTask
from ._problems import Problem, Severity
from ._yaml import FieldPath, YamlDocument, read_yaml

AnyTask = CompetitionTask | ResearchTask | SpeedrunTask
_KIND_MODELS: dict[str, type[BaseModel]] = {
    "competition": CompetitionTask,
    "research": ResearchTask,
    "speedrun": SpeedrunTask,
}

_CODES = {
    "missing": "schema.missing-field",
    "union_tag_not_found": "schema.missing-field",
    "extra_forbidden": "schema.unknown-key",
    "literal_error": "schema.invalid-choice",
    "union_tag_invalid": "schema.invalid-choice",
    "enum": "schema.invalid-choice",
    "string_pattern_mismatch": "schema.invalid-format",
    "value_error": "schema.invalid-value",
    "assertion_error": "schema.invalid-value",
    "source_kind": "schema.ambiguous-variant",
    "prepare_kind": "schema.ambiguous-variant",
    "metric_kind": "schema.ambiguous-variant",
}
LOADER_CODES: tuple[str, ...] = (
    "file.unreadable", "yaml.too-large", "yaml.not-utf8", "yaml.not-text", "yaml.syntax", "yaml.too-deep",
    "yaml.empty", "yaml.bad-value", "yaml.alias", "yaml.merge-key", "yaml.duplicate-key", "yaml.non-string-key",
    "yaml.unknown-tag",
    "yaml.not-a-mapping", *sorted(set(_CODES.values())), "schema.wrong-type", "schema.out-of-range", "schema.invalid",
)  # fmt: skip
"""Every code the loader can report (the checks declare theirs when they register)."""

_RANGE_TYPES = {
    "greater_than", "greater_than_equal", "less_than", "less_than_equal", "too_short", "too_long",
    "string_too_short", "string_too_long", "finite_number",
}  # fmt: skip


@dataclass
class LoadedTask:
    """A manifest file as read: its model when valid, and every problem met on the way."""

    path: Path
    manifest: AnyTask | None
    document: YamlDocument = field(repr=False)
    problems: list[Problem] = field(default_factory=list)
    raw: bytes = field(default=b"", repr=False)

    @property
    def task_dir(self) -> Path:
        """The task's own folder: `<manifest folder>/<manifest stem>/`."""
        return self.path.parent / self.path.stem

    @property
    def id(self) -> str:
        """The task id as far as it can be read, else the file stem."""
        if self.manifest is not None:
            return self.manifest.id
        data = self.document.data
        if isinstance(data, dict):
            value = data.get("id")
            if isinstance(value, str):
                return value
        return self.path.stem

    def locate(self, field_path: FieldPath) -> tuple[int, int] | None:
        """Line and column of the deepest part of `field_path` present in the file."""
        for end in range(len(field_path), -1, -1):
            location = self.document.locations.get(field_path[:end])
            if location is not None:
                return location
        return (1, 1) if self.document.data is not None else None

    def problem(self, code: str, message: str, field_path: FieldPath = (), severity: Severity = "error") -> Problem:
        """A problem located at `field_path` of this manifest."""
        location = self.locate(field_path)
        return Problem(
            code=code,
            severity=severity,
            message=message,
            file=str(self.path),
            line=location[0] if location else None,
            column=location[1] if location else None,
            path=format_field_path(field_path) or None,
        )


def format_field_path(field_path: FieldPath) -> str:
    """`("sources", 0, "sha256")` → `sources[0].sha256`."""
    text = ""
    for part in field_path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _data_path(data: Any, loc: tuple[str | int, ...]) -> FieldPath:
    """Keep the parts of a pydantic error location that name data; drop union tags."""
    path: list[str | int] = []
    current = data
    for position, part in enumerate(loc):
        if isinstance(current, dict) and part in current:  # noqa: SIM114 (mypy narrows each branch apart)
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            current = current[part]
        elif isinstance(part, str) and (part in _KIND_MODELS or ":" in part or part == "[key]"):
            continue
        elif position == len(loc) - 1:
            path.append(part)  # a required key that is not there
            break
        else:
            continue
        path.append(part)
    return tuple(path)


def _model_at(data: Any, field_path: FieldPath) -> type[BaseModel] | None:
    """The model class that validates the mapping at `field_path`, for suggesting keys."""
    if not isinstance(data, dict):
        return None
    model: Any = _KIND_MODELS.get(data.get("kind", ""))
    current: Any = data
    for part in field_path:
        if model is None or not isinstance(current, dict | list):
            return None
        if isinstance(part, int):
            current = current[part] if isinstance(current, list) and part < len(current) else None
            continue
        info = model.model_fields.get(part) if isinstance(model, type) and issubclass(model, BaseModel) else None
        if info is None:
            return None
        current = current.get(part) if isinstance(current, dict) else None
        model = _pick_model(info.annotation, current)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _pick_model(annotation: Any, value: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _pick_model(typing.get_args(annotation)[0], value)
    if origin in (list, dict):
        item = typing.get_args(annotation)[-1]
        sample = value[0] if isinstance(value, list) and value else None
        if isinstance(value, dict) and origin is dict:
            sample = next(iter(value.values()), None)
        return _pick_model(item, sample)
    if origin in (typing.Union, types.UnionType):
        candidates = [_pick_model(arg, value) for arg in typing.get_args(annotation)]
        models = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
        if isinstance(value, dict):
            for candidate in models:
                if set(value) & set(candidate.model_fields) - {"name", "higher_is_better"}:
                    return candidate
        return models[0] if len(models) == 1 else None
    return annotation


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"number {value}"
    if isinstance(value, str):
        return f"text {value[:60]!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _schema_problem(task: LoadedTask, error: ErrorDetails) -> Problem:
    error_type = error["type"]
    field_path = _data_path(task.document.data, tuple(error["loc"]))
    if error_type in ("union_tag_invalid", "union_tag_not_found"):
        discriminator = str(error.get("ctx", {}).get("discriminator", "")).strip("'")
        field_path = (*field_path, discriminator) if discriminator.isidentifier() else field_path
    code = _CODES.get(error_type)
    if code is None:
        if error_type in _RANGE_TYPES:
            code = "schema.out-of-range"
        elif error_type.endswith(("_type", "_parsing")) or error_type in {
            "model_attributes_type",
            "dict_type",
        }:
            code = "schema.wrong-type"
        else:
            code = "schema.invalid"
    where = format_field_path(field_path) or "manifest"
    message = f"{where}: {error['msg']}"
    if code == "schema.unknown-key":
        key = str(field_path[-1]) if field_path else ""
        message = f"unknown key {key!r}"
        model = _model_at(task.document.data, field_path[:-1])
        if model is not None:
            allowed = sorted(model.model_fields)
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; allowed keys: {', '.join(allowed)}"
            message += hint
        message += " (extension keys must start with 'x-')"
    elif code == "schema.missing-field":
        name = str(field_path[-1]) if field_path else "?"
        parent = format_field_path(field_path[:-1])
        message = f"required field {name!r} is missing" + (f" in {parent}" if parent else "")
        if name == "kind":
            message += "; set kind to competition, research or speedrun"
    elif code == "schema.wrong-type":
        raw = task.document.scalars.get(field_path)
        message = f"{where}: {error['msg'].lower()}, got {_describe(error.get('input'))}"
        if raw is not None and error_type == "string_type":
            message += f'; quote it to keep it as text: "{raw}"'
    elif error_type == "union_tag_invalid":
        expected = str(error.get("ctx", {}).get("expected_tags", ""))
        message = f"{where}: {error.get('ctx', {}).get('tag')!r} is not one of {expected}"
    elif code == "schema.invalid-choice" or code in ("schema.invalid-format", "schema.out-of-range"):
        message = f"{where}: {error['msg']}, got {_describe(error.get('input'))}"
    elif code == "schema.invalid-value":
        message = f"{where}: {error['msg'].removeprefix('Value error, ')}"
    return task.problem(code, message, field_path)


def parse_manifest(path: Path, raw: bytes) -> LoadedTask:
    """Turn manifest bytes into a `LoadedTask`; problems instead of exceptions for any input."""
    document = read_yaml(raw)
    task = LoadedTask(path=path, manifest=None, document=document, raw=raw)
    for issue in document.issues:
        task.problems.append(
            Problem(
                code=issue.code, severity="error", message=issue.message, file=str(path), line=issue.line,
                column=issue.column,
            )
        )  # fmt: skip
    if document.issues:
        return task
    if not isinstance(document.data, dict):
        kind = "a list" if isinstance(document.data, list) else _describe(document.data)
        task.problems.append(
            task.problem("yaml.not-a-mapping", f"a manifest is a mapping of fields, but this file holds {kind}")
        )
        return task
    try:
        task.manifest = MANIFEST_ADAPTER.validate_python(document.data)
    except ValidationError as errors:
        task.problems.extend(_schema_problem(task, error) for error in errors.errors(include_url=False))
    return task


def load_task(path: str | Path) -> LoadedTask:
    """Read and validate one manifest file against the models."""
    manifest_path = Path(path)
    try:
        raw = manifest_path.read_bytes()
    except OSError as error:
        document = YamlDocument()
        task = LoadedTask(path=manifest_path, manifest=None, document=document)
        reason = error.strerror or type(error).__name__
        task.problems.append(
            Problem(
                code="file.unreadable",
                severity="error",
                message=f"cannot read file: {reason}",
                file=str(path),
            )
        )
        return task
    return parse_manifest(manifest_path, raw)
