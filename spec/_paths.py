"""Every task-folder path a manifest references, found from the field types rather than a hand-kept list."""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Iterator
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import BaseModel

from ._fields import TaskPathMarker
from ._yaml import FieldPath


def _marker(annotation: Any) -> TaskPathMarker | None:
    if typing.get_origin(annotation) is typing.Annotated:
        return next((item for item in typing.get_args(annotation)[1:] if isinstance(item, TaskPathMarker)), None)
    return None


_Shape = tuple[TaskPathMarker | None, Any, tuple[Any, ...]]
_SHAPES: dict[int, tuple[Any, _Shape]] = {}


def _shape(annotation: Any) -> _Shape:
    """The annotation's marker, origin and arguments, worked out once per annotation: the models are walked for
    every manifest validated, and typing's introspection was a tenth of static validation's time."""
    # Keyed by identity (annotations need not be hashable); the entry holds the annotation, so the id stays its own.
    known = _SHAPES.get(id(annotation))
    if known is not None and known[0] is annotation:
        return known[1]
    shape = (_marker(annotation), typing.get_origin(annotation), typing.get_args(annotation))
    _SHAPES[id(annotation)] = (annotation, shape)
    return shape


_LEAVES = (str, int, float, bool, type(None))


def _holds_no_paths(annotation: Any) -> bool:
    """True when a value of this type cannot be or contain a task path: plain scalars, literals and enums, and
    lists, mappings, unions and Annotated of those."""
    marker, origin, arguments = _shape(annotation)
    if marker is not None:
        return False
    if origin is typing.Literal:
        return True
    if origin is typing.Annotated:
        return _holds_no_paths(arguments[0])  # the rest is metadata
    if origin in (typing.Union, types.UnionType, list, dict):
        return all(_holds_no_paths(argument) for argument in arguments)
    return isinstance(annotation, type) and (issubclass(annotation, _LEAVES) or issubclass(annotation, enum.Enum))


@cache
def _fields(model: type[BaseModel]) -> tuple[tuple[str, TaskPathMarker | None, Any], ...]:
    """The fields of `model` that can hold a task path (the models are walked for every manifest validated)."""
    plan = []
    for name, info in model.model_fields.items():
        # pydantic moves a field's own Annotated metadata onto FieldInfo; nested ones stay in the annotation.
        marker = next((item for item in info.metadata if isinstance(item, TaskPathMarker)), None)
        if marker is not None or not _holds_no_paths(info.annotation):
            plan.append((name, marker, info.annotation))
    return tuple(plan)


def _walk(annotation: Any, value: Any, path: FieldPath) -> Iterator[tuple[FieldPath, str, str]]:
    marker, origin, arguments = _shape(annotation)
    if marker is not None and isinstance(value, str):
        yield path, value, marker.kind
        return
    if isinstance(value, BaseModel):
        yield from referenced_paths(value, path)
        return
    if origin is typing.Annotated:
        yield from _walk(arguments[0], value, path)
    elif origin in (typing.Union, types.UnionType):
        for argument in arguments:
            if argument is not type(None):
                yield from _walk(argument, value, path)
                if _shape(argument)[0] is not None:
                    return
    elif origin is list and isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(arguments[0], item, (*path, index))
    elif origin is dict and isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(arguments[1], item, (*path, key))


def referenced_paths(model: BaseModel, prefix: FieldPath = ()) -> Iterator[tuple[FieldPath, str, str]]:
    """(field path, referenced path, "file" or "dir") for every task-folder path set in `model`."""
    for name, marker, annotation in _fields(type(model)):
        value = getattr(model, name)
        if value is None:
            continue
        if marker is not None and isinstance(value, str):
            yield (*prefix, name), value, marker.kind
        else:
            yield from _walk(annotation, value, (*prefix, name))


class TaskPathError(OSError):
    """A path a manifest names leads out of the task's own folder (absolute, through `..`, or through a link)."""


def task_file(manifest_path: Path, reference: str) -> Path:
    """The file or folder `reference` (relative to the manifest's folder) names, resolved (links followed) and
    checked to lie inside the task's own folder `<manifest folder>/<manifest stem>/`. Runners call it at every copy
    into a sandbox, whatever validation said before: the files may have changed since. Raises TaskPathError."""
    task_dir = (manifest_path.parent / manifest_path.stem).resolve()
    target = (manifest_path.parent / reference).resolve()
    if PurePosixPath(reference).is_absolute() or not target.is_relative_to(task_dir):
        raise TaskPathError(
            f"{manifest_path}: {reference!r} leads out of the task's own folder {task_dir.name}/; nothing is copied "
            f"from it (`runner validate {manifest_path}` reports path.escapes-task)"
        )
    return target
