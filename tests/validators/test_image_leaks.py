"""The image leak check: a leaky, a clean and a borderline case, on the pixels and through a prepared task."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits

from generators import design_image_folder, write_task
from runner.datasets import export_image_folder
from runner.preparation import pixel_png
from spec import Problem, load_task
from validators import CheckContext, task_checks
from validators.execute._image_leaks import MAX_LEAK_SHARE, NEAR_COSINE, find_image_leaks


def _write(folder: Path, images: np.ndarray) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, values in enumerate(images):
        path = folder / f"{index}.png"
        path.write_bytes(pixel_png(values, (8, 8), 16.0))
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    data: np.ndarray = load_digits().data
    return data


def test_distinct_real_digits_are_clean_even_the_most_alike(tmp_path: Path, digits: np.ndarray) -> None:
    train = _write(tmp_path / "train", digits[:1300])
    test = _write(tmp_path / "test", digits[1300:])
    leaks = find_image_leaks(train, test)
    assert leaks.tests == len(digits) - 1300
    assert leaks.identical == [] and leaks.near == []


def test_copies_are_found_by_bytes_and_retouched_copies_by_pixels(tmp_path: Path, digits: np.ndarray) -> None:
    rng = np.random.default_rng(0)
    train = _write(tmp_path / "train", digits[:300])
    copies = digits[:20]
    noisy = np.clip(digits[20:40] + rng.normal(0, 0.4, (20, 64)), 0, 16)  # a little sensor noise
    brighter = np.clip(digits[40:60] * 0.8 + 2, 0, 16)  # another exposure of the same picture
    test = _write(tmp_path / "test", np.vstack([copies, noisy, brighter, digits[300:400]]))
    leaks = find_image_leaks(train, test)
    assert sorted(int(pair[0].stem) for pair in leaks.identical) == list(range(20))
    near = {int(pair[0].stem): int(pair[1].stem) for pair in leaks.near}
    assert near == {index: index for index in range(20, 60)}, "each retouched copy pairs with its original"
    assert all(similarity >= NEAR_COSINE for *_, similarity in leaks.near)


def test_borderline_a_shifted_digit_is_another_picture(tmp_path: Path, digits: np.ndarray) -> None:
    """A digit moved by one pixel is the same drawing but not a copy: below the threshold, not reported."""
    train = _write(tmp_path / "train", digits[:50])
    shifted = np.roll(digits[:50].reshape(50, 8, 8), 1, axis=2).reshape(50, 64)
    leaks = find_image_leaks(train, _write(tmp_path / "test", shifted))
    assert leaks.identical == [] and leaks.near == []


def _leak_problems(manifest: Path, cache: Path) -> list[Problem]:
    [check] = [check for check in task_checks("execute") if check.name == "image-leaks"]
    return list(check.run(load_task(manifest), CheckContext(cache_root=cache)))


def _task_from(folder: Path, out: Path) -> Path:
    return write_task(design_image_folder(folder, out), out)


def test_a_task_whose_images_repeat_across_the_split_is_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "digits"
    export_image_folder("sklearn:digits", folder, classes=(3, 5, 8))
    labels = (folder / "labels.csv").read_text(encoding="utf-8").splitlines()
    # Every fifth image is in the set twice, under another name: a typical scraped-data duplicate.
    extra = []
    for index, line in enumerate(labels[1::5]):
        name, label = line.split(",")
        shutil.copyfile(folder / name, folder / f"images/copy{index}.png")
        extra.append(f"images/copy{index}.png,{label}")
    (folder / "labels.csv").write_text("\n".join([*labels, *extra]) + "\n", encoding="utf-8")
    problems = _leak_problems(_task_from(folder, tmp_path / "tasks"), tmp_path / "cache")
    assert [(p.code, p.severity) for p in problems] == [("image-leak.identical", "error")]
    assert "test images" in problems[0].message and "= train/" in problems[0].message


def test_a_clean_image_task_has_no_leak_and_a_few_copies_are_a_warning(tmp_path: Path) -> None:
    folder = tmp_path / "digits"
    export_image_folder("sklearn:digits", folder)
    assert _leak_problems(_task_from(folder, tmp_path / "clean"), tmp_path / "cache") == []
    # Borderline: three images twice among 1,800: whatever crosses the split is under 1% of the test images.
    labels = (folder / "labels.csv").read_text(encoding="utf-8").splitlines()
    extra = []
    for index, line in enumerate(labels[1:4]):
        name, label = line.split(",")
        shutil.copyfile(folder / name, folder / f"images/copy{index}.png")
        extra.append(f"images/copy{index}.png,{label}")
    (folder / "labels.csv").write_text("\n".join([*labels, *extra]) + "\n", encoding="utf-8")
    problems = _leak_problems(_task_from(folder, tmp_path / "borderline"), tmp_path / "cache")
    assert problems, "the seeded split puts at least one copy on the other side"
    assert {(p.code, p.severity) for p in problems} == {("image-leak.identical", "warning")}
    assert MAX_LEAK_SHARE == 0.01
