"""Prepare a task into public/ and private/, cached by content: a second run of an unchanged task is a hit."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from spec import AnyTask, DeclarativePrepare, KaggleSource, LoadedTask, PackagedSource, task_digest

from ._errors import PreparationError
from ._mlebench import existing_preparation, expected_checksums, mlebench_data_dir, mlebench_raw, prepared_mismatches
from ._script import DEFAULT_TIMEOUT_S, run_prepare_code
from ._sources import materialize_sources
from ._split import prepare_split

PREPARER_VERSION = "1"
_COMPLETE = ".complete"
_FILES = "files.json"


@dataclass(frozen=True)
class PreparedTask:
    """A task's prepared data on disk."""

    key: str
    root: Path
    cache_hit: bool
    files: dict[str, str]
    reused: bool = False
    """The folders are an MLE-bench data folder's, used in place (not hashed: `files` is empty)."""
    warnings: tuple[str, ...] = ()
    """What the user should know about this preparation (e.g. checksums that differ from MLE-bench's)."""

    @property
    def raw(self) -> Path:
        """Raw source files as materialized."""
        return self.root / "raw"

    @property
    def public(self) -> Path:
        """What the agent sees."""
        return self.root / "public"

    @property
    def private(self) -> Path:
        """The answers; never shown to an agent."""
        return self.root / "private"


def default_cache_root() -> Path:
    """`$BENCHSMITH_CACHE_DIR`, else `~/.cache/benchsmith`."""
    configured = os.environ.get("BENCHSMITH_CACHE_DIR")
    return Path(configured) if configured else Path.home() / ".cache" / "benchsmith"


def preparation_key(task: LoadedTask) -> str:
    """Content key of a preparation: the task digest, the preparer version, and unpinned packaged data."""
    if task.manifest is None:
        raise PreparationError(f"{task.path} is not a valid manifest; run `runner validate {task.path}`")
    hasher = hashlib.sha256(f"preparer-v{PREPARER_VERSION}\0".encode())
    hasher.update(task_digest(task.path, task.manifest, task.raw or None).encode())
    for source in task.manifest.sources:
        if isinstance(source, PackagedSource) and source.sha256 is None:
            # Unpinned packaged data can change with the package; its bytes join the key.
            from runner.datasets import DatasetError, dataset_sha256

            try:
                hasher.update(f"\0{source.name}={dataset_sha256(source.dataset)}".encode())
            except DatasetError as error:
                raise PreparationError(f"source {source.name!r}: {error}", ("sources",)) from None
    return hasher.hexdigest()


