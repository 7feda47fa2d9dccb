"""Audio tasks: split a table whose rows are audio clips into WAV files under public/, and read them back as features.

The layout an agent sees: `public/train/<id>.wav` and `public/test/<id>.wav`, `public/train.csv` (id, target),
`public/test.csv` (id) and `public/sample_submission.csv`; the answers in `private/answers.csv`. Files are named by
the task's shuffled ids, never by their original names (which often spell the label), and re-encoded as 16-bit mono
PCM WAV with no chunk but the format and the samples, so nothing but the sound goes public. Clips come from a zip
archive source, or are synthesised from a packaged speech corpus (`espeak:<name>`) and checked against its pins.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from spec import AnyTask, DeclarativePrepare, PackagedSource

from ._errors import PreparationError
from ._media import (
    TEST_FOLDER,
    TRAIN_FOLDER,
    MediaArchive,
    media_folders,
    media_paths,
    with_file_features,
    write_split_tables,
)

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import NDArray

AUDIO_SUFFIXES = (".wav",)
"""Suffixes read as audio (a folder given to `runner generate`, members of an audio archive): PCM or float WAV."""
_FIELD: tuple[str | int, ...] = ("prepare", "split", "audio")
_MEL_BANDS = 40
_MFCC = 20


def read_audio(data: bytes, name: str) -> tuple[int, NDArray[np.float64]]:
    """A WAV file's sample rate and its samples as mono floats in [-1, 1]; PreparationError when it is no WAV."""
    from scipy.io import wavfile

    try:
        rate, samples = wavfile.read(io.BytesIO(data))
    except (ValueError, OSError, EOFError) as error:
        raise PreparationError(f"{name} is not a readable WAV file: {error}", _FIELD) from None
    values = np.asarray(samples)
    if values.dtype.kind in "iu":
        info = np.iinfo(values.dtype)
        # 8-bit WAV is unsigned around 128; wider PCM is signed around 0.
        values = (values.astype(np.float64) - (info.max + 1) / 2 if values.dtype.kind == "u" else values) / (
            float(info.max) + 1
        )
    values = values.astype(np.float64)
    if values.ndim == 2:
        values = values.mean(axis=1)
    return int(rate), values


def _reencoded(data: bytes, name: str) -> bytes:
    """The clip as 16-bit mono PCM WAV at its own rate, with no metadata."""
    from runner.datasets import wav_bytes

    rate, samples = read_audio(data, name)
    if samples.size == 0:
        raise PreparationError(f"{name} holds no samples", _FIELD)
    return wav_bytes(np.clip(np.rint(samples * 32767.0), -32768, 32767).astype(np.int16), rate)


def _corpus_reference(task: AnyTask, source: str) -> str:
    found = next((s for s in task.sources if s.name == source), None)
    if not isinstance(found, PackagedSource) or not found.dataset.startswith("espeak:"):
        raise PreparationError(
            f"audio without an archive is synthesised from a packaged speech corpus (`espeak:<name>`), but source "
            f"{source!r} is not one; name a zip of the audio files as `archive`",
            (*_FIELD, "archive"),
        )
    return found.dataset


def _synthesised(reference: str, row: Mapping[Any, Any]) -> bytes:
    from runner.datasets import DatasetError, espeak_version, render_clip

    try:
        data = render_clip(row)
    except DatasetError as error:
        raise PreparationError(f"source {reference}: {error}", _FIELD) from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != row.get("sha256"):
        raise PreparationError(
            f"{reference}: {espeak_version()} synthesised {row.get('file')} differently from the audio the task "
            f"pinned (sha256 {actual}, pinned {row.get('sha256')}): another espeak-ng version speaks differently; "
            "install the version the task was made with, or regenerate the task and bump its version",
            _FIELD,
        )
    return data


def prepare_audio_split(task: AnyTask, raw_files: dict[str, Path], public: Path, private: Path) -> None:
    """The declarative split of an audio task: rows of the source table become WAV files, see the module doc."""
    import pandas as pd

    from ._split import (
        _read_table,
        _split_rows,
        _with_ids,
    )

    assert isinstance(task.prepare, DeclarativePrepare) and task.prepare.split.audio is not None
    assert task.submission is not None
    split, audio = task.prepare.split, task.prepare.split.audio
    id_column = task.submission.id_column
    source = split.source or next(name for name in raw_files if name != audio.archive)
    table = _read_table(raw_files[source])
    needed = ((split.target, ("prepare", "split", "target")), (audio.file_column, (*_FIELD, "file_column")))
    for column, where in needed:
        if column not in table.columns:
            raise PreparationError(f"column {column!r} not in source {source!r}", where)
    archive = None
    reference = None
    if audio.archive is not None:
        if audio.archive not in raw_files:
            raise PreparationError(f"no source named {audio.archive!r}", (*_FIELD, "archive"))
        archive = MediaArchive(raw_files[audio.archive], "audio", _FIELD)
    else:
        reference = _corpus_reference(task, source)
    labelled = table[split.target].notna().to_numpy()
    table = table[labelled].reset_index(drop=True)
    kept = table[[*([split.id_column] if split.id_column else []), audio.file_column, split.target]]
    if split.group_column is not None:
        kept = kept.assign(**{split.group_column: table[split.group_column]})
    rows = table.to_dict("records")
    if reference is not None:
        # The texts as written: read as a table, a spoken word such as "null" or "NA" would become a missing value.
        verbatim = pd.read_csv(raw_files[source], dtype=str, keep_default_na=False)
        rows = verbatim[labelled].reset_index(drop=True).to_dict("records")
    train, test = _split_rows(_with_ids(kept, split, id_column), split)
    for frame, folder in ((train, TRAIN_FOLDER), (test, TEST_FOLDER)):
        (public / folder).mkdir(parents=True, exist_ok=True)
        for position, identifier in zip(frame.index, frame[id_column].to_numpy(), strict=True):
            row = rows[int(position)]
            name = str(row[audio.file_column])
            if archive is not None:
                data = _reencoded(archive.read(name), name)
            else:
                assert reference is not None
                data = _synthesised(reference, row)
            (public / folder / f"{identifier}.wav").write_bytes(data)
    write_split_tables(task, train, test, split.target, public, private)


