"""The one content digest of a task: every cache, result and version check keys on it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

from ._loader import AnyTask

DIGEST_VERSION = b"benchsmith-task-digest-v1"
_SKIPPED_DIRS = {"__pycache__", ".ipynb_checkpoints"}
_SKIPPED_SUFFIXES = {".pyc", ".pyo"}
LOCAL_FILE_PREFIX = "files:"  # `runner.datasets`' provider of the user's own table files


def task_files(task_dir: Path) -> Iterator[Path]:
    """Files of a task's own folder that belong to its content, in a stable order.

    Byte-code caches are skipped: Python writes them next to the scripts it runs, and they say nothing about
    the task.
    """
    if not task_dir.is_dir():
        return
    for path in sorted(task_dir.rglob("*"), key=lambda item: item.relative_to(task_dir).as_posix()):
        relative = path.relative_to(task_dir)
        if any(part in _SKIPPED_DIRS for part in relative.parts) or path.suffix in _SKIPPED_SUFFIXES:
            continue
        if path.is_file():
            yield path


def _frame(hasher: hashlib._Hash, label: bytes, payload: bytes) -> None:
    # Length-prefixed frames keep (name, content) pairs unambiguous: no two different trees hash alike.
    hasher.update(label + b"\0" + len(payload).to_bytes(8, "big") + payload)


def task_digest(manifest_path: Path, manifest: AnyTask | None = None, manifest_bytes: bytes | None = None) -> str:
    """SHA-256 over the manifest's bytes, every file of the task's own folder, and the declared source checksums.

    `manifest_bytes` may be given when the file was already read; `manifest` (the parsed model) adds the source
    checksums so that a source pinned by checksum changes the digest even if the manifest text were reformatted
    identically elsewhere.
    """
    hasher = hashlib.sha256()
    _frame(hasher, b"version", DIGEST_VERSION)
    raw = manifest_bytes if manifest_bytes is not None else manifest_path.read_bytes()
    _frame(hasher, b"manifest", raw)
    task_dir = manifest_path.parent / manifest_path.stem
    for path in task_files(task_dir):
        _frame(hasher, b"path", path.relative_to(task_dir).as_posix().encode())
        _frame(hasher, b"file", path.read_bytes())
    if manifest is not None:
        for source in manifest.sources:
            checksum = getattr(source, "sha256", None) or getattr(source, "kaggle", None) or ""
            _frame(hasher, b"source", f"{source.name}={checksum}".encode())
            dataset = getattr(source, "dataset", None)
            if isinstance(dataset, str) and dataset.startswith(LOCAL_FILE_PREFIX):
                # A user's own file can change under its pin: its bytes as they are now join the digest, so every
                # cache keyed on it misses and preparation reports the changed source.
                _frame(hasher, b"local-file", _file_sha256(Path(dataset.removeprefix(LOCAL_FILE_PREFIX))).encode())
    return hasher.hexdigest()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return "missing"
    return digest.hexdigest()
