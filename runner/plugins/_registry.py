"""One registry for everything benchsmith looks up by name, filled by the built-ins and by installed packages.

A package adds an agent (or a sandbox backend, an executor, a task-kind runtime, a metric, a dataset provider, a
check) by declaring an entry point in the registry's group, e.g. in its pyproject.toml:

    [project.entry-points."benchsmith.agents"]
    my-agent = "my_package.agent:MyAgent"

Entry points are read the first time a name is not found among the built-ins (or the names are listed), so that
start-up pays nothing for them. The entry point's object is registered under the entry point's name, unless
importing it already registered it (a module that uses the registry's decorator).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from types import ModuleType
from typing import Generic, TypeVar

from runner._errors import EXIT_USAGE, BenchsmithError

T = TypeVar("T")


class UnknownPluginError(BenchsmithError, LookupError):
    """A name no registry entry answers to; the message lists what exists and suggests the closest."""

    exit_code = EXIT_USAGE

    def __init__(self, kind: str, name: str, known: list[str], *, message: str | None = None) -> None:
        if message is None:
            close = difflib.get_close_matches(name, known, n=1)
            suggestion = f" (did you mean {close[0]!r}?)" if close else ""
            message = f"no {kind} {name!r}{suggestion}; choose one of {', '.join(known) or '(none)'}"
        super().__init__(message)
        self.kind, self.name, self.known = kind, name, known


class PluginUnavailableError(BenchsmithError, LookupError):
    """A known name whose code cannot be imported here; the message says what to install."""

    exit_code = EXIT_USAGE


class Registry(Generic[T]):
    """Named entries of one kind (`kind` names it in messages) and the entry-point group that extends it."""

    def __init__(self, kind: str, group: str, *, modules_only: bool = False) -> None:
        self.kind = kind
        self.group = group
        self.modules_only = modules_only
        """Entry points must name modules that register through the registry's decorator (metrics, checks)."""
        self._entries: dict[str, T] = {}
        self._unavailable: dict[str, str] = {}
        self._discovered = False

    def add(self, name: str, entry: T) -> T:
        """Register `entry` under `name`; a name registered twice is a programming error."""
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._entries[name] = entry
        self._unavailable.pop(name, None)
        return entry

    def decorator(self, name: str, *, on_add: Callable[[T], None] | None = None) -> Callable[[T], T]:
        """A class decorator registering the class under `name` (`on_add` stamps it, e.g. with its name)."""

        def register(entry: T) -> T:
            if on_add is not None:
                on_add(entry)
            return self.add(name, entry)

        return register

    def replace(self, name: str, entry: T) -> None:
        """Swap the entry registered under `name` (a wrapper around it, or a test double)."""
        if name not in self._entries:
            raise KeyError(name)
        self._entries[name] = entry

    def copy(self) -> Registry[T]:
        """A registry with the same entries that registrations into do not reach this one (for tests)."""
        twin: Registry[T] = Registry(self.kind, self.group, modules_only=self.modules_only)
        twin._entries, twin._unavailable = dict(self._entries), dict(self._unavailable)
        twin._discovered = self._discovered
        return twin

    def unavailable(self, name: str, why: str) -> None:
        """Declare a built-in whose import failed here: asking for it says `why` (what to install)."""
        if name not in self._entries:
            self._unavailable[name] = why

    def find(self, name: str) -> T | None:
        """The entry named `name`, or None (installed plug-ins included)."""
        if name not in self._entries:
            self._discover()
        return self._entries.get(name)

    def entries(self) -> list[T]:
        """Every entry, in registration order (built-ins first, then installed plug-ins)."""
        self._discover()
        return list(self._entries.values())

    def get(self, name: str) -> T:
        """The entry named `name`; UnknownPluginError or PluginUnavailableError when there is none to use."""
        found = self.find(name)
        if found is not None:
            return found
        if name in self._unavailable:
            raise PluginUnavailableError(f"{self.kind} {name!r} is not available here: {self._unavailable[name]}")
        raise UnknownPluginError(self.kind, name, self.names())

    def names(self) -> list[str]:
        """Every usable name, built-in and installed, sorted."""
        self._discover()
        return sorted(self._entries)

    def _discover(self) -> None:
        if self._discovered:
            return
        self._discovered = True
        from importlib import metadata  # only when a name is missing or listed: start-up does not pay for it

        for point in metadata.entry_points(group=self.group):
            if point.name in self._entries:
                continue
            try:
                loaded = point.load()
            except Exception as error:  # a broken plug-in must not take the others down with it
                self._unavailable[point.name] = (
                    f"its plug-in ({point.value}) failed to import: {type(error).__name__}: {error}; "
                    f"reinstall or fix the package that declares it in {self.group!r}"
                )
                continue
            if isinstance(loaded, ModuleType) or point.name in self._entries:
                continue
            if self.modules_only:
                self._unavailable[point.name] = (
                    f"its plug-in ({point.value}) is not a module: entry points of {self.group!r} name a module "
                    f"whose {self.kind}s register themselves"
                )
            else:
                self.add(point.name, loaded)
