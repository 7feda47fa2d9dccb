"""Image tasks: the `images:` split's model, its prepared layout from a packaged set, and the leaderboard's pixels."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image
from pydantic import ValidationError

from runner.preparation import PreparationError, image_folders, prepare_task, with_image_pixels
from spec import ImageFiles, load_task
from tests.conftest import REPO

CURATED = REPO / "tasks" / "curated" / "digits-images.yaml"


def test_images_need_one_complete_origin() -> None:
    assert ImageFiles(pixels="pixel_", shape=(8, 8), max_value=16).archive is None
    assert ImageFiles(archive="images", file_column="file").pixels is None
    for bad in ({}, {"pixels": "pixel_"}, {"archive": "images"}, {"pixels": "p", "shape": (2, 2), "max_value": 1,
                                                                   "archive": "a", "file_column": "f"}):  # fmt: skip
        with pytest.raises(ValidationError, match=r"images need|pixel images need|archive images need"):
            ImageFiles.model_validate(bad)


def test_the_curated_digits_prepare_into_png_files_that_the_leaderboard_reads_as_pixels(tmp_path: Path) -> None:
    prepared = prepare_task(load_task(CURATED), cache_root=tmp_path)
    folders = image_folders(prepared.public)
    assert folders is not None
    train = pd.read_csv(prepared.public / "train.csv")
    test = pd.read_csv(prepared.public / "test.csv")
    assert list(train.columns) == ["id", "target"] and list(test.columns) == ["id"]
    assert len(list(folders[0].iterdir())) == len(train) and len(list(folders[1].iterdir())) == len(test)
    assert len(train) + len(test) == 1797
    with Image.open(folders[0] / f"{train['id'].iloc[0]}.png") as image:
        assert image.size == (8, 8) and image.mode == "L"
    with_pixels, test_pixels = with_image_pixels(prepared.public, train, test, "id")
    assert with_pixels.shape == (len(train), 2 + 64) and test_pixels.shape == (len(test), 1 + 64)
    assert with_pixels["pixel_0"].min() >= 0.0 and with_pixels.filter(like="pixel_").to_numpy().max() <= 1.0


def test_a_labels_table_naming_an_image_the_archive_lacks_fails_preparation_saying_which(tmp_path: Path) -> None:
    task = tmp_path / "task"
    (task / "t").mkdir(parents=True)
    with zipfile.ZipFile(task / "t" / "images.zip", "w") as archive:
        archive.writestr("a.png", b"not used")
    rows = "file,label\n" + "".join(f"img{index}.png,{index % 2}\n" for index in range(200))
    (task / "t" / "labels.csv").write_text(rows, encoding="utf-8")
    import hashlib

    def sha(name: str) -> str:
        return hashlib.sha256((task / "t" / name).read_bytes()).hexdigest()

    (task / "t.yaml").write_text(
        f"""schema_version: 1
id: t
version: 1.0.0
kind: competition
title: An image task whose archive lacks its images
description: t/description.md
tags: {{modality: image, problem: binary, domain: test}}
license: CC0-1.0
sources:
  - {{name: labels, file: t/labels.csv, sha256: {sha("labels.csv")}}}
  - {{name: images, file: t/images.zip, sha256: {sha("images.zip")}}}
prepare:
  split: {{method: stratified, target: label, source: labels, images: {{archive: images, file_column: file}}}}
submission: {{id_column: id, columns: [label]}}
metric: {{name: accuracy, higher_is_better: true}}
provenance: {{origin: hand-written, by: tests}}
""",
        encoding="utf-8",
    )
    (task / "t" / "description.md").write_text("# t\n", encoding="utf-8")
    with pytest.raises(PreparationError, match=r"names 'img\d+\.png', which is not in the image archive"):
        prepare_task(load_task(task / "t.yaml"), cache_root=tmp_path / "cache")


def test_leaderboard_solvers_learn_from_the_images(tmp_path: Path) -> None:
    from runner.leaderboards import SOLVERS, build_leaderboard

    names = {"dummy-most_frequent", "logreg-C1"}
    ladder = [solver for solver in SOLVERS["classification"] if solver.name in names]
    board = build_leaderboard(load_task(CURATED), cache_root=tmp_path, solvers=ladder, min_entries=2)
    scores = dict(zip(board["team"], board["score"], strict=True))
    assert scores["logreg-C1"] > 0.9 > 0.2 > scores["dummy-most_frequent"]
