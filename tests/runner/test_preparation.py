"""Preparation: sources with verified checksums, declarative splits, scripts with time limits, the content cache."""

from __future__ import annotations

import hashlib
import http.server
import json
import shutil
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from runner.preparation import PreparationError, prepare_into, prepare_task, raw_for
from spec import parse_manifest
from tests.conftest import CURATED, REPO

PENGUINS = CURATED / "penguins-species.yaml"


def _task_with(tmp_path: Path, old: str, new: str, files: dict[str, bytes] | None = None) -> Path:
    manifest = tmp_path / "penguins-species.yaml"
    text = PENGUINS.read_text()
    assert old in text
    manifest.write_text(text.replace(old, new))
    folder = tmp_path / "penguins-species"
    folder.mkdir()
    (folder / "description.md").write_text("# test")
    for name, data in (files or {}).items():
        (folder / name).write_bytes(data)
    return manifest


def _load(path: Path):  # type: ignore[no-untyped-def]
    task = parse_manifest(path, path.read_bytes())
    assert task.manifest is not None, task.problems
    return task


def test_declarative_split_layout_and_cache_hit(tmp_path: Path) -> None:
    task = _load(PENGUINS)
    first = prepare_task(task, cache_root=tmp_path)
    assert not first.cache_hit
    assert sorted(first.files) == [
        "private/answers.csv", "public/sample_submission.csv", "public/test.csv", "public/train.csv",
    ]  # fmt: skip
    train = pd.read_csv(first.public / "train.csv")
    test = pd.read_csv(first.public / "test.csv")
    answers = pd.read_csv(first.private / "answers.csv")
    assert "species" in train.columns and "species" not in test.columns
    assert list(answers.columns) == ["id", "species"]
    assert set(test["id"]) == set(answers["id"]) and not set(test["id"]) & set(train["id"])
    assert len(test) == pytest.approx(0.25 * (len(train) + len(test)), abs=1)
    second = prepare_task(task, cache_root=tmp_path)
    assert second.cache_hit and second.files == first.files and second.root == first.root


def test_ids_do_not_follow_the_source_order(tmp_path: Path) -> None:
    task = _load(CURATED / "wine-cultivar.yaml")
    prepared = prepare_task(task, cache_root=tmp_path)
    train = pd.read_csv(prepared.public / "train.csv")
    # wine is sorted by class in scikit-learn; ids from a seeded shuffle must not be.
    assert abs(train["id"].corr(train["target"], method="spearman")) < 0.3


def test_pinned_checksum_mismatch_is_an_actionable_error(tmp_path: Path) -> None:
    manifest = _task_with(
        tmp_path, "dataset: palmerpenguins:penguins", "dataset: palmerpenguins:penguins\n    sha256: " + "ab" * 32
    )
    with pytest.raises(PreparationError, match=r"sha256 is [0-9a-f]{64} but the manifest pins (ab){32}") as raised:
        prepare_into(_load(manifest), tmp_path / "out")
    assert raised.value.field == ("sources", 0, "sha256")


@pytest.fixture
def file_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A real HTTP server on loopback serving a folder."""
    root = tmp_path / "served"
    root.mkdir()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root
    server.shutdown()


def test_url_source_is_downloaded_and_verified(tmp_path: Path, file_server: tuple[str, Path]) -> None:
    base, root = file_server
    table = b"x,species\n" + b"".join(f"{i % 7},{'ab'[i % 2]}\n".encode() for i in range(1, 41))
    (root / "data.csv").write_bytes(table)
    digest = hashlib.sha256(table).hexdigest()
    manifest = _task_with(tmp_path, "dataset: palmerpenguins:penguins", f"url: {base}/data.csv\n    sha256: {digest}")
    raw = tmp_path / "out"
    prepare_into(_load(manifest), raw)
    assert (raw / "raw" / "penguins.csv").read_bytes() == table
    (root / "data.csv").write_bytes(table + b"1,a\n")
    with pytest.raises(PreparationError, match="sha256"):
        prepare_into(_load(manifest), tmp_path / "again")


def test_kaggle_source_without_files_says_what_to_do(tmp_path: Path) -> None:
    manifest = _task_with(tmp_path, "dataset: palmerpenguins:penguins", "kaggle: spaceship-titanic")
    with pytest.raises(PreparationError, match=r"--raw PATH.*Kaggle credentials") as raised:
        prepare_into(_load(manifest), tmp_path / "out")
    assert raised.value.field == ("sources", 0, "kaggle")


# A Kaggle-sourced task whose preparer reads raw/train.csv as Kaggle serves it, like MLE-bench's do.
_KAGGLE_PREPARE = b"""import shutil


