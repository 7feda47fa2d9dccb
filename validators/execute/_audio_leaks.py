"""No test clip is a copy of a training clip: neither the same file nor the same recording re-encoded, shifted,
made louder or quieter, or given a little noise.

A copy across the split lets an agent look the answer up instead of learning it. Exact copies are found by the
files' SHA-256. Near copies by their log-mel spectrograms (32 bands, a frame every 4 ms), each floored 5 nats (about
22 dB) below its loudest cell and shifted so the floor is zero: background hiss and silence become zero, a gain change
cancels out, and the best cosine over all time lags ignores where the sound starts. Each test clip is compared with
the `_CANDIDATES` training clips whose mean spectra are closest, so thousands of clips cost thousands of
correlations, not millions. On the espeak-ng corpora the closest distinct clips (the same word in a similar voice)
reach 0.986 (among 583 clips of two corpora); a copy shifted or halved in volume stays above 0.99, one given audible
hiss mostly does (a louder hiss can hide a copy: the check finds copies, not every re-recording).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from spec import LoadedTask, Problem

from .._registry import CheckContext, task_check
from ._copies import MAX_LEAK_SHARE, FileLeaks, copy_problems, split_identical

NEAR_SIMILARITY = 0.99
"""Clips whose floored spectrograms match at least this well at their best lag are the same recording."""
_FLOOR = 5.0
_BANDS = 32
_HOP_S = 0.004
_CANDIDATES = 5


AudioLeaks = FileLeaks
"""Test clips with a copy among the training clips."""


def _spectrogram(path: Path) -> NDArray[np.float64]:
    from runner.preparation import log_mel, read_audio

    rate, samples = read_audio(path.read_bytes(), path.name)
    mel = log_mel(samples, rate, _BANDS, _HOP_S)
    floored: NDArray[np.float64] = np.maximum(mel - (mel.max() - _FLOOR), 0.0)
    norm = float(np.linalg.norm(floored))
    # A silent clip has no sound to compare; a zero spectrogram matches nothing.
    return floored / norm if norm > 1e-12 else floored


def _profile(spectrogram: NDArray[np.float64]) -> NDArray[np.float64]:
    mean: NDArray[np.float64] = spectrogram.mean(axis=0)
    mean = mean - mean.mean()
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm > 1e-12 else mean


def similarity(first: NDArray[np.float64], second: NDArray[np.float64]) -> float:
    """The best cosine of two normalised floored spectrograms over every time lag (bands aligned)."""
    from scipy.signal import fftconvolve

    if not first.any() or not second.any():
        return 0.0
    correlation = fftconvolve(first, second[::-1, ::-1], mode="full")
    # Only the lag axis may slide: the column where every band lines up with itself.
    return float(correlation[:, second.shape[1] - 1].max())


def find_audio_leaks(train: Sequence[Path], test: Sequence[Path]) -> AudioLeaks:
    """The test clips that repeat a training clip, exactly or nearly (see the module doc)."""
    identical, rest = split_identical(train, test)
    near: list[tuple[Path, Path, float]] = []
    if rest and train:
        train_spectra = [_spectrogram(path) for path in train]
        profiles = np.stack([_profile(spectrum) for spectrum in train_spectra])
        for path in rest:
            spectrum = _spectrogram(path)
            closest = np.argsort(profiles @ _profile(spectrum))[-_CANDIDATES:]
            scores = [(similarity(spectrum, train_spectra[int(index)]), int(index)) for index in closest]
            value, index = max(scores)
            if value >= NEAR_SIMILARITY:
                near.append((path, train[index], value))
    return AudioLeaks(tests=len(test), identical=identical, near=near)


@task_check(
    "audio-leaks",
    layer="execute",
    codes=("audio-leak.identical", "audio-leak.near-duplicate"),
    description="An audio (or multimodal) task's test clips are not copies of its training clips: no equal file "
    f"(SHA-256) and no near copy (floored log-mel spectrograms matching with cosine ≥ {NEAR_SIMILARITY} at their best "
    f"time lag); over {MAX_LEAK_SHARE:.0%} of test clips is an error, fewer a warning.",
)
def check_audio_leaks(task: LoadedTask, context: CheckContext) -> Iterator[Problem]:
    from runner.preparation import AUDIO_SUFFIXES, PreparationError, audio_folders

    from ._kit import kit_for

    if task.manifest is None or task.manifest.tags.modality not in ("audio", "multimodal"):
        return  # other tasks are not prepared just to find no audio folders
    kit = kit_for(task, context)
    if isinstance(kit, PreparationError):
        return
    folders = audio_folders(kit.prepared.public)
    if folders is None:
        return  # not an audio task
    train, test = ([p for p in sorted(f.iterdir()) if p.suffix.lower() in AUDIO_SUFFIXES] for f in folders)
    try:
        leaks = find_audio_leaks(train, test)
    except PreparationError as error:
        yield task.problem("audio-leak.identical", f"cannot read the clips: {error}", ("prepare", "split"))
        return
    yield from copy_problems(task, leaks, "audio-leak", "clips", f"≥ {NEAR_SIMILARITY}")
