"""Image tasks: split a table whose rows are images into image files under public/, and read them back as pixels.

The layout an agent sees: `public/train/<id>.png` and `public/test/<id>.png`, `public/train.csv` (id, target),
`public/test.csv` (id) and `public/sample_submission.csv`; the answers in `private/answers.csv`. Files are named
by the task's shuffled ids, never by their original names (which often spell the label), and re-encoded as PNG
without metadata, so nothing but the pixels goes public.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from spec import AnyTask, DeclarativePrepare

from ._errors import PreparationError
from ._media import (
    TEST_FOLDER,
    TRAIN_FOLDER,
    MediaArchive,
    media_folders,
    media_paths,
    with_file_features,
    write_split_tables,
)

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import NDArray

TRAIN_IMAGES = TRAIN_FOLDER
TEST_IMAGES = TEST_FOLDER
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm")
"""Suffixes read as images (a folder given to `runner generate`, members of an image archive)."""
FEATURE_SIDE = 32
"""Images of differing sizes are resized to this square for `image_pixels`; equal sizes are kept."""
_FIELD: tuple[str | int, ...] = ("prepare", "split", "images")


def pixel_png(values: NDArray[np.float64], shape: tuple[int, int], max_value: float) -> bytes:
    """One image's row-major pixel values as an 8-bit grey PNG, `max_value` shown as 255."""
    from PIL import Image

    scaled = np.clip(np.rint(values / max_value * 255.0), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(scaled.reshape(shape), mode="L").save(buffer, format="PNG")
    return buffer.getvalue()


def _reencoded(data: bytes, name: str) -> bytes:
    """The image as a metadata-free PNG (grey, grey+alpha, RGB or RGBA); PreparationError when it is not an image."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as opened:
            opened.load()
            image: Image.Image = opened
            if image.mode not in ("L", "LA", "RGB", "RGBA"):
                image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
            buffer = io.BytesIO()
            image.save(buffer, format="PNG")
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise PreparationError(f"{name} is not a readable image: {error}", _FIELD) from None
    return buffer.getvalue()


def prepare_image_split(task: AnyTask, raw_files: dict[str, Path], public: Path, private: Path) -> None:
    """The declarative split of an image task: rows of the source table become PNG files, see the module doc."""

    from ._split import (
        _read_table,
        _split_rows,
        _with_ids,
    )

    assert isinstance(task.prepare, DeclarativePrepare) and task.prepare.split.images is not None
    assert task.submission is not None
    split, images = task.prepare.split, task.prepare.split.images
    id_column = task.submission.id_column
    source = split.source or next(name for name in raw_files if name != images.archive)
    table = _read_table(raw_files[source])
    if split.target not in table.columns:
        raise PreparationError(f"column {split.target!r} not in source {source!r}", ("prepare", "split", "target"))
    if images.pixels is not None:
        assert images.shape is not None
        # Taken in the table's column order, which is row-major for the packaged sets (`pixel_0_0`, `pixel_0_1`).
        columns = [str(column) for column in table.columns if str(column).startswith(images.pixels)]
        if len(columns) != images.shape[0] * images.shape[1]:
            raise PreparationError(
                f"source {source!r} has {len(columns)} column(s) starting with {images.pixels!r}, but shape "
                f"{list(images.shape)} needs {images.shape[0] * images.shape[1]}",
                (*_FIELD, "pixels"),
            )
    else:
        assert images.archive is not None and images.file_column is not None
        if images.archive not in raw_files:
            raise PreparationError(f"no source named {images.archive!r}", (*_FIELD, "archive"))
        if images.file_column not in table.columns:
            raise PreparationError(f"column {images.file_column!r} not in source {source!r}", (*_FIELD, "file_column"))
        columns = [images.file_column]
    table = table[table[split.target].notna()].reset_index(drop=True)
    table = _with_ids(
        table[[*([split.id_column] if split.id_column else []), *columns, split.target]], split, id_column
    )
    train, test = _split_rows(table, split)
    archive = MediaArchive(raw_files[images.archive], "image", _FIELD) if images.archive is not None else None
    for frame, folder in ((train, TRAIN_IMAGES), (test, TEST_IMAGES)):
        (public / folder).mkdir(parents=True, exist_ok=True)
        values = frame[columns].to_numpy(dtype=np.float64) if archive is None else None
        for row, identifier in enumerate(frame[id_column].to_numpy()):
            if archive is None:
                assert values is not None
                assert images.shape is not None and images.max_value is not None  # required together
                data = pixel_png(values[row], images.shape, images.max_value)
            else:
                name = frame[columns[0]].iloc[row]
                data = _reencoded(archive.read(name), str(name))
            (public / folder / f"{identifier}.png").write_bytes(data)
    write_split_tables(task, train, test, split.target, public, private)


def image_folders(public: Path) -> tuple[Path, Path] | None:
    """`public/train` and `public/test` when both hold images (an image task's layout), else None."""
    return media_folders(public, IMAGE_SUFFIXES)


def image_paths(folder: Path, ids: Sequence[object]) -> list[Path]:
    """The image file of each id in `folder` (`<id>.<suffix>`); PreparationError naming the first id without one."""
    return media_paths(folder, ids, IMAGE_SUFFIXES, "image")


def image_pixels(paths: Sequence[Path], side: int | None = None) -> NDArray[np.float32]:
    """Grey pixels in [0, 1], one row per image: at their own size when all sizes agree, else resized to a square
    of `side` (default `FEATURE_SIDE`) pixels a side; `side` given always resizes."""
    from PIL import Image

    opened = []
    for path in paths:
        with Image.open(path) as image:
            opened.append(image.convert("L"))
    sizes = {image.size for image in opened}
    if side is not None or len(sizes) > 1:
        square = (side or FEATURE_SIDE,) * 2
        opened = [image.resize(square, Image.Resampling.BILINEAR) for image in opened]
    if not opened:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([np.asarray(image, dtype=np.float32).ravel() / 255.0 for image in opened])


def with_image_pixels(public: Path, train: pd.DataFrame, test: pd.DataFrame, id_column: str
                      ) -> tuple[pd.DataFrame, pd.DataFrame]:  # fmt: skip
    """For an image task, train and test with `pixel_<i>` columns read from their images (for tabular solvers);
    other tasks' tables unchanged."""
    return with_file_features(public, train, test, id_column, IMAGE_SUFFIXES, "image", image_pixels, "pixel_")
