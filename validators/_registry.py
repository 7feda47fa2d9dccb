"""Registries of checks: adding a check is one decorated function in one file."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeVar, cast

from runner.plugins import GROUPS, Registry
from spec import LoadedTask, Problem

Layer = Literal["static", "execute"]
_T = TypeVar("_T")


@dataclass(frozen=True)
class CheckContext:
    """What a check may know beyond its own task."""

    tasks_root: Path | None = None
    changed_since: str | None = None
    changed_files: frozenset[Path] | None = None
    cache_root: Path | None = None
    options: dict[str, object] = field(default_factory=dict)
    memo: dict[Hashable, object] = field(default_factory=dict, compare=False, repr=False)
    """What checks look up alike for many tasks of one run (whether a package is installed, a module's source
    parsed), kept for the run: one context per run, and files are taken not to change during it."""

    def remember(self, key: Hashable, compute: Callable[[], _T]) -> _T:
        """`compute()`, or what it returned the first time `key` was asked in this context."""
        if key not in self.memo:
            self.memo[key] = compute()
        return cast(_T, self.memo[key])


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
    layer: Layer = "static"


_TASK_CHECKS: Registry[TaskCheck] = Registry("task check", GROUPS["checks"], modules_only=True)
"""Per-task checks: the built-ins and those of installed packages (entry-point group `benchsmith.checks`, naming a
module whose functions use the `task_check` or `catalogue_check` decorator)."""
ENGINE_CODES = ("validator.check-crashed", "validator.execution-skipped")
"""Codes the validation engine itself reports, beside those of the checks."""
_CATALOGUE_CHECKS: Registry[CatalogueCheck] = Registry("catalogue check", GROUPS["checks"], modules_only=True)


def task_check(
    name: str, *, codes: Iterable[str], description: str, layer: Layer = "static"
) -> Callable[[TaskCheckFn], TaskCheckFn]:
    """Register a per-task check; it runs on every task whose manifest parsed."""

    def register(fn: TaskCheckFn) -> TaskCheckFn:
        _TASK_CHECKS.add(name, TaskCheck(name, layer, tuple(codes), description, fn))
        return fn

    return register


def catalogue_check(
    name: str, *, codes: Iterable[str], description: str, layer: Layer = "static"
) -> Callable[[CatalogueCheckFn], CatalogueCheckFn]:
    """Register a check that sees every task validated together (an execute one only with `--execute`)."""

    def register(fn: CatalogueCheckFn) -> CatalogueCheckFn:
        _CATALOGUE_CHECKS.add(name, CatalogueCheck(name, tuple(codes), description, fn, layer))
        return fn

    return register


def task_checks(layer: Layer | None = None) -> list[TaskCheck]:
    """Registered per-task checks, optionally of one layer, in registration order."""
    return [check for check in _TASK_CHECKS.entries() if layer is None or check.layer == layer]


def catalogue_checks(layer: Layer | None = None) -> list[CatalogueCheck]:
    """Registered catalogue-wide checks, optionally of one layer, in registration order."""
    return [check for check in _CATALOGUE_CHECKS.entries() if layer is None or check.layer == layer]
