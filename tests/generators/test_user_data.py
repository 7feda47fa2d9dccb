"""`runner generate PATH... --no-llm` on the user's own tables: CSV, TSV, parquet, JSON lines, Excel, folders."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from generators import generate
from runner.datasets import DatasetError, dataset_csv_bytes, file_references, load_dataset
from spec import PackagedSource, load_task

REPO = Path(__file__).resolve().parents[2]


def _runner(*arguments: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "from runner.cli import main; main()", *arguments]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, timeout=600, check=False)


def _churn(rows: int = 400, seed: int = 0) -> pd.DataFrame:
    """A learnable relation plus noise: churn grows with the monthly charge and falls with tenure and the plan."""
    rng = np.random.default_rng(seed)
    tenure = rng.integers(1, 72, rows)
    charge = rng.uniform(20, 120, rows).round(2)
    plan = rng.choice(["basic", "plus", "pro"], rows)
    logit = 0.04 * (charge - 70) - 0.06 * (tenure - 36) + np.where(plan == "pro", -1.0, 0.0)
    churned = np.where(rng.uniform(size=rows) < 1 / (1 + np.exp(-logit)), "yes", "no")
    return pd.DataFrame({"tenure": tenure, "monthly_charge": charge, "plan": plan, "churned": churned})


def _prices(rows: int = 360, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    area = rng.uniform(30, 200, rows).round(1)
    rooms = rng.integers(1, 6, rows)
    price = (2.5 * area + 15 * rooms + rng.normal(0, 25, rows)).round(2)
    return pd.DataFrame({"area": area, "rooms": rooms, "price": price})


def test_a_csv_of_ones_own_becomes_a_task_that_passes_execution_validation(tmp_path: Path) -> None:
    table = tmp_path / "customers.csv"
    _churn().to_csv(table, index=False)
    out, cache = tmp_path / "tasks", str(tmp_path / "cache")
    options = ["--no-llm", "--out", str(out), "--max-per-dataset", "1", "--cache-dir", cache]
    made = _runner("generate", str(table), *options)
    assert made.returncode == 0, made.stdout + made.stderr
    manifests = sorted(out.glob("*.yaml"))
    assert [path.stem for path in manifests] == ["customers-churned"]
    manifest = load_task(manifests[0]).manifest
    assert manifest is not None
    [source] = manifest.sources
    assert isinstance(source, PackagedSource) and source.dataset == f"files:{table.resolve()}" and source.sha256
    assert "user-data" in manifest.tags.keywords
    checked = _runner("validate", str(out), "--execute", "--cache-dir", cache)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # What an agent would see: train with the target, test without it.
    shown = _runner("prepare", str(manifests[0]), "--cache-dir", cache, "--format", "json")
    assert shown.returncode == 0, shown.stderr
    [row] = json.loads(shown.stdout)
    assert row["id"] == "customers-churned"
    assert "churned" in pd.read_csv(Path(row["public"]) / "train.csv").columns
    assert "churned" not in pd.read_csv(Path(row["public"]) / "test.csv").columns
    # An edited file no longer matches its pin: validation says the source changed.
    _churn(seed=5).to_csv(table, index=False)
    changed = _runner("validate", str(out), "--execute", "--cache-dir", cache)
    assert changed.returncode == 1
    assert "files:" in changed.stdout and "has changed since the manifest pinned it" in changed.stdout


def test_parquet_json_lines_tsv_and_excel_read_as_the_same_table(tmp_path: Path) -> None:
    frame = _prices(rows=50)
    frame.to_csv(tmp_path / "a.csv", index=False)
    frame.to_csv(tmp_path / "b.tsv", index=False, sep="\t")
    frame.to_parquet(tmp_path / "c.parquet", index=False)
    frame.to_json(tmp_path / "d.jsonl", orient="records", lines=True)
    frame.to_excel(tmp_path / "e.xlsx", index=False)
    references = file_references([tmp_path])
    assert [reference.rsplit("/", 1)[1] for reference in references] == ["a.csv", "b.tsv", "c.parquet", "d.jsonl",
                                                                         "e.xlsx"]  # fmt: skip
    assert all(reference.startswith(f"files:{tmp_path.resolve()}") for reference in references)
    assert len({dataset_csv_bytes(reference) for reference in references}) == 1


def test_a_folder_of_parquet_and_json_lines_gives_a_task_per_file(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    _prices().to_parquet(folder / "flats.parquet", index=False)
    _prices(seed=2).to_json(folder / "houses.jsonl", orient="records", lines=True)
    (folder / "notes.txt").write_text("not a table", encoding="utf-8")
    out = tmp_path / "out"
    report = generate(file_references([folder]), out, max_per_dataset=1, cache_root=tmp_path / "cache", target="price")
    assert report.rejections == []
    assert sorted(report.accepted_ids) == ["flats-price", "houses-price"]
    for task in report.accepted_ids:
        manifest = (out / f"{task}.yaml").read_text(encoding="utf-8")
        assert "metric:\n  name: rmse" in manifest and "test_size: 0.25" in manifest


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "the file is empty"),
        ("broken.csv", b'a,b\n1,"never closed\n2,3\n', "cannot read it as csv"),
        ("broken.parquet", b"not parquet", "cannot read it as parquet"),
        ("header.csv", b"a,b\n", "a task needs a header row, at least two columns and some rows"),
        ("table.docx", b"x", "not a supported table file"),
    ],
)
def test_unreadable_files_are_a_one_line_usage_error_naming_the_file(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    done = _runner("generate", str(path), "--no-llm", "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f"error: {path}") and message in line
    assert not (tmp_path / "out").exists()


def test_a_table_without_a_usable_target_fails_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    rows = 300
    pd.DataFrame({"id": range(rows), "name": [f"n{i}" for i in range(rows)], "sex": ["f", "m"] * (rows // 2)}).to_csv(
        path, index=False
    )
    done = _runner("generate", str(path), "--no-llm", "--out", str(tmp_path / "out"))
    assert done.returncode == 1
    [line] = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert line.startswith(f"error: {path}: no task: propose/propose.no-target")
    assert "not set as targets: id, name, sex" in line
    asked = _runner("generate", str(path), "--no-llm", "--out", str(tmp_path / "out"), "--target", "nosuch")
    assert asked.returncode == 1 and "no column 'nosuch'" in asked.stderr


def test_missing_paths_and_unsupported_folders_are_usage_errors(tmp_path: Path) -> None:
    missing = _runner("generate", str(tmp_path / "nosuch.csv"), "--no-llm", "--out", str(tmp_path / "out"))
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("x", encoding="utf-8")
    with pytest.raises(DatasetError, match="holds no CSV"):
        file_references([tmp_path / "docs"])
    with pytest.raises(DatasetError, match="no such file"):
        load_dataset(f"files:{tmp_path / 'gone.csv'}")
