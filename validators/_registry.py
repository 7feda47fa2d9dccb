"""Registries of checks: adding a check is one decorated function in one file."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from spec import LoadedTask, Problem

Layer = Literal["static", "execute"]


@dataclass(frozen=True)
class CheckContext:
    """What a check may know beyond its own task."""

    tasks_root: Path | None = None
    changed_since: str | None = None
    changed_files: frozenset[Path] | None = None
    cache_root: Path | None = None
    options: dict[str, object] = field(default_factory=dict)


TaskCheckFn = Callable[[LoadedTask, CheckContext], Iterable[Problem]]
CatalogueCheckFn = Callable[[list[LoadedTask], CheckContext], Iterable[Problem]]


@dataclass(frozen=True)
class TaskCheck:
    """A check of one parsed task."""

    name: str
    layer: Layer
    codes: tuple[str, ...]
    description: str
    run: TaskCheckFn


@dataclass(frozen=True)
class CatalogueCheck:
    """A check across all tasks validated together (e.g. unique ids)."""

    name: str
    codes: tuple[str, ...]
    description: str
    run: CatalogueCheckFn


_TASK_CHECKS: dict[str, TaskCheck] = {}
ENGINE_CODES = ("validator.check-crashed", "validator.execution-skipped")
"""Codes the validation engine itself reports, beside those of the checks."""
_CATALOGUE_CHECKS: dict[str, CatalogueCheck] = {}


def task_check(
    name: str, *, codes: Iterable[str], description: str, layer: Layer = "static"
) -> Callable[[TaskCheckFn], TaskCheckFn]:
    """Register a per-task check; it runs on every task whose manifest parsed."""

    def register(fn: TaskCheckFn) -> TaskCheckFn:
        if name in _TASK_CHECKS:
            raise ValueError(f"task check {name!r} is registered twice")
        _TASK_CHECKS[name] = TaskCheck(name, layer, tuple(codes), description, fn)
        return fn

    return register


def catalogue_check(
    name: str, *, codes: Iterable[str], description: str
) -> Callable[[CatalogueCheckFn], CatalogueCheckFn]:
    """Register a check that sees every task validated together."""

    def register(fn: CatalogueCheckFn) -> CatalogueCheckFn:
        if name in _CATALOGUE_CHECKS:
            raise ValueError(f"catalogue check {name!r} is registered twice")
        _CATALOGUE_CHECKS[name] = CatalogueCheck(name, tuple(codes), description, fn)
        return fn

    return register


def task_checks(layer: Layer | None = None) -> list[TaskCheck]:
    """Registered per-task checks, optionally of one layer, in registration order."""
    return [check for check in _TASK_CHECKS.values() if layer is None or check.layer == layer]


def catalogue_checks() -> list[CatalogueCheck]:
    """Registered catalogue-wide checks, in registration order."""
    return list(_CATALOGUE_CHECKS.values())
