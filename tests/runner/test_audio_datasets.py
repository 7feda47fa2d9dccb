"""The `espeak` speech corpora: real espeak-ng synthesis, deterministic tables, clips pinned by their SHA-256."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import stat
import wave
from pathlib import Path

import pandas as pd
import pytest

from runner.datasets import (
    RENDER_COLUMNS,
    SPEECH_CORPORA,
    DatasetError,
    espeak_version,
    export_audio_folder,
    list_datasets,
    load_dataset,
    render_clip,
)
from runner.preparation import PreparationError, prepare_task
from spec import load_task
from tests.conftest import require

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _espeak() -> None:
    require(
        None if shutil.which("espeak-ng") else "espeak-ng is not installed",
        "the speech corpora are synthesised by it; .ci/run installs it (apt-get install espeak-ng)",
    )


@pytest.fixture(scope="module")
def numbers() -> pd.DataFrame:
    return load_dataset("espeak:spoken-numbers")


def test_a_corpus_is_a_table_of_clips_with_labels_settings_and_pins(numbers: pd.DataFrame) -> None:
    assert "espeak:spoken-numbers" in list_datasets("espeak")
    assert list(numbers.columns) == ["file", "number", *RENDER_COLUMNS, "sha256"]
    assert len(numbers) == 11 * 32 and numbers["number"].value_counts().eq(32).all()
    assert numbers["file"].is_unique and numbers["sha256"].is_unique, "no two clips are the same recording"
    settings = numbers[["text", "voice", "speed", "pitch"]]
    assert not settings.duplicated().any(), "no clip repeats another's text, voice, speed and pitch"
    assert numbers["voice"].nunique() > 50 and numbers["speed"].nunique() > 5
    row = numbers.iloc[0].to_dict()
    clip = render_clip(row)
    assert hashlib.sha256(clip).hexdigest() == row["sha256"]
    with wave.open(io.BytesIO(clip)) as audio:
        assert (audio.getnchannels(), audio.getsampwidth(), audio.getframerate()) == (1, 2, 22050)
        assert 0.3 < audio.getnframes() / 22050 < 3.0, "a spoken word with a short lead-in and tail"


def test_the_same_corpus_is_the_same_table_in_a_fresh_process(numbers: pd.DataFrame) -> None:
    import subprocess
    import sys

    code = "from runner.datasets import dataset_sha256; print(dataset_sha256('espeak:spoken-numbers'))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    assert done.stdout.strip() == hashlib.sha256(numbers.to_csv(index=False, lineterminator="\n").encode()).hexdigest()


def test_export_writes_wav_files_and_a_labels_table_without_the_settings(tmp_path: Path) -> None:
    count = export_audio_folder("espeak:spoken-numbers", tmp_path / "numbers")
    labels = pd.read_csv(tmp_path / "numbers" / "labels.csv")
    assert count == len(labels) == 352 and list(labels.columns) == ["file", "number"]
    assert all((tmp_path / "numbers" / name).is_file() for name in labels["file"])
    assert "ten to twenty" in (tmp_path / "numbers" / "README.md").read_text(encoding="utf-8")
    with pytest.raises(DatasetError, match="not a speech corpus"):
        export_audio_folder("sklearn:digits", tmp_path / "other")


def _other_espeak(folder: Path) -> Path:
    """An `espeak-ng` that speaks a little louder than the real one: what another version's change looks like."""
    folder.mkdir()
    program = folder / "espeak-ng"
    program.write_text(f'#!/bin/sh\nexec {shutil.which("espeak-ng")} -a 120 "$@"\n', encoding="utf-8")
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    return folder


def test_another_synthesiser_fails_preparation_saying_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    manifest = REPO / "tasks" / "curated" / "spoken-numbers.yaml"
    monkeypatch.setenv("PATH", f"{_other_espeak(tmp_path / 'bin')}{os.pathsep}{os.environ['PATH']}")
    assert shutil.which("espeak-ng") == str(tmp_path / "bin" / "espeak-ng")
    with pytest.raises(PreparationError, match="has changed since the manifest pinned it") as raised:
        prepare_task(load_task(manifest), cache_root=tmp_path / "cache")
    assert "synthesised by espeak-ng, and this machine's (eSpeak NG text-to-speech: " in str(raised.value)


def test_every_corpus_has_one_label_column_and_a_missing_program_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for corpus in SPEECH_CORPORA.values():
        assert len(corpus.labels) == 1 or corpus.name == "speech-rate", corpus.name
    assert espeak_version().startswith("eSpeak NG")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(DatasetError, match="apt-get install espeak-ng"):
        render_clip({"text": "hello", "voice": "en", "speed": 150, "pitch": 50, "noise": 100, "seed": 1})
