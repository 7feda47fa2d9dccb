"""MLE-bench's own data: a prepared data folder reused in place, and its checksums (MD5, `checksums.yaml`).

`mlebench prepare` leaves `<data-dir>/<competition>/prepared/{public,private}`; a task imported from MLE-bench can
use those folders as they are, so nothing is prepared or copied twice.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from runner._project import project_settings
from spec import AnyTask, KaggleSource

from ._errors import PreparationError

DATA_ENV = "BENCHSMITH_MLEBENCH_DATA"
"""Environment variable naming an MLE-bench data folder (what `mlebench prepare --data-dir` fills)."""
CONFIG_KEY = "mlebench_data"
"""Key of the same setting in `[tool.benchsmith]` of ./benchsmith.toml or ./pyproject.toml."""
CHECKSUMS_FILE = "checksums.yaml"
_UPSTREAM_PREFIX = "openai/mle-bench:"
# The files MLE-bench checksums: those directly in public/ and private/ with these suffixes.
_CHECKED_SUFFIXES = (".csv", ".json", ".jsonl", ".parquet", ".bson")


def _config_value(directory: Path) -> str | None:
    value = project_settings(directory)[0].get(CONFIG_KEY)
    return value if isinstance(value, str) and value else None


def mlebench_data_dir(explicit: Path | None = None) -> Path | None:
    """The MLE-bench data folder to reuse: the flag, else `$BENCHSMITH_MLEBENCH_DATA`, else the config; else None."""
    if explicit is not None:
        return explicit
    configured = os.environ.get(DATA_ENV) or _config_value(Path.cwd())
    return Path(configured).expanduser() if configured else None


def competition_id(task: AnyTask) -> str | None:
    """MLE-bench's id of the competition a task was imported from (its folder name), or None for other tasks."""
    kaggle = next((source for source in task.sources if isinstance(source, KaggleSource)), None)
    upstream = task.provenance.upstream
    if upstream is not None and upstream.startswith(_UPSTREAM_PREFIX):
        return upstream.removeprefix(_UPSTREAM_PREFIX).rstrip("/").rsplit("/", 1)[-1]
    return kaggle.kaggle if kaggle is not None else None


def _filled(folder: Path) -> bool:
    return folder.is_dir() and any(folder.iterdir())


def existing_preparation(task: AnyTask, data_dir: Path) -> Path | None:
    """`<data_dir>/<competition>/prepared` when MLE-bench left both public/ and private/ there, filled; else None."""
    competition = competition_id(task)
    if competition is None:
        return None
    prepared = data_dir / competition / "prepared"
    return prepared if _filled(prepared / "public") and _filled(prepared / "private") else None


def mlebench_raw(task: AnyTask, data_dir: Path) -> Path | None:
    """`<data_dir>/<competition>/raw` (or the zip MLE-bench downloaded beside it) when present; else None."""
    competition = competition_id(task)
    if competition is None:
        return None
    if _filled(data_dir / competition / "raw"):
        return data_dir / competition / "raw"
    archives = sorted((data_dir / competition).glob("*.zip")) if (data_dir / competition).is_dir() else []
    return archives[0] if len(archives) == 1 else None


def expected_checksums(manifest_path: Path, task: AnyTask) -> dict[str, Any] | None:
    """MLE-bench's checksums kept with the task (`<id>/checksums.yaml`): zip, public and private MD5s; or None."""
    path = manifest_path.parent / task.id / CHECKSUMS_FILE
    if not path.is_file():
        return None
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, YAMLError) as error:
        raise PreparationError(f"cannot read {path}: {error}") from None
    if not isinstance(data, dict):
        raise PreparationError(f"{path} is not a mapping of zip/public/private checksums")
    return data


def md5(path: Path) -> str:
    """MD5 of a file, read in chunks (data files can be large)."""
    hasher = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def _folder_checksums(folder: Path) -> dict[str, str]:
    return {
        path.name: md5(path)
        for path in sorted(folder.iterdir())
        if path.is_file() and path.suffix.lower() in _CHECKED_SUFFIXES
    }


def prepared_mismatches(expected: dict[str, Any], public: Path, private: Path) -> list[str]:
    """Files of public/ and private/ whose MD5 (or presence) differs from MLE-bench's checksums; [] when all agree."""
    differences: list[str] = []
    for name, folder in (("public", public), ("private", private)):
        wanted = expected.get(name)
        if not isinstance(wanted, dict):
            continue
        actual = _folder_checksums(folder)
        for file in sorted(set(wanted) | set(actual)):
            if file not in actual:
                differences.append(f"{name}/{file} missing")
            elif file not in wanted:
                differences.append(f"{name}/{file} not in MLE-bench's")
            elif actual[file] != wanted[file]:
                differences.append(f"{name}/{file} differs")
    return differences
