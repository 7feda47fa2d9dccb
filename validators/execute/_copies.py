"""What the image and audio leak checks share: exact copies by SHA-256, the found leaks, and their problems."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from spec import LoadedTask, Problem

MAX_LEAK_SHARE = 0.01
"""Copies in more than this share of test files are an error; fewer are a warning (real sets hold a few)."""


@dataclass(frozen=True)
class FileLeaks:
    """Test files with a copy among the training files: `identical` by bytes, `near` by content (not identical)."""

    tests: int
    identical: list[tuple[Path, Path]]
    near: list[tuple[Path, Path, float]]


def split_identical(train: Sequence[Path], test: Sequence[Path]) -> tuple[list[tuple[Path, Path]], list[Path]]:
    """The test files whose bytes equal a training file's (with that file), and the other test files."""
    by_hash = {hashlib.sha256(path.read_bytes()).hexdigest(): path for path in train}
    identical = []
    rest = []
    for path in test:
        twin = by_hash.get(hashlib.sha256(path.read_bytes()).hexdigest())
        if twin is not None:
            identical.append((path, twin))
        else:
            rest.append(path)
    return identical, rest


def _examples(pairs: Sequence[tuple[Path, Path]] | Sequence[tuple[Path, Path, float]]) -> str:
    shown = ", ".join(f"test/{pair[0].name} = train/{pair[1].name}" for pair in pairs[:3])
    return shown + (f" and {len(pairs) - 3} more" if len(pairs) > 3 else "")


def copy_problems(task: LoadedTask, leaks: FileLeaks, prefix: str, noun: str, near: str) -> Iterator[Problem]:
    """`<prefix>.identical` and `<prefix>.near-duplicate` for the copies among the test `noun`s (e.g. "images"),
    each an error above `MAX_LEAK_SHARE` of them; `near` says what a near copy is."""
    for code, pairs, what in (
        (f"{prefix}.identical", leaks.identical, f"are byte-for-byte copies of training {noun}"),
        (f"{prefix}.near-duplicate", leaks.near, f"are near copies of training {noun} ({near})"),
    ):
        if not pairs:
            continue
        share = len(pairs) / max(leaks.tests, 1)
        yield task.problem(
            code,
            f"{len(pairs)} of {leaks.tests} test {noun} ({share:.1%}) {what}: {_examples(pairs)}; remove duplicate "
            f"{noun} from the source, or split so that copies stay on one side (a group split)",
            ("prepare", "split"),
            severity="error" if share > MAX_LEAK_SHARE else "warning",
        )
