"""`runner generate FOLDER --no-llm` on a folder of images with a labels table, from real digit images."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from generators import ImageFolderError, design_image_folder, is_image_folder
from runner.datasets import DatasetError, export_image_folder
from spec import DeclarativePrepare, FileSource, load_task

REPO = Path(__file__).resolve().parents[2]


def _runner(*arguments: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "from runner.cli import main; main()", *arguments]
    return subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=600, check=False)


def test_a_folder_of_digit_images_becomes_a_task_that_passes_execution_validation(tmp_path: Path) -> None:
    folder = tmp_path / "handwriting"
    count = export_image_folder("sklearn:digits", folder, classes=(3, 5, 8), readme="Digits 3, 5 and 8.")
    assert count == 539 and is_image_folder(folder)
    out, cache = tmp_path / "tasks", tmp_path / "cache"
    made = _runner("generate", str(folder), "--no-llm", "--out", str(out), "--cache-dir", str(cache))
    assert made.returncode == 0, made.stdout + made.stderr
    assert "accepted 1" in made.stdout
    [manifest_path] = sorted(out.glob("*.yaml"))
    assert manifest_path.stem == "handwriting-label"
    manifest = load_task(manifest_path).manifest
    assert manifest is not None and manifest.tags.modality == "image" and manifest.tags.problem == "multiclass"
    assert isinstance(manifest.prepare, DeclarativePrepare) and manifest.prepare.split.images is not None
    assert all(isinstance(source, FileSource) for source in manifest.sources)
    with zipfile.ZipFile(out / "handwriting-label" / "images.zip") as archive:
        assert len(archive.namelist()) == 539
    assert "Digits 3, 5 and 8." in (out / "handwriting-label" / "description.md").read_text(encoding="utf-8")
    reference = manifest.baselines["reference"].score
    assert reference is not None and 0.8 < reference < 1.0
    # Accepted means `validate_paths(..., layers=("static", "execute"))` passed inside the generator: what
    # `runner validate --execute` runs; a second run here would only repeat it.


def test_the_prepared_layout_has_image_files_named_by_id_and_tables_of_ids(tmp_path: Path) -> None:
    from runner.preparation import prepare_task

    folder = tmp_path / "digits"
    export_image_folder("sklearn:digits", folder, classes=(0, 6), label_column="digit")
    task = design_image_folder(folder, tmp_path / "tasks")
    from generators import write_task

    prepared = prepare_task(load_task(write_task(task, tmp_path / "tasks")), cache_root=tmp_path / "cache")
    train = pd.read_csv(prepared.public / "train.csv")
    test = pd.read_csv(prepared.public / "test.csv")
    assert list(train.columns) == ["id", "digit"] and list(test.columns) == ["id"]
    assert sorted(p.stem for p in (prepared.public / "train").iterdir()) == sorted(map(str, train["id"]))
    assert sorted(p.stem for p in (prepared.public / "test").iterdir()) == sorted(map(str, test["id"]))
    assert len(train) + len(test) == 359
    answers = pd.read_csv(prepared.private / "answers.csv")
    assert list(answers.columns) == ["id", "digit"] and set(answers["id"]) == set(test["id"])


def test_unusable_folders_say_what_is_missing(tmp_path: Path) -> None:
    folder = tmp_path / "digits"
    export_image_folder("sklearn:digits", folder, classes=(3, 5, 8))
    (folder / "labels.csv").unlink()
    with pytest.raises(ImageFolderError, match="no labels table"):
        design_image_folder(folder, tmp_path / "out")
    pd.DataFrame({"file": ["images/00000.png", "images/nope.png"], "label": [1, 2]}).to_csv(
        folder / "labels.csv", index=False
    )
    with pytest.raises(ImageFolderError, match=re.escape("name no image of the folder, e.g. 'images/nope.png'")):
        design_image_folder(folder, tmp_path / "out")
    pd.DataFrame({"file": ["images/00000.png"] * 2, "a": [1, 2], "b": [1, 2]}).to_csv(
        folder / "labels.csv", index=False
    )
    with pytest.raises(ImageFolderError, match="--target"):
        design_image_folder(folder, tmp_path / "out")
    with pytest.raises(DatasetError, match="not a packaged image set"):
        export_image_folder("sklearn:iris", tmp_path / "iris")


def test_the_cli_reports_a_folder_without_labels_as_a_one_line_error(tmp_path: Path) -> None:
    folder = tmp_path / "unlabelled"
    export_image_folder("sklearn:digits", folder, classes=(3, 5, 8))
    (folder / "labels.csv").unlink()
    made = _runner("generate", str(folder), "--no-llm", "--out", str(tmp_path / "out"))
    assert made.returncode != 0
    assert "no labels table" in made.stdout + made.stderr and "Traceback" not in made.stderr
    llm = _runner("generate", str(folder), "--out", str(tmp_path / "out"))
    assert llm.returncode != 0 and "--no-llm only" in llm.stderr
