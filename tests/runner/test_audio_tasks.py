"""Audio tasks from a folder of WAV files with a labels table (the user's own recordings): thousands of clips in any
WAV encoding become `train/<id>.wav` and `test/<id>.wav` (16-bit mono PCM, no metadata) with id tables, and grade.
The clips here are made with numpy, so these tests need no synthesiser."""

from __future__ import annotations

import time
import wave
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.io import wavfile

from generators import ImageFolderError, design_audio_folder, is_audio_folder, is_image_folder, write_task
from runner.grading import grade_submission
from runner.preparation import PreparationError, audio_features, audio_folders, prepare_task, read_audio
from spec import DeclarativePrepare, load_task

RATE = 8000


def _chirps(folder: Path, count: int) -> pd.DataFrame:
    """`count` short clips in four WAV encodings: a rising or falling tone in hiss, the direction the label."""
    rng = np.random.default_rng(0)
    (folder / "clips").mkdir(parents=True)
    rows = []
    for index in range(count):
        direction = ("rising", "falling")[index % 2]
        length = int(rng.integers(300, 600))
        start, end = sorted(rng.uniform(300, 2500, 2))
        if direction == "falling":
            start, end = end, start
        phase = 2 * np.pi * np.cumsum(np.linspace(start, end, length)) / RATE
        signal = 0.4 * np.sin(phase) + rng.normal(0, 0.05, length)
        name = f"clips/{direction}-{index}.wav"  # the label in the name, as real folders often have it
        encoding = index % 4
        if encoding == 0:
            wavfile.write(folder / name, RATE, np.round(signal * 32767).astype(np.int16))
        elif encoding == 1:
            wavfile.write(folder / name, RATE, np.round(signal * 127 + 128).astype(np.uint8))
        elif encoding == 2:
            wavfile.write(folder / name, RATE, signal.astype(np.float32))
        else:
            stereo = np.round(np.stack([signal, signal], axis=1) * 2**30).astype(np.int32)
            wavfile.write(folder / name, RATE, stereo)
        rows.append({"path": name, "direction": direction})
    table = pd.DataFrame(rows)
    table.to_csv(folder / "labels.csv", index=False)
    return table


def test_thousands_of_clips_in_any_wav_encoding_prepare_and_grade(tmp_path: Path) -> None:
    folder = tmp_path / "chirps"
    _chirps(folder, 2000)
    assert is_audio_folder(folder) and not is_image_folder(folder)
    out = tmp_path / "tasks"
    task = design_audio_folder(folder, out)
    assert task.id == "chirps-direction" and task.manifest["tags"]["modality"] == "audio"
    manifest_path = write_task(task, out)
    loaded = load_task(manifest_path)
    manifest = loaded.manifest
    assert manifest is not None and isinstance(manifest.prepare, DeclarativePrepare)
    assert manifest.prepare.split.audio is not None and manifest.prepare.split.audio.archive == "audio"
    started = time.perf_counter()
    prepared = prepare_task(loaded, cache_root=tmp_path / "cache")
    assert time.perf_counter() - started < 60, "2,000 clips prepare in well under a minute"
    public, private = prepared.public, prepared.private
    assert audio_folders(public) == (public / "train", public / "test")
    train, test = pd.read_csv(public / "train.csv"), pd.read_csv(public / "test.csv")
    assert list(train.columns) == ["id", "direction"] and list(test.columns) == ["id"]
    assert len(train) + len(test) == 2000 and len(test) == 500
    assert sorted(p.stem for p in (public / "train").iterdir()) == sorted(map(str, train["id"]))
    assert sorted(p.stem for p in (public / "test").iterdir()) == sorted(map(str, test["id"]))
    names = " ".join(p.name for p in public.rglob("*"))
    assert "rising" not in names and "falling" not in names, "file names are ids, not the original names"
    for path in sorted((public / "test").iterdir())[:8]:
        with wave.open(str(path)) as clip:
            assert (clip.getnchannels(), clip.getsampwidth(), clip.getframerate()) == (1, 2, RATE)
            # The header and the samples only: 44 bytes of RIFF/fmt/data headers, no metadata chunks.
            assert path.stat().st_size == 44 + 2 * clip.getnframes()
        rate, samples = read_audio(path.read_bytes(), path.name)
        assert rate == RATE and 0.2 < np.abs(samples).max() < 1.0
    answers = pd.read_csv(private / "answers.csv")
    assert set(answers["id"]) == set(test["id"])
    sample = grade_submission(manifest, manifest_path, public / "sample_submission.csv", private)
    assert sample.valid and sample.score == pytest.approx(0.5)
    perfect = tmp_path / "perfect.csv"
    answers.to_csv(perfect, index=False)
    assert grade_submission(manifest, manifest_path, perfect, private).score == 1.0
    wrong = answers.assign(direction=answers["direction"].map({"rising": "falling", "falling": "rising"}))
    wrong.iloc[:-1].to_csv(tmp_path / "short.csv", index=False)
    short = grade_submission(manifest, manifest_path, tmp_path / "short.csv", private)
    assert not short.valid and short.reason


def test_features_tell_a_rising_tone_from_a_falling_one(tmp_path: Path) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score

    table = _chirps(tmp_path / "chirps", 200)
    features = audio_features([tmp_path / "chirps" / name for name in table["path"]])
    assert features.shape == (200, 143) and np.isfinite(features).all()
    accuracy = cross_val_score(LogisticRegression(max_iter=2000), features, table["direction"], cv=4).mean()
    assert accuracy > 0.8


def test_unusable_audio_folders_say_what_is_wrong(tmp_path: Path) -> None:
    folder = tmp_path / "chirps"
    table = _chirps(folder, 240)
    (folder / "labels.csv").unlink()
    with pytest.raises(ImageFolderError, match="no labels table"):
        design_audio_folder(folder, tmp_path / "out")
    table.assign(path=table["path"].str.replace("clips/", "elsewhere/")).to_csv(folder / "labels.csv", index=False)
    with pytest.raises(ImageFolderError, match="no column of the labels table names the files"):
        design_audio_folder(folder, tmp_path / "out")
    table.to_csv(folder / "labels.csv", index=False)
    (folder / "clips" / "rising-0.wav").write_bytes(b"RIFF not really")
    task = design_audio_folder(folder, tmp_path / "out")
    with pytest.raises(PreparationError, match=r"rising-0\.wav is not a readable WAV file"):
        prepare_task(load_task(write_task(task, tmp_path / "out")), cache_root=tmp_path / "cache")
