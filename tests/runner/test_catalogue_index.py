"""`runner list` keeps what it shows of each manifest in an index in the cache: a second listing reads no YAML,
an edited, added or broken manifest is loaded again, and a cache that cannot be written changes nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import spec
from runner.cli import app
from tests.conftest import FIXTURES


def _list(tasks: Path, *options: str) -> tuple[list[dict[str, str]], str]:
    done = CliRunner().invoke(app, ["list", "--tasks-dir", str(tasks), "--format", "json", *options])
    assert done.exit_code == 0, done.output
    return json.loads(done.stdout), done.stderr


@pytest.fixture
def tasks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BENCHSMITH_CACHE_DIR", str(tmp_path / "cache"))
    return Path(shutil.copytree(FIXTURES, tmp_path / "tasks"))


def _no_loading(path: Path) -> object:
    raise AssertionError(f"{path} was loaded although the index holds it")


def test_a_second_listing_comes_from_the_index(tasks: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, _ = _list(tasks)
    assert first and list(first[0]) == ["id", "version", "kind", "modality", "problem", "metric", "title", "path"]
    monkeypatch.setattr(spec, "load_task", _no_loading)
    assert _list(tasks)[0] == first
    assert _list(tasks, "--kind", "competition", "--tag", "problem=regression")[0] == [
        row for row in first if row["kind"] == "competition" and row["problem"] == "regression"
    ]


def test_edited_added_and_broken_manifests_are_loaded_again(tasks: Path) -> None:
    first, _ = _list(tasks)
    edited = Path(first[0]["path"])
    edited.write_text(
        edited.read_text(encoding="utf-8").replace(f"title: {first[0]['title']}", "title: Retitled"),
        encoding="utf-8",
    )
    shutil.copy(edited, tasks / "copy-of-first.yaml")  # same id, a second manifest: listed twice
    (tasks / "broken.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    rows, warnings = _list(tasks)
    assert [row["title"] for row in rows if row["path"] == str(edited)] == ["Retitled"]
    assert len(rows) == len(first) + 1
    assert "1 invalid manifest(s) left out" in warnings
    (tasks / "broken.yaml").unlink()
    assert len(_list(tasks)[0]) == len(first) + 1


def test_listing_works_when_the_index_cannot_be_kept(tasks: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected, _ = _list(tasks)
    blocked = tasks.parent / "not-a-folder"
    blocked.write_text("", encoding="utf-8")
    monkeypatch.setenv("BENCHSMITH_CACHE_DIR", str(blocked))
    assert _list(tasks)[0] == expected
    monkeypatch.setenv("BENCHSMITH_CACHE_DIR", str(tasks.parent / "cache"))
    for index in (tasks.parent / "cache" / "catalogue").iterdir():
        index.write_text("{not json", encoding="utf-8")
    assert _list(tasks)[0] == expected


def test_plain_text_table_when_not_a_terminal(tasks: Path) -> None:
    done = CliRunner().invoke(app, ["list", "--tasks-dir", str(tasks)])
    assert done.exit_code == 0, done.output
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"{len(_list(tasks)[0])} task(s) in ")
    assert lines[1].split() == ["id", "version", "kind", "modality", "problem", "metric"]
    assert "penguins-species" in done.stdout and "┃" not in done.stdout
