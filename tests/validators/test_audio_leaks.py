"""The audio leak check: leaky, clean and borderline cases, on real espeak-ng speech and through a prepared task."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from generators import design_audio_folder, write_task
from runner.datasets import export_audio_folder, load_dataset, render_clip, wav_bytes
from runner.preparation import read_audio
from spec import Problem, load_task
from tests.conftest import require
from validators import CheckContext, task_checks
from validators.execute._audio_leaks import MAX_LEAK_SHARE, NEAR_SIMILARITY, find_audio_leaks


@pytest.fixture(scope="module")
def digits() -> pd.DataFrame:
    require(
        None if shutil.which("espeak-ng") else "espeak-ng is not installed",
        "the leak check is tested on real synthesised speech; .ci/run installs it (apt-get install espeak-ng)",
    )
    return load_dataset("espeak:spoken-digits")


def _write(folder: Path, clips: list[bytes]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, clip in enumerate(clips):
        path = folder / f"{index}.wav"
        path.write_bytes(clip)
        paths.append(path)
    return paths


def _samples(clip: bytes) -> tuple[int, np.ndarray]:
    return read_audio(clip, "clip")


def _pcm(samples: np.ndarray, rate: int) -> bytes:
    return wav_bytes(np.clip(np.rint(samples * 32767), -32768, 32767).astype(np.int16), rate)


def test_distinct_clips_of_the_same_words_are_clean(tmp_path: Path, digits: pd.DataFrame) -> None:
    rows = digits.to_dict("records")
    train = _write(tmp_path / "train", [render_clip(row) for row in rows[:200]])
    test = _write(tmp_path / "test", [render_clip(row) for row in rows[200:]])
    leaks = find_audio_leaks(train, test)
    assert leaks.tests == 100 and leaks.identical == [] and leaks.near == []


def test_copies_are_found_by_bytes_and_altered_copies_by_sound(tmp_path: Path, digits: pd.DataFrame) -> None:
    rows = digits.to_dict("records")
    originals = [render_clip(row) for row in rows[:60]]
    train = _write(tmp_path / "train", originals)
    rng = np.random.default_rng(0)
    altered = []
    for clip in originals[20:40]:
        rate, samples = _samples(clip)
        altered.append(_pcm(np.concatenate([np.zeros(3001), samples * 0.5]), rate))  # later start, half as loud
    for clip in originals[40:60]:
        rate, samples = _samples(clip)
        altered.append(_pcm(samples + rng.normal(0, 0.003, len(samples)), rate))  # more hiss
    others = [render_clip(row) for row in rows[100:140]]
    test = _write(tmp_path / "test", [*originals[:20], *altered, *others])
    leaks = find_audio_leaks(train, test)
    assert sorted(int(pair[0].stem) for pair in leaks.identical) == list(range(20))
    near = {int(pair[0].stem): int(pair[1].stem) for pair in leaks.near}
    assert near == {index: index for index in range(20, 60)}, "each altered copy pairs with its original"
    assert all(similarity >= NEAR_SIMILARITY for *_, similarity in leaks.near)


def test_borderline_the_same_word_and_voice_at_another_speed_is_another_recording(
    tmp_path: Path, digits: pd.DataFrame
) -> None:
    rows = digits.to_dict("records")[:40]
    train = _write(tmp_path / "train", [render_clip(row) for row in rows])
    slower = [render_clip({**row, "speed": int(row["speed"]) - 30}) for row in rows]
    leaks = find_audio_leaks(train, _write(tmp_path / "test", slower))
    assert leaks.identical == [] and leaks.near == []


def _leak_problems(manifest: Path, cache: Path) -> list[Problem]:
    [check] = [check for check in task_checks("execute") if check.name == "audio-leaks"]
    return list(check.run(load_task(manifest), CheckContext(cache_root=cache)))


def _duplicate(folder: Path, lines: list[str]) -> None:
    labels = (folder / "labels.csv").read_text(encoding="utf-8").splitlines()
    extra = []
    for index, line in enumerate(lines):
        name, label = line.split(",")
        shutil.copyfile(folder / name, folder / f"audio/copy{index}.wav")
        extra.append(f"audio/copy{index}.wav,{label}")
    (folder / "labels.csv").write_text("\n".join([*labels, *extra]) + "\n", encoding="utf-8")


def test_through_the_check_clean_then_leaky(tmp_path: Path, digits: pd.DataFrame) -> None:
    folder = tmp_path / "digits"
    export_audio_folder("espeak:spoken-digits", folder)
    assert _leak_problems(write_task(design_audio_folder(folder, tmp_path / "clean"), tmp_path / "clean"),
                          tmp_path / "cache") == []  # fmt: skip
    # Leaky: every fifth clip twice, under another name (a typical duplicate in collected recordings).
    labels = (folder / "labels.csv").read_text(encoding="utf-8").splitlines()
    _duplicate(folder, labels[1::5])
    problems = _leak_problems(write_task(design_audio_folder(folder, tmp_path / "leaky"), tmp_path / "leaky"),
                              tmp_path / "cache")  # fmt: skip
    assert [(p.code, p.severity) for p in problems] == [("audio-leak.identical", "error")]
    assert "test clips" in problems[0].message and "= train/" in problems[0].message


def test_borderline_a_copy_among_many_test_clips_is_a_warning(tmp_path: Path, digits: pd.DataFrame) -> None:
    """Two corpora in one folder (146 test clips): one copy across the split is under 1% of them."""
    folder = tmp_path / "words"
    export_audio_folder("espeak:spoken-digits", folder)
    export_audio_folder("espeak:commands", tmp_path / "commands")
    names = []
    for index, name in enumerate(sorted((tmp_path / "commands" / "audio").iterdir())):
        shutil.copyfile(name, folder / "audio" / f"c{index}.wav")
        names.append(f"audio/c{index}.wav")
    commands = pd.read_csv(tmp_path / "commands" / "labels.csv")
    digit_labels = pd.read_csv(folder / "labels.csv")
    table = pd.concat([
        pd.DataFrame({"file": digit_labels["file"], "label": digit_labels["digit"].astype(str)}),
        pd.DataFrame({"file": names, "label": commands["word"]}),
    ])  # fmt: skip
    table.to_csv(folder / "labels.csv", index=False)
    _duplicate(folder, [table.iloc[0].to_list()[0] + "," + table.iloc[0].to_list()[1]])
    problems = _leak_problems(write_task(design_audio_folder(folder, tmp_path / "few"), tmp_path / "few"),
                              tmp_path / "cache")  # fmt: skip
    assert [(p.code, p.severity) for p in problems] == [("audio-leak.identical", "warning")]
    assert "1 of 146 test clips (0.7%)" in problems[0].message
    assert MAX_LEAK_SHARE == 0.01
