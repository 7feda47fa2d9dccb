"""The `--no-llm` generator for a folder of images with a labels table: one image classification task per folder.

The folder holds image files (any depth) and one table (CSV, TSV, parquet, JSON lines or Excel) with a column
naming each image by its path relative to the folder and a label column. The task keeps what it needs inside its
own folder: `<id>/images.zip` (the labelled images, in a reproducible zip) and `<id>/labels.csv` (file, label),
both pinned by SHA-256, and is prepared by the declarative split with `images:` (see `runner.preparation`).
"""

from __future__ import annotations

import hashlib
import time
import zipfile
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from ._design import GENERATOR_VERSION, TASK_VERSION, TaskDesign, slugify
from ._generate import DatasetRecord, GenerationReport, _read_log, _write_log, keep_if_verified, rejecter
from ._profile import MAX_CLASSES, MIN_ROWS_PER_CLASS
from ._propose import MIN_TEST_ROWS

if TYPE_CHECKING:
    import pandas as pd

IMAGE_GENERATOR_NAME = "image-folder"
LABEL_NAMES = ("label", "labels", "class", "target", "category", "y")
"""Column names taken as the label when the table has several candidates and `--target` is not given."""
TEST_SIZE = 0.25
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so the same images always make the same bytes


class ImageFolderError(ValueError):
    """The folder is not a set of labelled images; the message says what is missing."""


def is_image_folder(path: Path) -> bool:
    """A folder that holds image files (a labels table beside them is checked later)."""
    from runner.preparation import IMAGE_SUFFIXES

    return path.is_dir() and any(
        item.is_file() and item.suffix.lower() in IMAGE_SUFFIXES and not _hidden(item, path) for item in path.rglob("*")
    )


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _labels_table(folder: Path) -> tuple[Path, pd.DataFrame]:
    from runner.datasets import DatasetError, file_references, load_dataset

    try:
        references = file_references([folder])
    except DatasetError:
        raise ImageFolderError(
            f"{folder}: no labels table; add a CSV with a column naming each image file and a label column"
        ) from None
    if len(references) != 1:
        names = ", ".join(reference.rsplit("/", 1)[-1] for reference in references)
        raise ImageFolderError(f"{folder}: {len(references)} tables ({names}); keep one labels table in the folder")
    try:
        return Path(references[0].partition(":")[2]), load_dataset(references[0])
    except DatasetError as error:
        raise ImageFolderError(str(error)) from None


def _readme(folder: Path) -> str:
    """The folder's README (`README.md` or `README.txt`), which says where the images come from; empty if none."""
    for name in ("README.md", "README.txt", "README"):
        path = folder / name
        if path.is_file():
            return path.read_text(encoding="utf-8", errors="replace").strip()[:3000]
    return ""


def _file_column(folder: Path, table: pd.DataFrame, suffixes: tuple[str, ...] | None = None) -> str:
    """The column whose every value is an image file (or a file with one of `suffixes`) of the folder, by its path
    relative to the folder."""
    from runner.preparation import IMAGE_SUFFIXES

    wanted = suffixes or IMAGE_SUFFIXES
    present = {path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.suffix.lower() in wanted}
    best, best_hits = None, 0
    for column in table.columns:
        values = table[column].dropna().astype(str).map(lambda value: PurePosixPath(value).as_posix())
        hits = int(values.isin(present).sum())
        if hits > best_hits:
            best, best_hits = str(column), hits
    if best is None:
        raise ImageFolderError(
            f"{folder}: no column of the labels table names the {'images' if suffixes is None else 'files'} (paths "
            "relative to the folder, e.g. "
            f"{sorted(present)[0]!r})"
        )
    missing = table[best].isna() | ~table[best].astype(str).isin(present)
    if missing.any():
        raise ImageFolderError(
            f"{folder}: {int(missing.sum())} row(s) of column {best!r} name no "
            f"{'image' if suffixes is None else 'file'} of the folder, e.g. "
            f"{table.loc[missing, best].iloc[0]!r}; fix those rows or remove them"
        )
    return best


def _label_column(table: pd.DataFrame, file_column: str, target: str | None) -> str:
    others = [str(column) for column in table.columns if column != file_column]
    if target is not None:
        if target not in others:
            raise ImageFolderError(f"no label column {target!r} in the labels table (columns: {', '.join(others)})")
        return target
    if len(others) == 1:
        return others[0]
    named = [column for column in others if column.lower() in LABEL_NAMES]
    if len(named) == 1:
        return named[0]
    raise ImageFolderError(
        f"the labels table has several columns besides {file_column!r} ({', '.join(others)}); name the label with "
        "--target"
    )