def _hash_tree(root: Path) -> dict[str, str]:
    files = {}
    for folder in ("public", "private"):
        for path in sorted((root / folder).rglob("*")):
            if path.is_file():
                files[path.relative_to(root).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return files


def _kaggle_checksums(task: LoadedTask, manifest: AnyTask) -> dict[str, object] | None:
    if not any(isinstance(source, KaggleSource) for source in manifest.sources):
        return None
    return expected_checksums(task.path, manifest)


def prepare_into(
    task: LoadedTask,
    out: Path,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    *,
    raw_from: Path | None = None,
    downloads: Path | None = None,
    warnings: list[str] | None = None,
) -> dict[str, str]:
    """Prepare `task` into `out/{raw,public,private}` without any cache; returns file → sha256 of outputs.

    `raw_from` and `downloads` say where a Kaggle source's files come from (see `materialize_sources`). When the
    task keeps MLE-bench's checksums, a zip that differs is an error, and prepared files that differ are a note
    added to `warnings`.
    """
    manifest = task.manifest
    if manifest is None:
        raise PreparationError(f"{task.path} is not a valid manifest; run `runner validate {task.path}`")
    public, private = out / "public", out / "private"
    public.mkdir(parents=True, exist_ok=True)
    private.mkdir(parents=True, exist_ok=True)
    checksums = _kaggle_checksums(task, manifest)
    zip_md5 = checksums.get("zip") if checksums is not None else None
    raw_files = materialize_sources(
        manifest,
        task.path,
        out / "raw",
        kaggle_files=raw_from,
        kaggle_downloads=downloads,
        kaggle_zip_md5=zip_md5 if isinstance(zip_md5, str) else None,
    )
    if isinstance(manifest.prepare, DeclarativePrepare):
        prepare_split(manifest, raw_files, public, private)
    else:
        run_prepare_code(manifest, task.path, out / "raw", public, private, timeout_s)
    if checksums is not None:
        differences = prepared_mismatches(checksums, public, private)
        if differences:
            listed = ", ".join(differences[:4]) + (f" and {len(differences) - 4} more" if len(differences) > 4 else "")
            message = f"prepared files differ from MLE-bench's checksums: {listed}"
            if isinstance(zip_md5, str) and (raw_from is None or raw_from.is_file()):
                # Kaggle's bytes, yet other output: the preparer's libraries (pandas, scikit-learn) are not
                # MLE-bench's. Said, not refused: refusing would leave the data unusable on any other versions.
                reason = "the raw zip matched, so the preparer's libraries differ from MLE-bench's"
            else:
                reason = "the raw files were yours, not checked before preparing"
            if warnings is not None:
                warnings.append(f"{message} ({reason}): scores may not compare with MLE-bench's leaderboard")
    return _hash_tree(out)


def prepare_task(
    task: LoadedTask,
    *,
    cache_root: Path | None = None,
    force: bool = False,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    raw_from: Path | None = None,
    mlebench_data: Path | None = None,
) -> PreparedTask:
    """Prepared data for `task` from the cache, preparing it first on a miss (or when `force` or `raw_from`).

    An MLE-bench data folder (`mlebench_data`, else the configured one: see `mlebench_data_dir`) that already holds
    the competition's prepared folders is used in place; one that holds only its raw files provides them.
    `raw_from` gives a Kaggle source's files (a folder or the zip) instead of downloading them.
    """
    key = preparation_key(task)
    manifest = task.manifest
    assert manifest is not None  # preparation_key raised otherwise
    data_dir = mlebench_data_dir(mlebench_data)
    if raw_from is None and data_dir is not None:
        existing = existing_preparation(manifest, data_dir)
        if existing is not None:
            return PreparedTask(key=key, root=existing, cache_hit=True, files={}, reused=True)
    base = (cache_root or default_cache_root()) / "prepared"
    final = base / key
    if not force and raw_from is None and (final / _COMPLETE).is_file():
        files = json.loads((final / _FILES).read_text(encoding="utf-8"))
        return PreparedTask(key=key, root=final, cache_hit=True, files=files)
    if raw_from is None and data_dir is not None:
        raw_from = mlebench_raw(manifest, data_dir)
    base.mkdir(parents=True, exist_ok=True)
    scratch = base / f".tmp-{key[:16]}-{uuid.uuid4().hex}"
    warnings: list[str] = []
    try:
        files = prepare_into(
            task, scratch, timeout_s, raw_from=raw_from, downloads=base.parent / "kaggle", warnings=warnings
        )
        (scratch / _FILES).write_text(json.dumps(files, indent=1, sort_keys=True), encoding="utf-8")
        (scratch / _COMPLETE).write_text(key, encoding="utf-8")
        if final.exists():
            shutil.rmtree(final)
        # A rename is atomic: readers see either no entry or a complete one, never a half-written folder.
        scratch.rename(final)
    except OSError as error:
        if (final / _COMPLETE).is_file():  # another process finished the same preparation first
            files = json.loads((final / _FILES).read_text(encoding="utf-8"))
            return PreparedTask(key=key, root=final, cache_hit=True, files=files)
        raise PreparationError(f"cannot write the preparation cache at {base}: {error}") from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return PreparedTask(key=key, root=final, cache_hit=False, files=files, warnings=tuple(warnings))


def prune_prepared(keep: set[str], *, cache_root: Path | None = None, everything: bool = False) -> list[Path]:
    """Remove prepared entries whose key is not in `keep` (all with `everything`), and unfinished scratch folders."""
    base = (cache_root or default_cache_root()) / "prepared"
    removed: list[Path] = []
    if not base.is_dir():
        return removed
    for entry in sorted(base.iterdir()):
        unfinished = entry.name.startswith(".tmp-")
        if entry.is_dir() and (everything or unfinished or entry.name not in keep):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed
