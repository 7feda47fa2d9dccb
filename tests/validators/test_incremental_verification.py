"""Checks added after a task was verified run alone: the record still vouches for the checks it lists."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from tests.validators.test_execute_checks import execute, make_task
from validators import VERIFICATION_FILE, VerificationRecord, record_verification
from validators import _registry as registry
from validators._verification import execution_check_names

ADDED = ("shortcuts", "target-sanity")


def _count_runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    ran: list[str] = []
    checks = registry._TASK_CHECKS.copy()
    monkeypatch.setattr(registry, "_TASK_CHECKS", checks)
    for check in checks.entries():
        if check.layer != "execute":
            continue

        def counted(task, context, _check=check):  # type: ignore[no-untyped-def]
            ran.append(_check.name)
            return _check.run(task, context)

        checks.replace(check.name, dataclasses.replace(check, run=counted))
    return ran


def _forget(record_file: Path, names: tuple[str, ...], digest: str | None = None) -> None:
    """Make the record look written before `names` existed (and, with `digest`, for other bytes)."""
    data = json.loads(record_file.read_text())
    entry = data["tasks"]["wine-test"]
    entry["checks"] = [name for name in entry["checks"] if name not in names]
    if digest is not None:
        entry["task_digest"] = digest
    record_file.write_text(json.dumps(data))


def test_only_the_added_checks_run_and_are_recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    manifest = make_task(tmp_path)
    first = execute(manifest, tmp_path / "cache")
    assert first.ok, first.model_dump_json(indent=1)
    record_verification(first, cache_root=tmp_path / "cache")
    record_file = manifest.parent / VERIFICATION_FILE
    _forget(record_file, ADDED)

    ran = _count_runs(monkeypatch)
    second = execute(manifest, tmp_path / "fresh-cache")
    assert sorted(ran) == sorted(ADDED), "only the checks the record does not list run"
    assert second == first, "recorded and fresh problems together give the same verdict"

    record_verification(second, cache_root=tmp_path / "fresh-cache")
    entry = VerificationRecord.model_validate_json(record_file.read_text()).tasks["wine-test"]
    assert entry.checks == execution_check_names()
    ran.clear()
    execute(manifest, tmp_path / "third-cache")
    assert ran == [], "the refreshed record covers every check"


def test_a_changed_digest_still_runs_every_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    manifest = make_task(tmp_path)
    record_verification(execute(manifest, tmp_path / "cache"), cache_root=tmp_path / "cache")
    _forget(manifest.parent / VERIFICATION_FILE, ADDED, digest="0" * 64)
    ran = _count_runs(monkeypatch)
    execute(manifest, tmp_path / "fresh-cache")
    assert sorted(ran) == sorted(execution_check_names())


def test_a_record_listing_a_removed_check_is_not_trusted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    manifest = make_task(tmp_path)
    record_verification(execute(manifest, tmp_path / "cache"), cache_root=tmp_path / "cache")
    record_file = manifest.parent / VERIFICATION_FILE
    data = json.loads(record_file.read_text())
    data["tasks"]["wine-test"]["checks"].append("a-check-since-removed")
    record_file.write_text(json.dumps(data))
    ran = _count_runs(monkeypatch)
    execute(manifest, tmp_path / "fresh-cache")
    assert sorted(ran) == sorted(execution_check_names())


def test_a_record_listing_the_checks_in_another_order_is_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Registration order is an accident of imports: a record of the same checks in another order still vouches."""
    manifest = make_task(tmp_path)
    record_verification(execute(manifest, tmp_path / "cache"), cache_root=tmp_path / "cache")
    record_file = manifest.parent / VERIFICATION_FILE
    data = json.loads(record_file.read_text())
    data["tasks"]["wine-test"]["checks"].reverse()
    record_file.write_text(json.dumps(data))
    ran = _count_runs(monkeypatch)
    execute(manifest, tmp_path / "fresh-cache")
    assert ran == []


def test_a_cache_filled_elsewhere_with_fewer_checks_runs_only_the_new_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A generator worker validated the same bytes in its own folder before checks were added: merged into the
    catalogue, the task runs only the added checks, its problems named in the catalogue's folder."""
    import shutil

    from validators._records import ExecutionRecords

    worker = make_task(tmp_path / "worker")
    cache = tmp_path / "cache"
    first = execute(worker, cache)
    assert first.ok, first.model_dump_json(indent=1)
    names = execution_check_names()
    records = ExecutionRecords(cache)
    digest = json.loads(next(records.folder.glob("*.json")).read_text())["digest"]
    problems = records.get(digest, names)
    assert problems is not None
    older = [name for name in names if name not in ADDED]
    records.put(digest, older, [p for p in problems if p.code.split(".")[0] not in {"shortcut", "target"}])

    catalogue = tmp_path / "catalogue" / "tasks" / "curated"
    shutil.copytree(worker.parent, catalogue)
    merged = catalogue / worker.name
    ran = _count_runs(monkeypatch)
    second = execute(merged, cache)
    assert sorted(ran) == sorted(ADDED), "the cache vouches for the checks it lists"
    assert second.ok
    assert [p.code for t in second.tasks for p in t.problems] == [p.code for t in first.tasks for p in t.problems]
    assert all(str(tmp_path / "worker") not in (p.file or "") for t in second.tasks for p in t.problems)
    assert records.get(digest, names) is not None, "the fuller verdict is cached for the next run"
    ran.clear()
    execute(merged, cache)
    assert ran == []
