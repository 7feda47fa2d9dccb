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
