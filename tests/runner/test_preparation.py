"""Preparation: sources with verified checksums, declarative splits, scripts with time limits, the content cache."""

from __future__ import annotations

import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from runner.preparation import PreparationError, prepare_into, prepare_task
from spec import parse_manifest
from tests.conftest import CURATED

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


def test_kaggle_source_says_what_is_needed(tmp_path: Path) -> None:
    manifest = _task_with(tmp_path, "dataset: palmerpenguins:penguins", "kaggle: spaceship-titanic")
    with pytest.raises(PreparationError, match="Kaggle credentials"):
        prepare_into(_load(manifest), tmp_path / "out")


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
