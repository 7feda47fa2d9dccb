"""The verification record in the repository: a recorded digest is not executed again; any change is."""

from __future__ import annotations

import json
from pathlib import Path

from tests.validators.test_cli import run
from tests.validators.test_execute_checks import execute, make_task
from validators import VERIFICATION_FILE, VerificationRecord, record_verification


def executed(cache: Path) -> bool:
    """Whether a validation run prepared or ran anything: execution always leaves files in its cache."""
    return cache.exists() and any(cache.rglob("*"))


def test_recorded_digest_skips_execution_and_replays_the_verdict(tmp_path: Path) -> None:
    manifest = make_task(tmp_path)
    first = execute(manifest, tmp_path / "cache")
    assert first.ok, first.model_dump_json(indent=1)
    written = record_verification(first, cache_root=tmp_path / "cache")
    record_file = manifest.parent / VERIFICATION_FILE
    assert written == {record_file: 1}
    record = VerificationRecord.model_validate_json(record_file.read_text())
    entry = record.tasks["wine-test"]
    assert entry.checks and entry.validator_version
    assert str(tmp_path) not in record_file.read_text(), "the record must not hold this machine's paths"

    fresh = tmp_path / "fresh-cache"
    second = execute(manifest, fresh)
    assert not executed(fresh), "a recorded digest must not be executed again"
    assert second == first, "the record replays the same verdict, warnings included"

    # Refreshing an unchanged record changes nothing (the date of first verification is kept).
    before = record_file.read_bytes()
    record_verification(second, cache_root=fresh)
    assert record_file.read_bytes() == before


def test_an_edited_task_is_executed_again(tmp_path: Path) -> None:
    manifest = make_task(tmp_path)
    record_verification(execute(manifest, tmp_path / "cache"), cache_root=tmp_path / "cache")
    (manifest.with_suffix("") / "solution.py").write_text("raise SystemExit(3)\n")
    fresh = tmp_path / "fresh-cache"
    report = execute(manifest, fresh)
    assert executed(fresh)
    assert not report.ok, "the edited solution fails, which only an execution can find"


def test_a_record_from_another_validator_version_is_executed_again(tmp_path: Path) -> None:
    manifest = make_task(tmp_path)
    record_verification(execute(manifest, tmp_path / "cache"), cache_root=tmp_path / "cache")
    record_file = manifest.parent / VERIFICATION_FILE
    data = json.loads(record_file.read_text())
    data["tasks"]["wine-test"]["validator_version"] = "0-stale"
    record_file.write_text(json.dumps(data))
    fresh = tmp_path / "fresh-cache"
    assert execute(manifest, fresh).ok
    assert executed(fresh), "a stale validator version must not vouch for the task"
    # Recording again brings the entry up to date.
    record_verification(execute(manifest, fresh), cache_root=fresh)
    refreshed = VerificationRecord.model_validate_json(record_file.read_text())
    assert refreshed.tasks["wine-test"].validator_version != "0-stale"


def test_cli_records_verification_and_refuses_it_without_execute(tmp_path: Path) -> None:
    manifest = make_task(tmp_path)
    cache = tmp_path / "cache"
    refused = run("validate", str(manifest), "--record-verification")
    assert refused.returncode == 2
    assert "--execute" in refused.stderr and "Traceback" not in refused.stderr
    result = run("validate", str(manifest), "--execute", "--record-verification", "--cache-dir", str(cache))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "recorded 1 verified task(s)" in result.stdout
    record = VerificationRecord.model_validate_json((manifest.parent / VERIFICATION_FILE).read_text())
    assert "wine-test" in record.tasks


def test_a_pull_request_cannot_vouch_for_its_own_tasks(tmp_path: Path) -> None:
    import subprocess

    from validators import validate_paths

    def git(*arguments: str) -> None:
        subprocess.run(["git", "-C", str(tmp_path), *arguments], check=True, capture_output=True)

    git("init", "-q")
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-q", "--allow-empty", "-m", "base")
    manifest = make_task(tmp_path)
    record_verification(execute(manifest, tmp_path / "cache"), cache_root=tmp_path / "cache")
    git("add", "-A")  # the task and its record arrive together, as in a pull request
    fresh = tmp_path / "fresh-cache"
    report = validate_paths([manifest], changed_since="HEAD", layers=("static", "execute"), cache_root=fresh)
    assert [task.id for task in report.tasks] == ["wine-test"]
    assert executed(fresh), "a task changed since the base must be executed, whatever the record says"
