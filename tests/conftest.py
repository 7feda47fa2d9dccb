"""Shared fixtures: a private copy of the curated catalogue that tests may break at will."""

from __future__ import annotations

import os
import shutil
import sys
import tarfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# A frozen copy of the first curated tasks: tests assert exact lines and fields, so they must not follow the live
# catalogue as it grows. Tests about the live catalogue use REPO / "tasks" explicitly.
RUNNER = [sys.executable, "-c", "from runner.cli import main; main()"]
"""The `runner` console script run by this interpreter (the test environment's), for CLI tests in subprocesses."""
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "tasks"
CURATED = FIXTURES / "curated"
PENGUINS = CURATED / "penguins-species.yaml"


@pytest.fixture
def catalogue(tmp_path: Path) -> Path:
    """A copy of the fixture catalogue (tests/fixtures/tasks/curated/) in a temporary folder."""
    root = tmp_path / "tasks"
    shutil.copytree(CURATED, root / "curated", ignore=shutil.ignore_patterns("__pycache__"))
    return root


def replace_in(path: Path, old: str, new: str) -> None:
    """Edit a file in place; fails loudly when `old` is absent so a test can't silently test nothing."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, needle: str, occurrence: int = 1) -> int:
    """1-based line of the n-th line containing `needle`."""
    hits = [number for number, line in enumerate(path.read_text().splitlines(), start=1) if needle in line]
    return hits[occurrence - 1]


def require(missing: str | None, install: str) -> None:
    """Skip a test whose component is `missing` — except under CI=true, where a missing component fails it."""
    if missing is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{missing} in CI: {install}")
    pytest.skip(missing)


def require_bwrap() -> None:
    """The local backend's isolation: bubblewrap."""
    require(
        None if shutil.which("bwrap") else "bubblewrap is not installed",
        ".ci/run must install it (apt-get install bubblewrap)",
    )


UPSTREAM = REPO.parent / "shared" / "upstream"
"""Snapshots of the upstream benchmarks (read-only test inputs; see its README)."""


def upstream_checkout(name: str, into: Path) -> Path:
    """Extract `../shared/upstream/<name>.tar.gz` into `into` and return its top folder (the checkout)."""
    tarball = UPSTREAM / f"{name}.tar.gz"
    require(
        None if tarball.is_file() else f"no upstream snapshot {tarball}",
        "provide ../shared/upstream/ with the benchmark snapshots (see its README)",
    )
    with tarfile.open(tarball) as archive:
        archive.extractall(into, filter="data")
    return into / name
