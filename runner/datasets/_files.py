"""`files:<path>`: a table of the user's own, read from a CSV, TSV, parquet, JSON lines or Excel file.

The path is absolute (as `runner generate` writes it) or relative to the working folder. A manifest pins the
file by the SHA-256 of its canonical CSV like any packaged dataset, so an edited file fails preparation
instead of silently changing the task.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from ._registry import DATASET_NAME_PATTERN, DatasetError, DatasetNames, dataset_provider

if TYPE_CHECKING:
    import pandas as pd

PROVIDER = "files"
# Suffix → reader; compound suffixes first so that `x.csv.gz` is a CSV.
TABLE_SUFFIXES: dict[str, str] = {
    ".csv.gz": "csv", ".csv.bz2": "csv", ".csv.zip": "csv", ".csv.xz": "csv", ".tsv.gz": "tsv",
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".parquet": "parquet", ".pq": "parquet",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".xlsx": "excel", ".xlsm": "excel",
}  # fmt: skip


def table_format(path: Path) -> str | None:
    """The reader for `path` by its suffix (csv, tsv, parquet, jsonl, json, excel), or None when unsupported."""
    name = path.name.lower()
    return next((kind for suffix, kind in TABLE_SUFFIXES.items() if name.endswith(suffix)), None)


def file_references(paths: list[Path]) -> list[str]:
    """`files:<absolute path>` for each table file given, and for each table file inside each folder given.

    Raises `DatasetError` naming the path when it does not exist, is not a supported table, holds no table
    (a folder), or cannot be written in a manifest reference.
    """
    references: list[str] = []
    for given in paths:
        if given.is_dir():
            found = sorted(p for p in given.rglob("*") if p.is_file() and table_format(p) and not _hidden(p, given))
            if not found:
                raise DatasetError(f"{given}: the folder holds no {_supported()} file")
        elif given.is_file():
            if table_format(given) is None:
                raise DatasetError(f"{given}: not a supported table file; use {_supported()}")
            found = [given]
        else:
            raise DatasetError(f"{given}: no such file or folder")
        for path in found:
            resolved = path.resolve().as_posix()
            if not re.fullmatch(DATASET_NAME_PATTERN, resolved):
                raise DatasetError(
                    f"{path}: a manifest can only name paths of letters, digits and `_./-`; rename or move the file"
                )
            references.append(f"{PROVIDER}:{resolved}")
    return list(dict.fromkeys(references))


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith((".", "~$")) for part in path.relative_to(root).parts)


def _supported() -> str:
    return "CSV, TSV, parquet, JSON lines or Excel (.xlsx)"


@dataset_provider(
    PROVIDER,
    package="pandas",
    description="your own table files: `files:<path>` to a CSV, TSV, parquet, JSON lines or Excel file "
    "(Excel needs openpyxl, in `benchsmith[datasets]`)",
    open_names=True,
)
class LocalFiles:
    """Reads one local table file; nothing is listed, since any path may be asked for."""

    def list(self) -> DatasetNames:
        return []

    def load(self, name: str) -> pd.DataFrame:
        path = Path(name)
        kind = table_format(path)
        if kind is None:
            raise DatasetError(f"{path}: not a supported table file; use {_supported()}")
        if not path.is_file():
            raise DatasetError(f"{path}: no such file (a `files:` source must exist where the manifest says)")
        if path.stat().st_size == 0:
            raise DatasetError(f"{path}: the file is empty")
        frame = _read(path, kind)
        if frame.shape[0] == 0 or frame.shape[1] < 2:
            raise DatasetError(
                f"{path}: read as a table of {frame.shape[0]} row(s) and {frame.shape[1]} column(s); a task needs "
                "a header row, at least two columns and some rows"
            )
        return frame


def _read(path: Path, kind: str) -> pd.DataFrame:
    import pandas as pd

    try:
        if kind in ("csv", "tsv"):
            return pd.read_csv(path, sep="," if kind == "csv" else "\t", low_memory=False)
        if kind == "parquet":
            return pd.read_parquet(path)
        if kind == "jsonl":
            return pd.read_json(path, lines=True)
        if kind == "json":
            try:
                return pd.read_json(path, lines=True)
            except ValueError:
                return pd.read_json(path)
        import importlib.util

        if importlib.util.find_spec("openpyxl") is None:
            raise DatasetError(
                f"{path}: reading Excel files needs openpyxl: `pip install openpyxl` (or 'benchsmith[datasets]')"
            )
        return pd.read_excel(path, sheet_name=0, engine="openpyxl")
    except DatasetError:
        raise
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DatasetError(f"{path}: cannot read it as {kind}: {first}") from None
    except Exception as error:  # pyarrow and openpyxl raise their own types for damaged files
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise DatasetError(f"{path}: cannot read it as {kind}: {type(error).__name__}: {first}") from None
