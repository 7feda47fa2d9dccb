"""`huggingface:<org>/<name>`: a Hugging Face dataset, from a local folder offline, or from the hub when online.

Local folders live under `$BENCHSMITH_HF_DATASETS` (default `~/.cache/benchsmith/huggingface`), one per dataset
at `<org>/<name>`, as written by `datasets.load_dataset(...).save_to_disk(folder)` or holding the dataset's data
files (parquet, CSV, JSON). Those are listed and load without network. Any other name is fetched from the hub,
which needs the network; offline (no answer from the hub's host within a few seconds, or `HF_HUB_OFFLINE=1`) that
is at once a one-line error saying how to save the dataset locally, not the hub client's minute of retries.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ._registry import DatasetError, DatasetNames, dataset_provider

if TYPE_CHECKING:
    import pandas as pd

ROOT_VARIABLE = "BENCHSMITH_HF_DATASETS"
SAVED_MARKERS = ("dataset_dict.json", "dataset_info.json", "state.json")
DATA_SUFFIXES = (".parquet", ".csv", ".json", ".jsonl", ".arrow")


def local_root() -> Path:
    """The folder holding local Hugging Face datasets (`$BENCHSMITH_HF_DATASETS`, else the benchsmith cache)."""
    configured = os.environ.get(ROOT_VARIABLE)
    return Path(configured) if configured else Path.home() / ".cache" / "benchsmith" / "huggingface"


OFFLINE_VARIABLES = ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")
PROBE_TIMEOUT_S = 5.0


def hub_reachable() -> bool:
    """Whether the hub (`$HF_ENDPOINT`, else huggingface.co) accepts a connection, unless told to stay offline."""
    if any(os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"} for name in OFFLINE_VARIABLES):
        return False
    endpoint = urlsplit(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    port = endpoint.port or (80 if endpoint.scheme == "http" else 443)
    try:
        with socket.create_connection((endpoint.hostname or "huggingface.co", port), timeout=PROBE_TIMEOUT_S):
            return True
    except OSError:
        return False


def _is_dataset(folder: Path) -> bool:
    if any((folder / marker).is_file() for marker in SAVED_MARKERS):
        return True
    return any(path.suffix in DATA_SUFFIXES for path in folder.rglob("*") if path.is_file())


def _frame(loaded: Any) -> pd.DataFrame:
    """One DataFrame from a Dataset, or from a DatasetDict with the split name as a leading `split` column."""
    import pandas as pd

    if hasattr(loaded, "to_pandas"):
        return pd.DataFrame(loaded.to_pandas())
    parts: list[pd.DataFrame] = []
    for split, dataset in loaded.items():
        part = pd.DataFrame(dataset.to_pandas())
        part.insert(0, "split", split)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


@dataset_provider(
    "huggingface",
    package="datasets",
    description=f"Hugging Face datasets: local folders under ${ROOT_VARIABLE} offline, any hub dataset online",
    open_names=True,
)
class HuggingFace:
    """`datasets.load_from_disk` (or `load_dataset` on the folder's data files) locally; `load_dataset(name)` online."""

    def list(self) -> DatasetNames:
        root = local_root()
        if not root.is_dir():
            return []
        return sorted(
            folder.relative_to(root).as_posix()
            for folder in root.glob("*/*")
            if folder.is_dir() and _is_dataset(folder)
        )

    def load(self, name: str) -> pd.DataFrame:
        import datasets

        folder = local_root() / name
        if folder.is_dir():
            saved = any((folder / marker).is_file() for marker in SAVED_MARKERS)
            return _frame(datasets.load_from_disk(str(folder)) if saved else datasets.load_dataset(str(folder)))
        save = f"on a machine with network run `datasets.load_dataset({name!r}).save_to_disk('{folder}')`"
        if not hub_reachable():
            raise DatasetError(
                f"Hugging Face dataset {name!r} is not in {folder} and the hub cannot be reached (offline); "
                f"{save} and copy that folder here"
            )
        try:
            return _frame(datasets.load_dataset(name))
        except Exception as error:  # the hub client raises many kinds; its message is long
            raise DatasetError(
                f"Hugging Face dataset {name!r} is not in {folder} and could not be fetched from the hub "
                f"({type(error).__name__}); {save} and copy that folder here"
            ) from None
