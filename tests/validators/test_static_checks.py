"""Each static check rejects what it should, at the right place, and accepts the curated catalogue."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import line_of, replace_in
from validators import ValidationReport, task_checks, validate_paths


def _problems(report: ValidationReport) -> list[tuple[str, str, int | None]]:
    return [
        (problem.code, Path(problem.file or "").name, problem.line)
        for task in report.tasks
        for problem in task.problems
        if problem.severity == "error"
    ]


def test_curated_catalogue_is_valid(catalogue: Path) -> None:
    report = validate_paths([catalogue])
    assert report.ok, report.model_dump_json(indent=2)
    assert len(report.tasks) >= 3
    assert {check.name for check in task_checks("static")} >= {"paths", "scripts", "metric", "jsonschema"}


def test_missing_and_escaping_paths(catalogue: Path) -> None:
    manifest = catalogue / "curated" / "wine-cultivar.yaml"
    replace_in(manifest, "description: wine-cultivar/description.md", "description: ../secrets.md")
    replace_in(manifest, "prepare:\n  split: {method: stratified, target: target, test_size: 0.3, seed: 7}",
               "prepare:\n  script: wine-cultivar/prepare.py")  # fmt: skip
    report = validate_paths([manifest])
    assert _problems(report) == [
        ("path.escapes-task", "wine-cultivar.yaml", line_of(manifest, "description:")),
        ("path.missing", "wine-cultivar.yaml", line_of(manifest, "script:")),
    ]


def test_absolute_path_and_sibling_task_folder_escape(catalogue: Path) -> None:
    manifest = catalogue / "curated" / "wine-cultivar.yaml"
    replace_in(manifest, "description: wine-cultivar/description.md", "description: penguins-species/description.md")
    report = validate_paths([manifest])
    assert [code for code, _, _ in _problems(report)] == ["path.escapes-task"]
    replace_in(manifest, "description: penguins-species/description.md", "description: /etc/passwd")
    report = validate_paths([manifest])
    assert [code for code, _, _ in _problems(report)] == ["path.escapes-task"]


def test_symlink_out_of_the_task_folder_escapes(catalogue: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text("# not ours")
    task_dir = catalogue / "curated" / "wine-cultivar"
    (task_dir / "description.md").unlink()
    (task_dir / "description.md").symlink_to(outside)
    report = validate_paths([catalogue / "curated" / "wine-cultivar.yaml"])
    assert [code for code, _, _ in _problems(report)] == ["path.escapes-task"]


def test_prepare_script_signature_is_checked_without_importing(catalogue: Path) -> None:
    script = catalogue / "curated" / "breast-cancer-diagnosis" / "prepare.py"
    replace_in(script, "def prepare(raw: Path, public: Path, private: Path)", "def prepare(raw, public)")
    script.write_text(script.read_text() + "\nraise SystemExit('imported!')\n")
    report = validate_paths([catalogue / "curated" / "breast-cancer-diagnosis.yaml"])
    assert _problems(report) == [("script.wrong-signature", "prepare.py", line_of(script, "def prepare"))]
    replace_in(script, "def prepare(raw, public)", "def prepare_data(raw, public, private)")
    report = validate_paths([catalogue / "curated" / "breast-cancer-diagnosis.yaml"])
    assert [code for code, _, _ in _problems(report)] == ["script.missing-function"]
    script.write_text("def prepare(raw, public, private):\n    return (\n")
    report = validate_paths([catalogue / "curated" / "breast-cancer-diagnosis.yaml"])
    assert [(code, name) for code, name, _ in _problems(report)] == [("script.syntax-error", "prepare.py")]


def test_metric_script_must_define_score(catalogue: Path) -> None:
    manifest = catalogue / "curated" / "diabetes-progression.yaml"
    replace_in(manifest, "metric: {name: rmse, higher_is_better: false}",
               "metric: {script: diabetes-progression/metric.py, higher_is_better: false}")  # fmt: skip
    metric = manifest.with_suffix("") / "metric.py"
    metric.write_text("def score(submission, answers, weights=None):\n    return 0.0\n")
    assert validate_paths([manifest]).ok
    metric.write_text("def score(answers):\n    return 0.0\n")
    assert [code for code, _, _ in _problems(validate_paths([manifest]))] == ["script.wrong-signature"]


def test_metric_name_direction_and_params(catalogue: Path) -> None:
    manifest = catalogue / "curated" / "diabetes-progression.yaml"
    replace_in(manifest, "name: rmse", "name: rmsee")
    [problem] = [p for p in validate_paths([manifest]).tasks[0].problems if p.severity == "error"]
    assert problem.code == "metric.unknown" and "rmse" in problem.message
    replace_in(manifest, "name: rmsee, higher_is_better: false", "name: rmse, higher_is_better: true, params: {k: 3}")
    codes = [code for code, _, _ in _problems(validate_paths([manifest]))]
    assert codes == ["metric.direction-mismatch", "metric.unknown-param"]


def test_duplicate_ids_name_both_files(catalogue: Path) -> None:
    copy = catalogue / "other" / "penguins-species.yaml"
    copy.parent.mkdir()
    copy.write_text((catalogue / "curated" / "penguins-species.yaml").read_text())
    (copy.parent / "penguins-species").mkdir()
    (copy.parent / "penguins-species" / "description.md").write_text("# copy")
    report = validate_paths([catalogue])
    duplicates = [p for t in report.tasks for p in t.problems if p.code == "id.duplicate"]
    assert len(duplicates) == 2
    assert all(p.line == 3 for p in duplicates)
    assert str(copy) in duplicates[0].message or str(copy) in duplicates[1].message


def test_id_must_match_file_name(catalogue: Path) -> None:
    manifest = catalogue / "curated" / "wine-cultivar.yaml"
    replace_in(manifest, "id: wine-cultivar", "id: wine-class")
    assert _problems(validate_paths([manifest])) == [("id.filename-mismatch", "wine-cultivar.yaml", 3)]


def test_leaderboard_csv_and_missing_leaderboard_warning(catalogue: Path) -> None:
    manifest = catalogue / "curated" / "wine-cultivar.yaml"
    report = validate_paths([manifest])
    assert report.ok
    assert [p.code for p in report.tasks[0].problems] == ["leaderboard.missing"]
    assert report.tasks[0].problems[0].severity == "warning"
    replace_in(manifest, "metric:", "leaderboard: {path: wine-cultivar/leaderboard.csv, provenance: human}\nmetric:")
    board = manifest.with_suffix("") / "leaderboard.csv"
    board.write_text("team,score\na,0.91\nb,oops\n")
    assert _problems(validate_paths([manifest])) == [("leaderboard.bad-score", "leaderboard.csv", 3)]
    board.write_text("team,points\na,0.91\n")
    assert [code for code, _, _ in _problems(validate_paths([manifest]))] == ["leaderboard.no-score-column"]
    board.write_text("team,score\na,0.91\nb,0.5\n")
    assert validate_paths([manifest]).tasks[0].problems == []


def _git(repo: Path, *arguments: str) -> None:
    subprocess.run(["git", "-C", str(repo), *arguments], check=True, capture_output=True)


def test_changed_task_needs_a_version_bump(catalogue: Path) -> None:
    repo = catalogue.parent
    _git(repo, "init", "-q")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base")
    assert validate_paths([catalogue], changed_since="HEAD").tasks == []

    script = catalogue / "curated" / "breast-cancer-diagnosis" / "prepare.py"
    replace_in(script, "random_state=0", "random_state=1")
    report = validate_paths([catalogue], changed_since="HEAD")
    manifest = catalogue / "curated" / "breast-cancer-diagnosis.yaml"
    assert [t.id for t in report.tasks] == ["breast-cancer-diagnosis"]
    assert _problems(report) == [("version.not-bumped", manifest.name, line_of(manifest, "version: 1.0.0"))]

    replace_in(manifest, "version: 1.0.0", "version: 1.0.1")
    assert validate_paths([catalogue], changed_since="HEAD").ok

    new = catalogue / "curated" / "brand-new.yaml"
    new.write_text((catalogue / "curated" / "wine-cultivar.yaml").read_text().replace("wine-cultivar", "brand-new"))
    (catalogue / "curated" / "brand-new").mkdir()
    (catalogue / "curated" / "brand-new" / "description.md").write_text("# new")
    report = validate_paths([catalogue], changed_since="HEAD")
    assert sorted(t.id for t in report.tasks) == ["brand-new", "breast-cancer-diagnosis"]
    assert report.ok
