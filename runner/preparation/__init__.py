"""Preparation: raw sources → public/ (what an agent sees) and private/ (the answers), cached by content.

Declarative splits run in-process; prepare scripts and entry points run in a child process with a time limit.
"""

from ._audio import (
    AUDIO_SUFFIXES,
    audio_features,
    audio_folders,
    audio_paths,
    clip_features,
    log_mel,
    read_audio,
    with_audio_features,
)
from ._errors import PreparationError
from ._images import (
    IMAGE_SUFFIXES,
    TEST_IMAGES,
    TRAIN_IMAGES,
    image_folders,
    image_paths,
    image_pixels,
    pixel_png,
    with_image_pixels,
)
from ._kaggle import KAGGLE_EXTRA, download_competition, raw_for, rules_url
from ._mlebench import DATA_ENV as MLEBENCH_DATA_ENV
from ._mlebench import competition_id, mlebench_data_dir
from ._prepare import (
    PREPARER_VERSION,
    PreparedTask,
    default_cache_root,
    preparation_key,
    prepare_into,
    prepare_task,
    prune_prepared,
)
from ._script import DEFAULT_TIMEOUT_S, run_prepare_code
from ._sources import materialize_sources, raw_file_name
from ._split import SAMPLE_FILE, TEST_FILE, TRAIN_FILE, prepare_split, sample_predictions, split_table, write_csv

__all__ = [
    "AUDIO_SUFFIXES",
    "DEFAULT_TIMEOUT_S",
    "IMAGE_SUFFIXES",
    "KAGGLE_EXTRA",
    "MLEBENCH_DATA_ENV",
    "PREPARER_VERSION",
    "SAMPLE_FILE",
    "TEST_FILE",
    "TEST_IMAGES",
    "TRAIN_FILE",
    "TRAIN_IMAGES",
    "PreparationError",
    "PreparedTask",
    "audio_features",
    "audio_folders",
    "audio_paths",
    "clip_features",
    "competition_id",
    "default_cache_root",
    "download_competition",
    "image_folders",
    "image_paths",
    "image_pixels",
    "log_mel",
    "materialize_sources",
    "mlebench_data_dir",
    "pixel_png",
    "preparation_key",
    "prepare_into",
    "prepare_split",
    "prepare_task",
    "prune_prepared",
    "raw_file_name",
    "raw_for",
    "read_audio",
    "rules_url",
    "run_prepare_code",
    "sample_predictions",
    "split_table",
    "with_audio_features",
    "with_image_pixels",
    "write_csv",
]