def _check_classes(labels: pd.Series[Any]) -> None:
    counts = labels.value_counts()
    if len(counts) < 2:
        raise ImageFolderError("the labels table has a single label; a classification task needs two or more")
    if len(counts) > MAX_CLASSES:
        raise ImageFolderError(f"{len(counts)} labels, more than the {MAX_CLASSES} a generated task may have")
    rare = counts[counts < MIN_ROWS_PER_CLASS]
    if len(rare):
        raise ImageFolderError(
            f"label(s) {', '.join(map(str, rare.index[:5]))} have fewer than {MIN_ROWS_PER_CLASS} images each"
        )
    if len(labels) * TEST_SIZE < MIN_TEST_ROWS:
        raise ImageFolderError(
            f"{len(labels)} labelled images; a task needs at least {int(MIN_TEST_ROWS / TEST_SIZE)} so that "
            f"{MIN_TEST_ROWS} can be held out for testing"
        )


def _write_zip(folder: Path, names: list[str], path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name in sorted(set(names)):
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, (folder / name).read_bytes(), compresslevel=9)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _description(title: str, target: str, counts: pd.Series[Any], about: str) -> str:
    classes = ", ".join(f"`{label}` ({count})" for label, count in counts.items())
    return (
        f"# {title}\n\n"
        f"Classify images: predict the label `{target}` of each test image.\n\n"
        f"{about + chr(10) + chr(10) if about else ''}"
        f"The labels and their image counts: {classes}. The test set is a stratified {TEST_SIZE:.0%} of the "
        "images.\n\n"
        "## Files\n\n"
        "- `train/<id>.png`: the training images, as PNG files named by their id.\n"
        "- `test/<id>.png`: the test images, the same way.\n"
        f"- `train.csv`: `id,{target}`, one row per training image: its id (its file name) and its label.\n"
        "- `test.csv`: `id`, one row per test image.\n"
        "- `sample_submission.csv`: a valid submission that gives every image the commonest label.\n\n"
        "File names are random ids: they say nothing about the label. Images were re-encoded as PNG without "
        "metadata.\n\n"
        "## Submission\n\n"
        f"A CSV with the header `id,{target}` and one row per test id, holding the predicted label.\n\n"
        "## Metric\n\n"
        "`accuracy` (higher is better): the share of test images labelled correctly.\n"
    )


SOLUTION = '''"""Reference solution: grey pixels at a common size, standardised, and a logistic regression."""

import os
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

TARGET = {target!r}
data = Path(os.environ["BENCHSMITH_DATA"])
train = pd.read_csv(data / "train.csv")
test = pd.read_csv(data / "test.csv")


def pixels(folder, ids, size):
    rows = []
    for identifier in ids:
        with Image.open(folder / f"{{identifier}}.png") as image:
            grey = image.convert("L")
            if grey.size != size:
                grey = grey.resize(size, Image.Resampling.BILINEAR)
            rows.append(np.asarray(grey, dtype=np.float32).ravel() / 255.0)
    return np.stack(rows)


with Image.open(data / "train" / f"{{train['id'].iloc[0]}}.png") as first:
    size = first.size if max(first.size) <= 32 else (32, 32)
model = make_pipeline(StandardScaler(), LogisticRegression(C=0.05, max_iter=2000, random_state=0))
model.fit(pixels(data / "train", train["id"], size), train[TARGET].astype(str))
predicted = model.predict(pixels(data / "test", test["id"], size))

submission = pd.DataFrame({{"id": test["id"], TARGET: predicted}})
submission.to_csv(os.environ["BENCHSMITH_SUBMISSION"], index=False)
'''


