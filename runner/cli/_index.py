"""The catalogue index: what `runner list` shows of each manifest, kept in the cache so a listing reads no YAML.

One JSON file per catalogue folder under `<cache root>/catalogue/`. An entry is reused while its manifest has the
same size and modification time and the index was written by the same benchsmith (package version, the manifest
models' source files, this module's format); anything else is loaded again and the index rewritten. The index
is a cache: when it cannot be read or written, listing loads every manifest as before.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spec import AnyTask

INDEX_FORMAT = 1
"""Bumped when what an entry holds changes."""

ROW_COLUMNS = ("id", "version", "kind", "modality", "problem", "metric", "title", "path")
"""The keys of a listed row (`runner list --format json`), in order."""


def _cache_root() -> Path:
    # As runner.preparation.default_cache_root, which this cannot import cheaply (it loads numpy).
    configured = os.environ.get("BENCHSMITH_CACHE_DIR")
    return Path(configured) if configured else Path.home() / ".cache" / "benchsmith"


def _fingerprint() -> str:
    """What an index's entries depend on besides the manifests: the package version and the models' sources (an
    edited model in a source checkout changes what loads), never importing the models themselves."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        parts = [f"benchsmith {version('benchsmith')}", f"format {INDEX_FORMAT}"]
    except PackageNotFoundError:
        parts = ["benchsmith (not installed)", f"format {INDEX_FORMAT}"]
    found = importlib.util.find_spec("spec")
    for folder in (found.submodule_search_locations or []) if found is not None else []:
        for entry in sorted(os.scandir(folder), key=lambda item: item.name):
            if entry.name.endswith(".py"):
                status = entry.stat()
                parts.append(f"{entry.name} {status.st_size} {status.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _index_file(root: Path) -> Path:
    # Rows name manifests as the folder was given (relative or not): one index per spelling.
    key = hashlib.sha256(f"{root.resolve()}\0{root}".encode()).hexdigest()[:24]
    return _cache_root() / "catalogue" / f"{key}.json"


def _metric_label(task: AnyTask) -> str:
    from spec import NamedMetric

    metric = task.metric
    if isinstance(metric, NamedMetric):
        return metric.name
    return f"script {getattr(metric, 'script', None) or getattr(metric, 'entrypoint', '')}"


def _entry(path: Path) -> dict[str, Any]:
    """A manifest's entry: its row, tags and keywords, or `invalid` when it does not load."""
    from spec import load_task

    task = load_task(path).manifest
    if task is None:
        return {"invalid": True}
    row = {
        "id": task.id, "version": task.version, "kind": task.kind, "modality": task.tags.modality,
        "problem": task.tags.problem, "metric": _metric_label(task), "title": task.title, "path": str(path),
    }  # fmt: skip
    return {"row": row, "tags": task.tags.model_dump(mode="json"), "keywords": list(task.tags.keywords)}


def _read(file: Path, fingerprint: str) -> dict[str, Any]:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if (
        not isinstance(data, dict)
        or data.get("fingerprint") != fingerprint
        or not isinstance(data.get("entries"), dict)
    ):
        return {}
    entries: dict[str, Any] = data["entries"]
    return entries


def _write(file: Path, fingerprint: str, entries: dict[str, Any]) -> None:
    """Replace the index atomically; a cache that cannot be written only costs the next listing its speed."""
    from runner.results import write_atomic

    with contextlib.suppress(OSError):
        write_atomic(file, json.dumps({"fingerprint": fingerprint, "entries": entries}, ensure_ascii=False))


def catalogue_entries(root: Path) -> list[dict[str, Any]]:
    """The entry of every manifest under `root` (catalogue order): `{"row", "tags", "keywords"}` for a valid one,
    `{"invalid": True}` for one that does not load. Entries of unchanged manifests come from the index."""
    from spec import iter_manifests

    file, fingerprint = _index_file(root), _fingerprint()
    known = _read(file, fingerprint)
    entries: dict[str, Any] = {}
    changed = False
    for path in iter_manifests(root):
        try:
            status = path.stat()
        except OSError:
            status = None
        stamp = [status.st_size, status.st_mtime_ns] if status is not None else None
        cached = known.get(str(path))
        if stamp is not None and isinstance(cached, dict) and cached.get("stamp") == stamp and "entry" in cached:
            entries[str(path)] = cached
            continue
        entries[str(path)] = {"stamp": stamp, "entry": _entry(path)}
        changed = True
    if changed or entries.keys() != known.keys():
        _write(file, fingerprint, entries)
    return [value["entry"] for value in entries.values()]
