"""Every task-folder path a manifest references, found from the field types rather than a hand-kept list."""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from ._fields import TaskPathMarker
from ._yaml import FieldPath


def _marker(annotation: Any) -> TaskPathMarker | None:
    if typing.get_origin(annotation) is typing.Annotated:
        return next((item for item in typing.get_args(annotation)[1:] if isinstance(item, TaskPathMarker)), None)
    return None


def _walk(annotation: Any, value: Any, path: FieldPath) -> Iterator[tuple[FieldPath, str, str]]:
    marker = _marker(annotation)
    if marker is not None and isinstance(value, str):
        yield path, value, marker.kind
        return
    if isinstance(value, BaseModel):
        yield from referenced_paths(value, path)
        return
    origin = typing.get_origin(annotation)
    arguments = typing.get_args(annotation)
    if origin is typing.Annotated:
        yield from _walk(arguments[0], value, path)
    elif origin in (typing.Union, types.UnionType):
        for argument in arguments:
            if argument is not type(None):
                yield from _walk(argument, value, path)
                if _marker(argument) is not None:
                    return
    elif origin is list and isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(arguments[0], item, (*path, index))
    elif origin is dict and isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(arguments[1], item, (*path, key))


def referenced_paths(model: BaseModel, prefix: FieldPath = ()) -> Iterator[tuple[FieldPath, str, str]]:
    """(field path, referenced path, "file" or "dir") for every task-folder path set in `model`."""
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        if value is None:
            continue
        # pydantic moves a field's own Annotated metadata onto FieldInfo; nested ones stay in the annotation.
        marker = next((item for item in info.metadata if isinstance(item, TaskPathMarker)), None)
        if marker is not None and isinstance(value, str):
            yield (*prefix, name), value, marker.kind
        else:
            yield from _walk(info.annotation, value, (*prefix, name))
