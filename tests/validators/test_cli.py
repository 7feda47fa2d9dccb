"""`runner validate` and `runner list` as a user runs them: real processes, exit codes, output."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.conftest import FIXTURES, REPO, RUNNER, line_of, replace_in


def run(*arguments: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run([*RUNNER, *arguments], capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


def test_validate_the_catalogue_passes() -> None:
    result = run("validate", "tasks/")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 invalid" in result.stdout


def test_broken_copy_names_file_and_line_for_each_problem(catalogue: Path) -> None:
    manifest = catalogue / "curated" / "penguins-species.yaml"
    replace_in(manifest, "cpus: 2", "cpus: lots")  # wrong type
    replace_in(manifest, "license: CC0-1.0", "license: CC0-1.0\nmaintainer: me")  # unknown key
    replace_in(manifest, "title: Palmer", "title: Palmer\ntitle: Again")  # duplicate key
    broken = [
        (
            "wine-cultivar.yaml",
            "description: wine-cultivar/description.md",
            "description: wine-cultivar/missing.md",
        ),
        (
            "diabetes-progression.yaml",
            "description: diabetes-progression/description.md",
            "description: ../x.md",
        ),
        ("breast-cancer-diagnosis.yaml", "id: breast-cancer-diagnosis", "id: wine-cultivar"),
    ]
    for name, old, new in broken:
        replace_in(catalogue / "curated" / name, old, new)
    result = run("validate", str(catalogue), "--format", "json")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is False
    found = {(Path(p["file"]).name, p["code"], p["line"]) for t in report["tasks"] for p in t["problems"]}
    wine = catalogue / "curated" / "wine-cultivar.yaml"
    expected = {
        ("penguins-species.yaml", "yaml.duplicate-key", line_of(manifest, "title: Again")),
        ("wine-cultivar.yaml", "path.missing", line_of(wine, "description:")),
        ("diabetes-progression.yaml", "path.escapes-task", 7),
        ("breast-cancer-diagnosis.yaml", "id.duplicate", 3),
        ("wine-cultivar.yaml", "id.duplicate", 3),
    }
    assert expected <= found, found
    # The duplicate key stops the parse; with it fixed, the type error and unknown key are reported by line.
    replace_in(manifest, "title: Palmer\ntitle: Again", "title: Palmer")
    report = json.loads(run("validate", str(manifest), "--format", "json").stdout)
    found = {(p["code"], p["line"], p["path"]) for p in report["tasks"][0]["problems"]}
    assert ("schema.wrong-type", line_of(manifest, "cpus: lots"), "resources.cpus") in found
    assert ("schema.unknown-key", line_of(manifest, "maintainer:"), "maintainer") in found


def test_text_output_groups_by_file_with_lines(catalogue: Path) -> None:
    manifest = catalogue / "curated" / "penguins-species.yaml"
    replace_in(manifest, "license: CC0-1.0", "licence: CC0-1.0")
    result = run("validate", str(manifest))
    assert result.returncode == 1
    assert str(manifest) in result.stdout
    assert "9:1 error schema.unknown-key unknown key 'licence'; did you mean 'license'?" in result.stdout


def test_junk_inputs_are_problems_not_tracebacks(tmp_path: Path) -> None:
    (tmp_path / "binary.yaml").write_bytes(os.urandom(2048))
    bomb = ['a0: &a0 ["lol", "lol"]'] + [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]" for i in range(1, 30)]
    (tmp_path / "bomb.yaml").write_text("\n".join(bomb))
    (tmp_path / "deep.yaml").write_text("[" * 200_000 + "]" * 200_000)
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    result = run("validate", str(tmp_path), "--format", "json")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    assert len(report["tasks"]) == 4
    assert all(not task["ok"] and task["problems"] for task in report["tasks"])


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run("validate", str(tmp_path / "nope")).returncode == 2
    assert run("validate", "--bogus-flag").returncode == 2
    result = run("validate", "tasks/", "--changed-since", "no-such-ref-xyz")
    assert result.returncode == 2 and "no-such-ref-xyz" in result.stderr
    assert run("list", "--tag", "modality").returncode == 2


def test_list_filters_by_kind_and_tag() -> None:
    regression = ("list", "--format", "json", "--tag", "problem=regression", "--tasks-dir", str(FIXTURES))
    both_kinds = json.loads(run(*regression).stdout)
    assert {row["id"] for row in both_kinds} == {"diabetes-progression", "diabetes-ridge"}  # the research fixture
    result = run(*regression, "--kind", "competition")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [row["id"] for row in rows] == ["diabetes-progression"]
    assert rows[0]["metric"] == "rmse"
    live = json.loads(run("list", "--format", "json", "--tag", "modality=image").stdout)
    assert live and all(row["modality"] == "image" for row in live)
    table = run("list", "--kind", "competition", "--tasks-dir", str(FIXTURES))
    assert table.returncode == 0
    for task_id in ("penguins-species", "wine-cultivar", "diabetes-progression"):
        assert task_id in table.stdout


def test_list_works_from_another_directory_via_installed_catalogue(tmp_path: Path) -> None:
    result = run("list", "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "penguins-species" in {row["id"] for row in json.loads(result.stdout)}
