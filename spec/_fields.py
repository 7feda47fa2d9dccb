"""Constrained value types shared by the manifest models."""

from __future__ import annotations

import re
from typing import Annotated, Any

from packaging.requirements import InvalidRequirement, Requirement
from pydantic import AfterValidator, Field

SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"
SEMVER_PATTERN = (
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
# Below the top-level package a module may be a folder whose name is no identifier (MLE-bench's
# `mlebench.competitions.3d-object-detection-for-autonomous-vehicles.grade`): importlib finds it all the same.
ENTRYPOINT_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_][A-Za-z0-9_-]*)*:[A-Za-z_][A-Za-z0-9_]*$"
DURATION_PATTERN = r"^\d+(?:\.\d+)?(?:s|m|h)$"
SHA256_PATTERN = r"^[0-9a-f]{64}$"
PYTHON_VERSION_PATTERN = r"^3\.\d{1,2}$"
PYTHON_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
"""A Python identifier (a module attribute, a constant's name)."""

_DURATION_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}

Slug = Annotated[
    str,
    Field(
        pattern=SLUG_PATTERN,
        description="Lower-case letters, digits and inner hyphens, 1-64 characters.",
        examples=["penguins-species"],
    ),
]
SemVer = Annotated[str, Field(pattern=SEMVER_PATTERN, description="Semantic version MAJOR.MINOR.PATCH.")]


class TaskPathMarker:
    """Marks a field whose value is a path inside the task's own folder, so checks can find every such field."""

    def __init__(self, kind: str) -> None:
        self.kind = kind  # "file" or "dir"

    def __repr__(self) -> str:
        return f"TaskPathMarker({self.kind!r})"


TASK_FILE = TaskPathMarker("file")
TASK_DIR = TaskPathMarker("dir")

TaskPath = Annotated[
    str,
    TASK_FILE,
    Field(
        min_length=1,
        description="A path relative to the manifest's folder that stays inside the task's own folder "
        "(`<manifest folder>/<manifest stem>/`).",
        examples=["penguins-species/description.md"],
    ),
]
TaskDir = Annotated[
    str,
    TASK_DIR,
    Field(
        min_length=1,
        description="A folder relative to the manifest's folder that stays inside the task's own folder.",
        examples=["my-task/starter"],
    ),
]
EntryPoint = Annotated[
    str,
    Field(
        pattern=ENTRYPOINT_PATTERN,
        description="A Python entry point `package.module:function` provided by an installed package.",
        examples=["mlebench.competitions.spaceship_titanic.grade:grade"],
    ),
]


def import_path_field() -> Any:
    """The `import_path` field of an entry point's block: where its package is imported from."""
    return Field(
        default=None,
        min_length=1,
        description="Folder put first on `sys.path` before the entry point is imported: an upstream checkout, "
        "absolute or relative to the manifest's folder (`runner import` records the one it read). Absent: the entry "
        "point comes from an installed package.",
    )


Sha256 = Annotated[str, Field(pattern=SHA256_PATTERN, description="Lower-case hex SHA-256 digest.")]
Duration = Annotated[
    str,
    Field(
        pattern=DURATION_PATTERN,
        description="A duration: a number followed by s, m or h.",
        examples=["90s", "30m", "1.5h"],
    ),
]


def duration_seconds(duration: str) -> float:
    """Seconds in a `Duration` string such as `30m`."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([smh])", duration)
    if match is None:
        raise ValueError(f"not a duration: {duration!r} (expected e.g. 90s, 30m, 2h)")
    return float(match.group(1)) * _DURATION_UNITS[match.group(2)]


def _check_requirement(value: str) -> str:
    try:
        Requirement(value)
    except InvalidRequirement as error:
        raise ValueError(f"not a valid pip requirement ({error})") from None
    return value


PipRequirement = Annotated[
    str,
    AfterValidator(_check_requirement),
    Field(description="A pip requirement specifier (PEP 508).", examples=["scikit-learn>=1.4"]),
]
