"""`runner list` as a table fits its console: piped (80 columns) every row is one line with every column, long
cells cut around an ellipsis; in a terminal, rich's table keeps every column readable too."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from runner.cli import _list
from tests.conftest import FIXTURES

LONG_ID = "an-uncommonly-long-generated-task-identifier-that-cannot-fit"
COLUMNS = ["id", "version", "kind", "modality", "problem", "metric"]


@pytest.fixture
def tasks(tmp_path: Path) -> Path:
    root = Path(shutil.copytree(FIXTURES, tmp_path / "tasks"))
    source = root / "curated" / "penguins-species.yaml"
    text = source.read_text(encoding="utf-8").replace("id: penguins-species", f"id: {LONG_ID}")
    (root / "curated" / f"{LONG_ID}.yaml").write_text(text, encoding="utf-8")
    shutil.copytree(root / "curated" / "penguins-species", root / "curated" / LONG_ID)
    return root


def _runner(tasks: Path, *options: str, columns: str | None = None) -> str:
    env = {key: value for key, value in os.environ.items() if key != "COLUMNS"}
    env["BENCHSMITH_CACHE_DIR"] = str(tasks.parent / "cache")
    if columns is not None:
        env["COLUMNS"] = columns
    command = [sys.executable, "-c", "from runner.cli import main; main()", "list", "--tasks-dir", str(tasks)]
    done = subprocess.run([*command, *options], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _fits(cell: str, value: str) -> bool:
    """Whether a shown cell is `value`, or its start and end around an ellipsis."""
    if "…" not in cell:
        return cell == value
    head, tail = cell.split("…")
    return value.startswith(head) and value.endswith(tail) and len(cell) < len(value)


def test_piped_rows_fit_80_columns_with_every_column_and_no_cell_split(tasks: Path) -> None:
    rows = json.loads(_runner(tasks, "--format", "json"))
    assert LONG_ID in {row["id"] for row in rows}
    lines = _runner(tasks).splitlines()
    assert len(lines) == 3 + len(rows)  # title, header, rule, one line a task
    assert all(len(line) <= 80 for line in lines[1:]), max(lines[1:], key=len)  # the title names a path
    assert lines[1].split() == COLUMNS
    for line, row in zip(lines[3:], rows, strict=True):
        cells = re.split(r" {2,}", line.strip())
        assert len(cells) == len(COLUMNS), line
        assert all(_fits(cell, row[column]) for cell, column in zip(cells, COLUMNS, strict=True)), (line, row)
    [long_line] = [line for line in lines if line.startswith(LONG_ID[:5])]
    assert "…" in long_line and long_line.split()[0].endswith("cannot-fit")


def test_a_table_that_fits_is_left_whole(tasks: Path) -> None:
    rows = json.loads(_runner(tasks, "--format", "json"))
    lines = _runner(tasks, columns="200").splitlines()
    assert "…" not in "\n".join(lines)
    assert [line.split()[0] for line in lines[3:]] == [row["id"] for row in rows]


def test_a_terminal_table_keeps_every_column_readable(tasks: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENCHSMITH_CACHE_DIR", str(tasks.parent / "cache"))
    screen = io.StringIO()
    monkeypatch.setattr(_list, "stdout", Console(file=screen, force_terminal=True, width=80, color_system=None))
    _list.list_tasks(tasks_dir=tasks, kind=None, tag=None, suite=None)
    lines = screen.getvalue().splitlines()
    assert all(len(line) <= 80 for line in lines)
    header = next(line for line in lines if "version" in line)
    assert [cell.strip() for cell in header.strip("┃│ ").split("┃")] == COLUMNS
    body = [line for line in lines if line.startswith("│")]
    rows = json.loads(_runner(tasks, "--format", "json"))
    assert len(body) == len(rows)
    for line, row in zip(body, rows, strict=True):
        cells = [cell.strip() for cell in line.strip("│").split("│")]
        assert all(_fits(cell, row[column]) for cell, column in zip(cells, COLUMNS, strict=True)), (line, row)
    assert any("…" in line.split()[1] and line.split()[1].endswith("fit") for line in body)
