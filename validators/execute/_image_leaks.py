"""No test image is a copy of a training image: neither the same file nor the same picture re-encoded or retouched.

A copy across the split lets an agent look the answer up instead of learning it. Exact copies are found by the
files' SHA-256; near copies by the cosine similarity of the images' grey pixels at a common 16x16 size, centred
(so a brightness shift does not hide a copy). The threshold, 0.995, sits above nearly all pairs of distinct images
in the packaged sets and below a copy with a little pixel noise (≥ 0.997); the exceptions are pictures with almost
no shape (two plain vertical strokes among the 8x8 digits reach 0.996), which is why a few copies are only a warning.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from spec import LoadedTask, Problem

from .._registry import CheckContext, task_check
from ._copies import MAX_LEAK_SHARE, FileLeaks, copy_problems, split_identical

NEAR_COSINE = 0.995
"""Centred 16x16 grey images at least this similar are the same picture."""
_SIDE = 16
_CHUNK = 1024


ImageLeaks = FileLeaks
"""Test images with a copy among the training images."""


def _centred(paths: Sequence[Path]) -> NDArray[np.float64]:
    from runner.preparation import image_pixels

    pixels = image_pixels(paths, side=_SIDE).astype(np.float64)
    pixels -= pixels.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(pixels, axis=1, keepdims=True)
    # A flat image has no shape to compare; a zero vector matches nothing.
    centred: NDArray[np.float64] = np.divide(pixels, norms, out=np.zeros_like(pixels), where=norms > 1e-9)
    return centred


def find_image_leaks(train: Sequence[Path], test: Sequence[Path]) -> ImageLeaks:
    """The test images that repeat a training image, exactly or nearly (see the module doc)."""
    identical, rest = split_identical(train, test)
    near: list[tuple[Path, Path, float]] = []
    if rest and train:
        train_vectors = _centred(train)
        test_vectors = _centred(rest)
        for start in range(0, len(rest), _CHUNK):
            similarity = test_vectors[start : start + _CHUNK] @ train_vectors.T
            best = similarity.argmax(axis=1)
            for offset, column in enumerate(best):
                value = float(similarity[offset, column])
                if value >= NEAR_COSINE:
                    near.append((rest[start + offset], train[int(column)], value))
    return ImageLeaks(tests=len(test), identical=identical, near=near)


@task_check(
    "image-leaks",
    layer="execute",
    codes=("image-leak.identical", "image-leak.near-duplicate"),
    description="An image (or multimodal) task's test images are not copies of its training images: no equal file "
    f"(SHA-256) and no near copy (centred 16x16 grey pixels with cosine ≥ {NEAR_COSINE}); over "
    f"{MAX_LEAK_SHARE:.0%} of test images is an error, fewer a warning.",
)
def check_image_leaks(task: LoadedTask, context: CheckContext) -> Iterator[Problem]:
    from runner.preparation import PreparationError, image_folders

    from ._kit import kit_for

    if task.manifest is None or task.manifest.tags.modality not in ("image", "multimodal"):
        return  # other tasks are not prepared just to find no image folders
    kit = kit_for(task, context)
    if isinstance(kit, PreparationError):
        return
    folders = image_folders(kit.prepared.public)
    if folders is None:
        return  # not an image task
    from runner.preparation import IMAGE_SUFFIXES

    train, test = ([p for p in sorted(f.iterdir()) if p.suffix.lower() in IMAGE_SUFFIXES] for f in folders)
    leaks = find_image_leaks(train, test)
    yield from copy_problems(task, leaks, "image-leak", "images", f"cosine ≥ {NEAR_COSINE}")