def design_image_folder(
    folder: Path, out: Path, target: str | None = None, *, task_name: str | None = None, about: str = ""
) -> TaskDesign:
    """Write the task's data files into `out/<id>/` and return its design (manifest, description, solution).

    `task_name` names the task (default: the folder's name); `about` says where the images come from (default: the
    folder's README).
    Raises `ImageFolderError` when the folder is not a usable set of labelled images.
    """
    import pandas as pd

    from runner.preparation import write_csv

    _, table = _labels_table(folder)
    about = about or _readme(folder)
    file_column = _file_column(folder, table)
    label = _label_column(table, file_column, target)
    table = table[table[label].notna()]
    _check_classes(table[label])
    identifier = slugify(f"{task_name or folder.name}-{label}")
    data = out / identifier
    data.mkdir(parents=True, exist_ok=True)
    names = [PurePosixPath(str(value)).as_posix() for value in table[file_column]]
    labels = pd.DataFrame({"file": names, label: table[label].to_numpy()}) if label != "file" else None
    if labels is None:
        raise ImageFolderError("the label column may not be called `file`; rename it")
    _write_zip(folder, names, data / "images.zip")
    write_csv(labels, data / "labels.csv")
    counts = labels[label].astype(str).value_counts().sort_index()
    problem = "binary" if len(counts) == 2 else "multiclass"
    title = f"{task_name or folder.name} — classify {len(labels):,} images by {label} ({problem})"[:200]
    archive_sha = _sha256(data / "images.zip")
    manifest: dict[str, Any] = {
        "schema_version": 1,
        "id": identifier,
        "version": TASK_VERSION,
        "kind": "competition",
        "title": title,
        "description": f"{identifier}/description.md",
        "tags": {
            "modality": "image",
            "problem": problem,
            "domain": "computer-vision",
            "keywords": ["generated", "image-folder"],
        },
        "license": "your own data; its owner's terms apply",
        "sources": [
            {"name": "labels", "file": f"{identifier}/labels.csv", "sha256": _sha256(data / "labels.csv")},
            {"name": "images", "file": f"{identifier}/images.zip", "sha256": archive_sha},
        ],
        "prepare": {
            "split": {
                "method": "stratified",
                "target": label,
                "test_size": TEST_SIZE,
                "seed": 0,
                "source": "labels",
                "images": {"archive": "images", "file_column": "file"},
            }
        },
        "submission": {"id_column": "id", "columns": [label]},
        "metric": {"name": "accuracy", "higher_is_better": True},
        "baselines": {"reference": {"script": f"{identifier}/solution.py", "tolerance": 1e-9}},
        "environment": {"python": "3.11", "packages": ["pandas", "numpy", "pillow", "scikit-learn"]},
        "resources": {"cpus": 2, "memory_gb": 2, "time_limit": "15m"},
        "provenance": {
            "origin": "generated",
            "by": "benchsmith generators (image folder)",
            "generator": {"name": IMAGE_GENERATOR_NAME, "version": GENERATOR_VERSION, "raw_sha256": archive_sha},
        },
    }
    return TaskDesign(
        id=identifier,
        manifest=manifest,
        description=_description(title, label, counts, about),
        solution=SOLUTION.format(target=label),
    )


def _process_folder(folder: Path, reference: str, out: Path, cache_root: Path | None, target: str | None,
                    report: GenerationReport) -> DatasetRecord:  # fmt: skip
    record = DatasetRecord()
    reject = rejecter(report, record, reference)
    try:
        task = design_image_folder(folder, out, target)
    except ImageFolderError as error:
        reject("profile", "images.unusable", str(error))
        return record
    report.profiled += 1
    report.proposed += 1
    report.designed += 1
    record.sha256 = task.manifest["provenance"]["generator"]["raw_sha256"]
    keep_if_verified(task, out, cache_root, record, report, reject)
    return record


def generate_image_folders(
    folders: list[Path], out: Path, cache_root: Path | None = None, target: str | None = None
) -> GenerationReport:
    """One validated image classification task per folder into `out` (see the module doc); rejections are logged
    in `out/generation-log.json` under `images:<folder>` like the table generator's."""
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    log = _read_log(out)
    report = GenerationReport(datasets=len(folders))
    for folder in folders:
        reference = f"images:{folder.resolve().as_posix()}"
        begun = time.perf_counter()
        log.datasets[reference] = _process_folder(folder, reference, out, cache_root, target, report)
        log.seconds += time.perf_counter() - begun
        _write_log(out, log)
    report.seconds = time.perf_counter() - started
    return report


def merge_reports(first: GenerationReport, second: GenerationReport) -> GenerationReport:
    """One report for two runs into the same folder (image folders, then tables)."""
    rejected = dict(first.rejected)
    for code, count in second.rejected.items():
        rejected[code] = rejected.get(code, 0) + count
    return GenerationReport(
        datasets=first.datasets + second.datasets,
        skipped=first.skipped + second.skipped,
        profiled=first.profiled + second.profiled,
        proposed=first.proposed + second.proposed,
        designed=first.designed + second.designed,
        accepted=first.accepted + second.accepted,
        rejected=rejected,
        accepted_ids=[*first.accepted_ids, *second.accepted_ids],
        rejections=[*first.rejections, *second.rejections],
        seconds=first.seconds + second.seconds,
    )
