"""A large catalogue's static checks are shared out over forked workers: the report is the one a single process
gives, and a worker that fails only costs its share's speed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from spec import Problem
from tests.conftest import FIXTURES
from validators import _parallel, validate_paths


@pytest.fixture
def catalogue(tmp_path: Path) -> Path:
    root = Path(shutil.copytree(FIXTURES, tmp_path / "tasks"))
    (root / "curated" / "broken.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    return root


@pytest.fixture
def two_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_parallel, "MIN_TASKS", 2)
    monkeypatch.setattr("os.sched_getaffinity", lambda _: {0, 1}, raising=False)
    monkeypatch.setattr("threading.active_count", lambda: 1)
    monkeypatch.setattr("os.getloadavg", lambda: (0.0, 0.0, 0.0))


def test_the_shared_out_report_is_the_single_process_one(
    catalogue: Path, two_cores: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    tasks = len(list(catalogue.rglob("*.yaml")))
    assert _parallel._workers(tasks) >= 1
    monkeypatch.setenv("MARKS", str(tmp_path))
    monkeypatch.setattr(_parallel, "_check_share", _recorded_share)
    shared_out = validate_paths([catalogue])
    monkeypatch.setattr(_parallel, "MIN_TASKS", 10**9)
    alone = validate_paths([catalogue])
    assert shared_out.model_dump() == alone.model_dump()
    assert not alone.ok and any(task.path.endswith("broken.yaml") for task in alone.tasks if not task.ok)
    workers = {path.name for path in tmp_path.glob("worker-*")}
    assert workers and f"worker-{os.getpid()}" not in workers  # shares ran in forked processes


def _recorded_share(start: int, stop: int) -> list[list[Problem]]:
    """A worker's share, leaving its process id behind (a function of this module: workers are handed it by name)."""
    (Path(os.environ["MARKS"]) / f"worker-{os.getpid()}").touch()
    return _SHARE(start, stop)


_SHARE = _parallel._check_share


def _dies(start: int, stop: int) -> list[object]:
    os._exit(3)  # as a worker killed mid-share


def test_a_failed_worker_share_is_checked_here(
    catalogue: Path, two_cores: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_parallel, "MIN_TASKS", 10**9)
    alone = validate_paths([catalogue])
    monkeypatch.setattr(_parallel, "MIN_TASKS", 2)
    monkeypatch.setattr(_parallel, "_check_share", _dies)
    assert validate_paths([catalogue]).model_dump() == alone.model_dump()


def test_no_worker_for_small_catalogues_busy_machines_or_beside_other_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.sched_getaffinity", lambda _: set(range(16)), raising=False)
    monkeypatch.setattr("os.getloadavg", lambda: (0.5, 0.0, 0.0))
    # The process alone, whatever threads earlier tests in this pytest worker left running.
    monkeypatch.setattr("threading.active_count", lambda: 1)
    assert _parallel._workers(_parallel.MIN_TASKS - 1) == 0
    assert 1 <= _parallel._workers(1000) <= 7
    monkeypatch.setattr("os.getloadavg", lambda: (14.2, 0.0, 0.0))
    assert _parallel._workers(1000) == 1  # one core idle
    monkeypatch.setattr("os.getloadavg", lambda: (16.0, 0.0, 0.0))
    assert _parallel._workers(1000) == 0
    monkeypatch.setattr("os.getloadavg", lambda: (0.5, 0.0, 0.0))
    monkeypatch.setattr("threading.active_count", lambda: 2)
    assert _parallel._workers(1000) == 0
