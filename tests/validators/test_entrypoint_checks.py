"""Static checks of entry points (found on disk, never imported), dataset providers and unscored leaderboard rows."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.conftest import replace_in
from validators import validate_paths


def _codes(manifest: Path) -> list[tuple[str, str, str | None]]:
    report = validate_paths([manifest])
    return [(problem.code, problem.severity, problem.path) for task in report.tasks for problem in task.problems]


def _entrypoint_task(catalogue: Path, tmp_path: Path, entrypoint: str, import_path: Path | None) -> Path:
    manifest = catalogue / "curated" / "wine-cultivar.yaml"
    extra = f", import_path: {import_path}" if import_path is not None else ""
    replace_in(
        manifest,
        "metric: {name: f1_macro, higher_is_better: true}",
        f"metric: {{entrypoint: '{entrypoint}', higher_is_better: true{extra}}}",
    )
    return manifest


def _checkout(tmp_path: Path) -> Path:
    """An upstream-like checkout: a package whose competition folders are no identifiers (as in MLE-bench)."""
    folder = tmp_path / "checkout" / "upbench" / "competitions" / "3d-detect"
    folder.mkdir(parents=True)
    (tmp_path / "checkout" / "upbench" / "__init__.py").write_text("")
    (folder / "grade.py").write_text("from .helpers import score as grade_alias\n\ndef grade(submission, answers):\n"
                                     "    return 1.0\n")  # fmt: skip
    (folder / "broken.py").write_text("def grade(:\n")
    return tmp_path / "checkout"


def test_entrypoint_found_in_its_import_path(catalogue: Path, tmp_path: Path) -> None:
    checkout = _checkout(tmp_path)
    manifest = _entrypoint_task(catalogue, tmp_path, "upbench.competitions.3d-detect.grade:grade", checkout)
    assert [code for code in _codes(manifest) if code[0].startswith("entrypoint.")] == []
    replace_in(manifest, "grade:grade'", "grade:grade_alias'")  # bound by an import: fine too
    assert [code for code in _codes(manifest) if code[0].startswith("entrypoint.")] == []
    assert "upbench" not in sys.modules  # found on disk, never imported


def test_entrypoint_problems(catalogue: Path, tmp_path: Path) -> None:
    checkout = _checkout(tmp_path)
    manifest = _entrypoint_task(catalogue, tmp_path, "upbench.competitions.3d-detect.grade:score", checkout)
    assert ("entrypoint.function-missing", "error", "metric.entrypoint") in _codes(manifest)
    replace_in(manifest, "grade:score'", "absent:grade'")
    assert ("entrypoint.module-missing", "error", "metric.entrypoint") in _codes(manifest)
    replace_in(manifest, "absent:grade'", "broken:grade'")
    assert ("entrypoint.syntax-error", "error", "metric.entrypoint") in _codes(manifest)
    replace_in(manifest, f"import_path: {checkout}", f"import_path: {tmp_path / 'moved'}")
    assert ("entrypoint.import-path-missing", "error", "metric.import_path") in _codes(manifest)


def test_entrypoint_of_a_package_not_installed_is_a_warning(catalogue: Path, tmp_path: Path) -> None:
    manifest = _entrypoint_task(catalogue, tmp_path, "no_such_benchsmith_package.grade:grade", None)
    problems = _codes(manifest)
    assert ("entrypoint.package-missing", "warning", "metric.entrypoint") in problems
    assert validate_paths([manifest]).ok
    message = next(p.message for t in validate_paths([manifest]).tasks for p in t.problems if "package" in p.code)
    assert "no_such_benchsmith_package" in message


def test_installed_package_entrypoint(catalogue: Path, tmp_path: Path) -> None:
    manifest = _entrypoint_task(catalogue, tmp_path, "runner.grading:grade_submission", None)
    assert [code for code in _codes(manifest) if code[0].startswith("entrypoint.")] == []
    replace_in(manifest, "runner.grading:grade_submission", "runner.grading:no_such_function")
    assert ("entrypoint.function-missing", "error", "metric.entrypoint") in _codes(manifest)


def test_dataset_provider_must_exist(catalogue: Path) -> None:
    manifest = catalogue / "curated" / "wine-cultivar.yaml"
    replace_in(manifest, "dataset: sklearn:wine", "dataset: nosuchprovider:wine")
    assert ("source.unknown-provider", "error", "sources[0].dataset") in _codes(manifest)


def test_unscored_leaderboard_rows_are_kept_with_a_warning(catalogue: Path) -> None:
    manifest = catalogue / "curated" / "wine-cultivar.yaml"
    replace_in(manifest, "metric:", "leaderboard: {path: wine-cultivar/leaderboard.csv, provenance: human}\nmetric:")
    board = manifest.with_suffix("") / "leaderboard.csv"
    board.write_text("team,score\na,0.91\nb,\nc,0.5\n")
    problems = _codes(manifest)
    assert ("leaderboard.unscored", "warning", None) in problems
    assert validate_paths([manifest]).ok
    board.write_text("team,score\na,0.91\nb,oops\n")
    assert ("leaderboard.bad-score", "error", None) in _codes(manifest)


def _scripted_task(root: Path, sample_header: str) -> Path:
    """A competition whose prepare script writes a sample submission with `sample_header` (as upstream ones do)."""
    import hashlib

    folder = root / "scripted"
    folder.mkdir(parents=True)
    data = b"id,x,label\n" + b"".join(f"{i},{i % 7},{i % 2}\n".encode() for i in range(40))
    (folder / "raw.csv").write_bytes(data)
    (folder / "description.md").write_text("# Scripted\n")
    (folder / "prepare.py").write_text(
        "def prepare(raw, public, private):\n"
        "    rows = (raw / 'raw.csv').read_text().splitlines()\n"
        "    ids, labels = [r.split(',')[0] for r in rows[21:]], [r.split(',')[2] for r in rows[21:]]\n"
        "    (public / 'train.csv').write_text('\\n'.join(rows[:21]) + '\\n')\n"
        "    (public / 'test.csv').write_text('id\\n' + ''.join(i + '\\n' for i in ids))\n"
        f"    (public / 'sampleSubmission.csv').write_text('{sample_header}\\n' + ''.join(i + ',0\\n' for i in ids))\n"
        "    answers = ''.join(f'{i},{y}\\n' for i, y in zip(ids, labels))\n"
        "    (private / 'answers.csv').write_text('id,label\\n' + answers)\n"
    )
    digest = hashlib.sha256(data).hexdigest()
    manifest = root / "scripted.yaml"
    manifest.write_text(
        "schema_version: 1\nid: scripted\nversion: 1.0.0\nkind: competition\ntitle: Scripted\n"
        "description: scripted/description.md\ntags: {modality: tabular, problem: binary, domain: test}\n"
        f"license: CC0-1.0\nsources:\n  - {{name: raw, file: scripted/raw.csv, sha256: {digest}}}\n"
        "prepare: {script: scripted/prepare.py}\nsubmission: {id_column: id, columns: [label]}\n"
        "metric: {name: accuracy, higher_is_better: true}\nprovenance: {origin: hand-written, by: tests}\n"
    )
    return manifest


def test_declared_columns_must_be_in_the_prepared_sample_submission(tmp_path: Path) -> None:
    from spec import load_task
    from validators import CheckContext, task_checks

    [check] = [check for check in task_checks("execute") if check.name == "sample-columns"]
    context = CheckContext(cache_root=tmp_path / "cache")
    good = _scripted_task(tmp_path / "good", "id,label")
    assert list(check.run(load_task(good), context)) == []
    bad = _scripted_task(tmp_path / "bad", "id,Label")
    [problem] = check.run(load_task(bad), context)
    assert problem.code == "submission.not-in-sample" and problem.path == "submission"
    assert "label" in problem.message and "sampleSubmission.csv" in problem.message
