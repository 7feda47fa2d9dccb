"""Reading and writing result.json files: atomic writes, tolerant reads."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from pydantic import ValidationError

from ._models import TrialResult

RESULT_FILE = "result.json"


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` so that readers see the old file or the new one, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_result(folder: Path, result: TrialResult) -> Path:
    """Write `folder/result.json` atomically."""
    path = folder / RESULT_FILE
    write_atomic(path, result.model_dump_json(indent=2) + "\n")
    return path


def read_result(folder: Path) -> TrialResult | None:
    """The result in `folder`, or None when there is none or it is not a valid record."""
    try:
        return TrialResult.model_validate_json((folder / RESULT_FILE).read_bytes())
    except (OSError, ValidationError):
        return None


def iter_results(runs_dir: Path) -> Iterator[tuple[Path, TrialResult]]:
    """Every readable result under a runs folder, in path order."""
    for path in sorted(runs_dir.rglob(RESULT_FILE)):
        result = read_result(path.parent)
        if result is not None:
            yield path.parent, result