def prepare(raw, public, private):
    lines = (raw / "train.csv").read_text().splitlines()
    (public / "train.csv").write_text("\\n".join(lines[:-2]) + "\\n")
    (private / "answers.csv").write_text("\\n".join([lines[0], *lines[-2:]]) + "\\n")
    shutil.copy(raw / "train.csv", public / "sample_submission.csv")
"""
_TRAIN = b"id,species\n1,a\n2,b\n3,a\n4,b\n"
_PUBLIC_TRAIN = b"id,species\n1,a\n2,b\n"
_ANSWERS = b"id,species\n3,a\n4,b\n"


def _kaggle_task(tmp_path: Path, checksums: str | None = None) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    files = {"prepare.py": _KAGGLE_PREPARE, **({"checksums.yaml": checksums.encode()} if checksums else {})}
    return _task_with(
        tmp_path,
        "  - name: penguins\n    dataset: palmerpenguins:penguins\nprepare:\n"
        "  split: {method: stratified, target: species, test_size: 0.25, seed: 0}",
        "  - name: raw\n    kaggle: penguins-comp\nprepare:\n  script: penguins-species/prepare.py",
        files,
    )


def _kaggle_zip(folder: Path, data: bytes = _TRAIN) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    archive = folder / "penguins-comp.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("train.csv", data)
    return archive


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def test_kaggle_files_from_a_folder_are_linked_not_copied(tmp_path: Path) -> None:
    given = tmp_path / "given"
    given.mkdir()
    (given / "train.csv").write_bytes(_TRAIN)
    task = _load(_kaggle_task(tmp_path))
    prepared = prepare_task(task, cache_root=tmp_path / "cache", raw_from=given)
    assert not prepared.cache_hit and prepared.warnings == ()
    assert (prepared.public / "train.csv").read_bytes() == _PUBLIC_TRAIN
    assert (prepared.raw / "train.csv").stat().st_ino == (given / "train.csv").stat().st_ino
    # Later runs (`runner exec`) find the preparation in the cache; files given again prepare it again.
    assert prepare_task(task, cache_root=tmp_path / "cache").cache_hit
    assert not prepare_task(task, cache_root=tmp_path / "cache", raw_from=given).cache_hit


def test_kaggle_zip_is_checked_against_mlebench_checksums(tmp_path: Path) -> None:
    archive = _kaggle_zip(tmp_path)
    checksums = (
        f"zip: {_md5(archive.read_bytes())}\nprivate:\n  answers.csv: {_md5(_ANSWERS)}\npublic:\n"
        f"  sample_submission.csv: {_md5(_TRAIN)}\n  train.csv: {_md5(_PUBLIC_TRAIN)}\n"
    )
    prepared = prepare_task(_load(_kaggle_task(tmp_path, checksums)), cache_root=tmp_path / "c", raw_from=archive)
    assert prepared.warnings == () and (prepared.private / "answers.csv").read_bytes() == _ANSWERS
    # A zip that is not what MLE-bench saw is refused before anything is prepared.
    other = _kaggle_zip(tmp_path / "other", _TRAIN + b"5,a\n")
    with pytest.raises(PreparationError, match=r"has MD5 [0-9a-f]{32} but MLE-bench's checksums.yaml pins"):
        prepare_task(_load(_kaggle_task(tmp_path / "t2", checksums)), cache_root=tmp_path / "c2", raw_from=other)


def test_prepared_files_unlike_mlebench_are_reported_with_the_likely_cause(tmp_path: Path) -> None:
    archive = _kaggle_zip(tmp_path)
    checksums = f"zip: {_md5(archive.read_bytes())}\nprivate:\n  answers.csv: {'0' * 32}\n"
    task = _load(_kaggle_task(tmp_path, checksums))
    [warning] = prepare_task(task, cache_root=tmp_path / "c", raw_from=archive).warnings
    assert "differ from MLE-bench's checksums: private/answers.csv differs (the raw zip matched" in warning
    given = tmp_path / "given"
    given.mkdir()
    (given / "train.csv").write_bytes(_TRAIN)
    [warning] = prepare_task(task, cache_root=tmp_path / "c", raw_from=given).warnings
    assert "private/answers.csv differs (the raw files were yours" in warning


def test_an_mlebench_data_folder_is_used_in_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    task = _load(_kaggle_task(tmp_path))
    data = tmp_path / "mlebench-data"
    for folder in ("public", "private"):
        (data / "penguins-comp" / "prepared" / folder).mkdir(parents=True)
        (data / "penguins-comp" / "prepared" / folder / "x.csv").write_text("id\n")
    prepared = prepare_task(task, cache_root=tmp_path / "cache", mlebench_data=data)
    assert prepared.reused and prepared.public == data / "penguins-comp" / "prepared" / "public"
    assert not (tmp_path / "cache" / "prepared").exists()  # nothing prepared, nothing copied
    monkeypatch.setenv("BENCHSMITH_MLEBENCH_DATA", str(data))
    assert prepare_task(task, cache_root=tmp_path / "cache").reused
    monkeypatch.delenv("BENCHSMITH_MLEBENCH_DATA")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "benchsmith.toml").write_text(f'[tool.benchsmith]\nmlebench_data = "{data}"\n')
    assert prepare_task(task, cache_root=tmp_path / "cache").reused
    # Raw files only (MLE-bench downloaded, never prepared): they are what gets prepared.
    shutil.rmtree(data / "penguins-comp" / "prepared")
    (data / "penguins-comp" / "raw").mkdir()
    (data / "penguins-comp" / "raw" / "train.csv").write_bytes(_TRAIN)
    prepared = prepare_task(task, cache_root=tmp_path / "cache")
    assert not prepared.reused and (prepared.private / "answers.csv").read_bytes() == _ANSWERS


def test_raw_for_finds_each_competition_in_one_folder(tmp_path: Path) -> None:
    (tmp_path / "alpha").mkdir()
    (tmp_path / "beta.zip").write_bytes(b"")
    (tmp_path / "gamma" / "raw").mkdir(parents=True)
    assert raw_for("alpha", (), tmp_path, only_task=False) == tmp_path / "alpha"
    assert raw_for("b", ("beta",), tmp_path, only_task=False) == tmp_path / "beta.zip"
    assert raw_for("gamma", (), tmp_path, only_task=False) == tmp_path / "gamma" / "raw"
    assert raw_for("delta", (), tmp_path, only_task=True) == tmp_path
    with pytest.raises(PreparationError, match=r"holds no delta/ folder or delta\.zip"):
        raw_for("delta", (), tmp_path, only_task=False)
    with pytest.raises(PreparationError, match="no such file or folder"):
        raw_for("delta", (), tmp_path / "missing", only_task=True)


def test_hanging_prepare_script_is_stopped(tmp_path: Path) -> None:
    script = b"import time\n\ndef prepare(raw, public, private):\n    time.sleep(60)\n"
    manifest = _task_with(
        tmp_path,
        "  split: {method: stratified, target: species, test_size: 0.25, seed: 0}",
        "  script: penguins-species/prepare.py",
        {"prepare.py": script},
    )
    with pytest.raises(PreparationError, match="did not finish within 1 s") as raised:
        prepare_into(_load(manifest), tmp_path / "out", timeout_s=1)
    assert raised.value.field == ("prepare", "script")


def _runner(*arguments: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "from runner.cli import main; main()", *arguments]
    return subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=300, check=False)


def test_runner_prepare_prints_each_tasks_folders(tmp_path: Path) -> None:
    cache = str(tmp_path / "cache")
    listed = _runner(
        "prepare", str(PENGUINS), str(CURATED / "wine-cultivar.yaml"), "--cache-dir", cache, "--format", "json"
    )
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [row["id"] for row in rows] == ["penguins-species", "wine-cultivar"]
    assert all(set(row) == {"id", "public", "private"} for row in rows)
    assert (Path(rows[0]["private"]) / "answers.csv").is_file() and (Path(rows[0]["public"]) / "train.csv").is_file()
    text = _runner("prepare", str(PENGUINS), "--cache-dir", cache)
    assert text.returncode == 0, text.stderr
    assert text.stdout.splitlines() == [
        "penguins-species (cached)", f"  public:  {rows[0]['public']}", f"  private: {rows[0]['private']}",
    ]  # fmt: skip
    refused = _runner("prepare", str(PENGUINS), "--raw", str(tmp_path), "--cache-dir", cache)
    assert refused.returncode == 2 and "--raw is for tasks whose data comes from Kaggle" in refused.stderr