def audio_folders(public: Path) -> tuple[Path, Path] | None:
    """`public/train` and `public/test` when both hold audio clips (an audio task's layout), else None."""
    return media_folders(public, AUDIO_SUFFIXES)


def audio_paths(folder: Path, ids: Sequence[object]) -> list[Path]:
    """The clip of each id in `folder` (`<id>.wav`); PreparationError naming the first id without one."""
    return media_paths(folder, ids, AUDIO_SUFFIXES, "audio clip")


def _mel_filters(rate: int, size: int, bands: int) -> NDArray[np.float64]:
    """Triangular filters on the mel scale over an rfft of `size` points, up to 8 kHz or the Nyquist frequency."""

    def mel(hz: NDArray[np.float64]) -> NDArray[np.float64]:
        return 2595.0 * np.log10(1.0 + hz / 700.0)

    top = min(8000.0, rate / 2)
    edges = 700.0 * (10 ** (np.linspace(mel(np.array(20.0)), mel(np.array(top)), bands + 2) / 2595.0) - 1.0)
    freqs = np.fft.rfftfreq(size, 1.0 / rate)
    low, centre, high = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (freqs[None, :] - low) / np.maximum(centre - low, 1e-9)
    falling = (high - freqs[None, :]) / np.maximum(high - centre, 1e-9)
    filters: NDArray[np.float64] = np.clip(np.minimum(rising, falling), 0.0, None)
    return filters


def log_mel(
    samples: NDArray[np.float64], rate: int, bands: int = _MEL_BANDS, hop_s: float = 0.010
) -> NDArray[np.float64]:
    """The log-mel spectrogram (frames x bands) of a clip: 25 ms Hann windows every `hop_s` seconds."""
    width = max(round(0.025 * rate), 16)
    hop = max(round(hop_s * rate), 1)
    size = 1 << (width - 1).bit_length()
    if len(samples) < width:
        samples = np.pad(samples, (0, width - len(samples)))
    frames = np.lib.stride_tricks.sliding_window_view(samples, width)[::hop] * np.hanning(width)
    power = np.abs(np.fft.rfft(frames, n=size, axis=1)) ** 2
    spectrogram: NDArray[np.float64] = np.log(power @ _mel_filters(rate, size, bands).T + 1e-10)
    return spectrogram


def clip_features(samples: NDArray[np.float64], rate: int) -> NDArray[np.float64]:
    """A fixed-length summary of a clip: mean and spread of its MFCCs and their deltas over the loud frames, the
    MFCCs of its thirds, its duration and loudness."""
    from scipy.fft import dct

    spectrogram = log_mel(samples, rate)
    mfcc = dct(spectrogram, type=2, norm="ortho", axis=1)[:, :_MFCC]
    energy = spectrogram.max(axis=1)
    loud = energy >= energy.max() - 6.0  # within ~26 dB of the loudest frame: the speech, not the hiss
    voiced = mfcc[loud] if loud.sum() >= 3 else mfcc
    if len(voiced) < 3:  # a clip of a frame or two: each frame stands for a third
        voiced = np.repeat(voiced, 3, axis=0)
    delta = np.diff(voiced, axis=0) if len(voiced) > 1 else np.zeros((1, _MFCC))
    thirds = [part.mean(axis=0) for part in np.array_split(voiced, 3)]
    summary = [voiced.mean(0), voiced.std(0), delta.mean(0), delta.std(0), *thirds]
    extra = np.array([len(samples) / rate, float(loud.sum()) * 0.01, float(np.sqrt(np.mean(samples**2)) + 1e-9)])
    return np.concatenate([*summary, extra])


def audio_features(paths: Sequence[Path]) -> NDArray[np.float64]:
    """`clip_features` of each clip, one row per path."""
    rows = []
    for path in paths:
        rate, samples = read_audio(path.read_bytes(), path.name)
        rows.append(clip_features(samples, rate))
    if not rows:
        return np.zeros((0, 0))
    return np.stack(rows)


def with_audio_features(public: Path, train: pd.DataFrame, test: pd.DataFrame, id_column: str
                        ) -> tuple[pd.DataFrame, pd.DataFrame]:  # fmt: skip
    """For an audio task, train and test with `audio_<i>` feature columns computed from their clips (for tabular
    solvers); other tasks' tables unchanged."""
    return with_file_features(public, train, test, id_column, AUDIO_SUFFIXES, "audio clip", audio_features, "audio_")
