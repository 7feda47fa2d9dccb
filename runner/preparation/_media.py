"""What image and audio tasks share: the zip archive their files come from, the `public/train` and `public/test`
folders of files named by id, the tables written beside them, and feature columns computed from the files."""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from spec import AnyTask

from ._errors import PreparationError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    from numpy.typing import NDArray

TRAIN_FOLDER = "train"
TEST_FOLDER = "test"


class MediaArchive:
    """A zip of image or audio files, its members by normalised relative path."""

    def __init__(self, path: Path, noun: str, field: tuple[str | int, ...]) -> None:
        self.noun, self.field = noun, field
        try:
            self.zip = zipfile.ZipFile(path)
        except (OSError, zipfile.BadZipFile) as error:
            raise PreparationError(f"the {noun} archive {path.name} is not a readable zip: {error}", field) from None
        self.members = {
            PurePosixPath(info.filename).as_posix(): info for info in self.zip.infolist() if not info.is_dir()
        }

    def read(self, name: object) -> bytes:
        """The bytes of the member a labels table names (`\\` read as `/`)."""
        key = PurePosixPath(str(name).replace("\\", "/")).as_posix()
        info = self.members.get(key)
        if info is None:
            raise PreparationError(
                f"the labels table names {name!r}, which is not in the {self.noun} archive; fix the table or the "
                "archive",
                (*self.field, "file_column"),
            )
        return self.zip.read(info)


def write_split_tables(task: AnyTask, train: pd.DataFrame, test: pd.DataFrame, target: str, public: Path,
                       private: Path) -> None:  # fmt: skip
    """The tables beside the files: train (id, target), test (id), the answers and the sample submission, by id."""
    import pandas as pd

    from ._split import SAMPLE_FILE, TEST_FILE, TRAIN_FILE, sample_predictions, write_csv

    assert task.submission is not None
    id_column = task.submission.id_column
    train = train.sort_values(id_column, kind="stable")
    test = test.sort_values(id_column, kind="stable")
    write_csv(train[[id_column, target]], public / TRAIN_FILE)
    write_csv(test[[id_column]], public / TEST_FILE)
    write_csv(test[[id_column, target]], private / "answers.csv")
    sample = pd.DataFrame({id_column: test[id_column].to_numpy(), **sample_predictions(task, train[target], len(test))})
    write_csv(sample, public / SAMPLE_FILE)


def _has_suffix(path: Path, suffixes: Sequence[str]) -> bool:
    return path.is_file() and path.suffix.lower() in suffixes


def media_folders(public: Path, suffixes: Sequence[str]) -> tuple[Path, Path] | None:
    """`public/train` and `public/test` when both hold files with one of `suffixes`, else None."""
    folders = (public / TRAIN_FOLDER, public / TEST_FOLDER)
    if all(folder.is_dir() and any(_has_suffix(path, suffixes) for path in folder.iterdir()) for folder in folders):
        return folders
    return None


def media_paths(folder: Path, ids: Sequence[object], suffixes: Sequence[str], noun: str) -> list[Path]:
    """The file of each id in `folder` (`<id>.<suffix>`); PreparationError naming the first id without one."""
    by_stem = {path.stem: path for path in folder.iterdir() if _has_suffix(path, suffixes)}
    found = []
    for identifier in ids:
        path = by_stem.get(str(identifier))
        if path is None:
            raise PreparationError(f"{folder.name}/ has no {noun} for id {identifier!r}")
        found.append(path)
    return found


def with_file_features(
    public: Path,
    train: pd.DataFrame,
    test: pd.DataFrame,
    id_column: str,
    suffixes: Sequence[str],
    noun: str,
    features: Callable[[list[Path]], NDArray[np.floating]],
    prefix: str,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train and test with `<prefix><i>` columns computed by `features` from each row's file (for tabular
    solvers); the tables unchanged when `public` holds no such files."""
    import pandas as pd

    folders = media_folders(public, suffixes)
    if folders is None or id_column not in train.columns or id_column not in test.columns:
        return train, test
    paths = [
        *media_paths(folders[0], train[id_column].tolist(), suffixes, noun),
        *media_paths(folders[1], test[id_column].tolist(), suffixes, noun),
    ]
    block = features(paths)
    names = [f"{prefix}{index}" for index in range(block.shape[1])]
    frames = []
    for frame, rows in ((train, block[: len(train)]), (test, block[len(train) :])):
        extra = pd.DataFrame(rows, columns=names, index=frame.index)
        frames.append(pd.concat([frame, extra.drop(columns=[c for c in names if c in frame.columns])], axis=1))
    return frames[0], frames[1]
