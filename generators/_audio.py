"""The `--no-llm` generators for audio: one task per speech corpus (`espeak:<name>`) or per folder of audio files.

A speech corpus task keeps no audio in the catalogue: its source is the packaged corpus, pinned by the SHA-256 of
its table (which holds every clip's SHA-256), and preparation synthesises the clips again (`split.audio` without an
archive). A folder of WAV files with a labels table (the user's own recordings) becomes a task like an image folder's:
`<id>/audio.zip` and `<id>/labels.csv`, both pinned. Either way the agent sees `train/<id>.wav`, `test/<id>.wav` and
the id tables (see `runner.preparation`), and the reference solution learns from MFCC summaries.
"""

from __future__ import annotations

import time
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from ._design import GENERATOR_VERSION, TASK_VERSION, TaskDesign, slugify
from ._generate import (
    DatasetRecord,
    GenerationReport,
    Progress,
    _read_log,
    _write_log,
    generate_each,
    keep_if_verified,
    packaged_sha256,
    rejecter,
)
from ._images import (
    TEST_SIZE,
    ImageFolderError,
    _check_classes,
    _file_column,
    _hidden,
    _label_column,
    _labels_table,
    _readme,
    _sha256,
    _write_zip,
)

if TYPE_CHECKING:
    import pandas as pd

AUDIO_GENERATOR_NAME = "audio"
SPEECH_PROVIDER = "espeak"
_GROUPS = {"text": "the phrase spoken", "voice": "the voice (accent and variant)"}
REGRESSION_TARGETS = ("rate",)
"""Corpus label columns that are quantities (a regression task); the others are classes."""

SOLUTION = '''"""Reference solution: a summary of each clip's MFCCs (means, spreads, deltas, thirds), its duration
and loudness, standardised, and a {model}. One thread, seeded."""

import os

os.environ["OMP_NUM_THREADS"] = "1"
os.environ["OPENBLAS_NUM_THREADS"] = "1"

from pathlib import Path

import numpy as np
import pandas as pd
from scipy.fft import dct
from scipy.io import wavfile
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

TARGET = {target!r}
data = Path(os.environ["BENCHSMITH_DATA"])
train = pd.read_csv(data / "train.csv")
test = pd.read_csv(data / "test.csv")


def mel_filters(rate, size, bands=40):
    mel = lambda hz: 2595.0 * np.log10(1.0 + hz / 700.0)
    edges = 700.0 * (10 ** (np.linspace(mel(20.0), mel(min(8000.0, rate / 2)), bands + 2) / 2595.0) - 1.0)
    freqs = np.fft.rfftfreq(size, 1.0 / rate)
    low, centre, high = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (freqs - low) / np.maximum(centre - low, 1e-9)
    falling = (high - freqs) / np.maximum(high - centre, 1e-9)
    return np.clip(np.minimum(rising, falling), 0.0, None)


def features(path):
    rate, samples = wavfile.read(path)
    samples = samples.astype(np.float64) / 32768.0
    if samples.ndim == 2:
        samples = samples.mean(axis=1)
    width, hop = round(0.025 * rate), round(0.010 * rate)
    size = 1 << (width - 1).bit_length()
    samples = np.pad(samples, (0, max(0, width - len(samples))))
    frames = np.lib.stride_tricks.sliding_window_view(samples, width)[::hop] * np.hanning(width)
    power = np.abs(np.fft.rfft(frames, n=size, axis=1)) ** 2
    spectrogram = np.log(power @ mel_filters(rate, size).T + 1e-10)
    mfcc = dct(spectrogram, type=2, norm="ortho", axis=1)[:, :20]
    energy = spectrogram.max(axis=1)
    loud = energy >= energy.max() - 6.0  # the speech, not the hiss between words
    voiced = mfcc[loud] if loud.sum() >= 3 else mfcc
    if len(voiced) < 3:  # a clip of a frame or two: each frame stands for a third
        voiced = np.repeat(voiced, 3, axis=0)
    delta = np.diff(voiced, axis=0) if len(voiced) > 1 else np.zeros((1, 20))
    thirds = [part.mean(axis=0) for part in np.array_split(voiced, 3)]
    extra = [len(samples) / rate, loud.sum() * 0.01, np.sqrt(np.mean(samples**2))]
    return np.concatenate([voiced.mean(0), voiced.std(0), delta.mean(0), delta.std(0), *thirds, extra])


def table(folder, ids):
    return np.stack([features(data / folder / f"{{identifier}}.wav") for identifier in ids])


{fit}
submission = pd.DataFrame({{"id": test["id"], TARGET: predicted}})
submission.to_csv(os.environ["BENCHSMITH_SUBMISSION"], index=False)
'''

_CLASSIFY = """model = make_pipeline(StandardScaler(), LogisticRegression(C=0.5, max_iter=5000, random_state=0))
model.fit(table("train", train["id"]), train[TARGET].astype(str))
predicted = model.predict(table("test", test["id"]))
"""
_REGRESS = """model = make_pipeline(StandardScaler(), Ridge(alpha=10.0))
model.fit(table("train", train["id"]), train[TARGET].astype(float))
predicted = model.predict(table("test", test["id"]))
"""


def solution_for(target: str, regression: bool) -> str:
    """The reference solution of an audio task predicting `target`."""
    return SOLUTION.format(
        target=target,
        model="ridge regression" if regression else "logistic regression",
        fit=_REGRESS if regression else _CLASSIFY,
    )


def _description(title: str, target: str, table: pd.DataFrame, about: str, regression: bool,
                 group: str | None = None) -> str:  # fmt: skip
    if regression:
        values = table[target].astype(float)
        what = (
            f"Estimate `{target}` from each test clip (a number from {values.min():g} to {values.max():g}, mean "
            f"{values.mean():.1f})."
        )
        metric = f"`rmse` (lower is better): the root mean squared error of the predicted `{target}`."
        sample = "gives every clip the training mean"
    else:
        counts = table[target].astype(str).value_counts().sort_index()
        classes = ", ".join(f"`{label}` ({count})" for label, count in counts.items())
        what = (
            f"Classify audio clips: predict the label `{target}` of each test clip. Labels and clip counts: {classes}."
        )
        metric = "`accuracy` (higher is better): the share of test clips labelled correctly."
        sample = "gives every clip the commonest label"
    return (
        f"# {title}\n\n"
        f"{what}\n\n"
        f"{about + chr(10) + chr(10) if about else ''}"
        + (
            f"The test set is about {TEST_SIZE:.0%} of the clips, split by {_GROUPS.get(group, group)}: no test "
            "clip shares it with a training clip.\n\n"
            if group is not None
            else f"The test set is a {'random' if regression else 'stratified'} {TEST_SIZE:.0%} of the clips.\n\n"
        )
        + "## Files\n\n"
        "- `train/<id>.wav`: the training clips, 16-bit mono PCM WAV files named by their id.\n"
        "- `test/<id>.wav`: the test clips, the same way.\n"
        f"- `train.csv`: `id,{target}`, one row per training clip: its id (its file name) and its {target}.\n"
        "- `test.csv`: `id`, one row per test clip.\n"
        f"- `sample_submission.csv`: a valid submission that {sample}.\n\n"
        "File names are random ids: they say nothing about the label. Clips were re-encoded without metadata.\n\n"
        "## Submission\n\n"
        f"A CSV with the header `id,{target}` and one row per test id, holding the prediction.\n\n"
        f"## Metric\n\n{metric}\n"
    )


def _manifest(identifier: str, title: str, target: str, problem: str, sources: list[dict[str, Any]],
              audio: dict[str, Any], license_text: str, by: str, raw_sha256: str, keywords: list[str],
              group: str | None = None) -> dict[str, Any]:  # fmt: skip
    regression = problem == "regression"
    method = "group" if group is not None else "random" if regression else "stratified"
    return {
        "schema_version": 1,
        "id": identifier,
        "version": TASK_VERSION,
        "kind": "competition",
        "title": title[:200],
        "description": f"{identifier}/description.md",
        "tags": {"modality": "audio", "problem": problem, "domain": "speech", "keywords": keywords},
        "license": license_text,
        "sources": sources,
        "prepare": {
            "split": {
                "method": method,
                "target": target,
                **({"group_column": group} if group is not None else {}),
                "test_size": TEST_SIZE,
                "seed": 0,
                "source": sources[0]["name"],
                "audio": audio,
            }
        },
        "submission": {"id_column": "id", "columns": [target]},
        "metric": {"name": "rmse", "higher_is_better": False}
        if regression
        else {"name": "accuracy", "higher_is_better": True},
        "baselines": {"reference": {"script": f"{identifier}/solution.py", "tolerance": 1e-6}},
        "environment": {"python": "3.11", "packages": ["pandas", "numpy", "scipy", "scikit-learn"]},
        "resources": {"cpus": 2, "memory_gb": 2, "time_limit": "15m"},
        "provenance": {
            "origin": "generated",
            "by": by,
            "generator": {"name": AUDIO_GENERATOR_NAME, "version": GENERATOR_VERSION, "raw_sha256": raw_sha256},
        },
    }


def _problem(table: pd.DataFrame, target: str) -> str:
    if target in REGRESSION_TARGETS:
        return "regression"
    return "binary" if table[target].nunique() == 2 else "multiclass"


def design_speech(reference: str, *, table: Any = None, sha256: str | None = None) -> TaskDesign:
    """The task for the speech corpus `reference` (`espeak:<name>`) on its label column. `table` and `sha256`, when
    the caller has them, spare synthesising the corpus again."""
    from runner.datasets import RENDER_COLUMNS, SPEECH_CORPORA, dataset_sha256, load_dataset

    name = reference.partition(":")[2]
    table = load_dataset(reference) if table is None else table
    targets = [c for c in table.columns if c not in (*RENDER_COLUMNS, "file", "sha256")]
    if len(targets) != 1:
        raise ValueError(f"{reference}: expected one label column, found {', '.join(targets) or 'none'}")
    target = targets[0]
    problem = _problem(table, target)
    identifier = slugify(f"speech-{name}-{target}")
    kind = "estimate" if problem == "regression" else "classify"
    title = f"{name} (espeak-ng speech) — {kind} {len(table):,} spoken clips by {target} ({problem})"
    sha = sha256 or dataset_sha256(reference)
    about = SPEECH_CORPORA[name].about + (
        " The clips were synthesised by espeak-ng (its voices, variants, speeds and pitches drawn at random for each "
        "clip), then given a random lead-in, tail, gain and background hiss."
    )
    manifest = _manifest(
        identifier, title, target, problem, [{"name": "speech", "dataset": reference, "sha256": sha}],
        {"file_column": "file"}, "GPL-3.0-or-later (espeak-ng's voice data); the texts are common words",
        "benchsmith generators (speech corpus)", sha, ["generated", "espeak-ng", "synthetic-speech"],
        SPEECH_CORPORA[name].group,
    )  # fmt: skip
    return TaskDesign(
        id=identifier,
        manifest=manifest,
        description=_description(title, target, table, about, problem == "regression", SPEECH_CORPORA[name].group),
        solution=solution_for(target, problem == "regression"),
    )


def _process(reference: str, sha256: str | None, out: Path, cache_root: Path | None, report: GenerationReport
             ) -> DatasetRecord:  # fmt: skip
    from runner.datasets import DatasetError, dataset_sha256, load_dataset

    record = DatasetRecord()
    reject = rejecter(report, record, reference)
    try:
        record.sha256 = sha256 or dataset_sha256(reference)
        table = load_dataset(reference)
    except DatasetError as error:
        reject("profile", "dataset.unloadable", str(error))
        return record
    report.profiled += 1
    report.proposed += 1
    task = design_speech(reference, table=table, sha256=record.sha256)
    report.designed += 1
    keep_if_verified(task, out, cache_root, record, report, reject)
    return record


def generate_speech(
    references: list[str], out: Path, cache_root: Path | None = None, progress: Progress | None = None
) -> GenerationReport:
    """Validated audio tasks into `out`, one per speech corpus (default: every `espeak:` corpus). Rejections are
    logged in `out/generation-log.json` like the other generators', and `out/README.md` is rewritten from the log.
    The default leaves out corpora a hand-written task uses (`SpeechCorpus.curated`).
    A corpus an earlier run handled (same table, its task still present and sound) is skipped."""
    from runner.datasets import SPEECH_CORPORA

    references = references or [
        f"{SPEECH_PROVIDER}:{name}" for name, corpus in sorted(SPEECH_CORPORA.items()) if not corpus.curated
    ]
    return generate_each(
        references,
        out,
        lambda reference, sha256, report: _process(reference, sha256, out, cache_root, report),
        progress,
        fingerprint=packaged_sha256,
    )


def is_audio_folder(path: Path) -> bool:
    """A folder that holds audio files (a labels table beside them is checked later)."""
    from runner.preparation import AUDIO_SUFFIXES

    return path.is_dir() and any(
        item.is_file() and item.suffix.lower() in AUDIO_SUFFIXES and not _hidden(item, path) for item in path.rglob("*")
    )


def design_audio_folder(folder: Path, out: Path, target: str | None = None, *, task_name: str | None = None
                        ) -> TaskDesign:  # fmt: skip
    """Write the task's data files into `out/<id>/` (`audio.zip`, `labels.csv`) and return its design.

    Raises `ImageFolderError` (the folder generators' error) when the folder is not a usable set of labelled clips.
    """
    import pandas as pd

    from runner.preparation import AUDIO_SUFFIXES, write_csv

    _, table = _labels_table(folder)
    file_column = _file_column(folder, table, AUDIO_SUFFIXES)
    label = _label_column(table, file_column, target)
    if label == "file":
        raise ImageFolderError("the label column may not be called `file`; rename it")
    table = table[table[label].notna()]
    regression = label in REGRESSION_TARGETS
    if not regression:
        _check_classes(table[label])
    identifier = slugify(f"{task_name or folder.name}-{label}")
    data = out / identifier
    data.mkdir(parents=True, exist_ok=True)
    names = [PurePosixPath(str(value)).as_posix() for value in table[file_column]]
    labels = pd.DataFrame({"file": names, label: table[label].to_numpy()})
    _write_zip(folder, names, data / "audio.zip")
    write_csv(labels, data / "labels.csv")
    problem = _problem(labels, label)
    title = f"{task_name or folder.name} — classify {len(labels):,} audio clips by {label} ({problem})"
    archive_sha = _sha256(data / "audio.zip")
    sources = [
        {"name": "labels", "file": f"{identifier}/labels.csv", "sha256": _sha256(data / "labels.csv")},
        {"name": "audio", "file": f"{identifier}/audio.zip", "sha256": archive_sha},
    ]
    manifest = _manifest(
        identifier, title, label, problem, sources, {"file_column": "file", "archive": "audio"},
        "your own data; its owner's terms apply", "benchsmith generators (audio folder)", archive_sha,
        ["generated", "audio-folder"],
    )  # fmt: skip
    return TaskDesign(
        id=identifier,
        manifest=manifest,
        description=_description(title, label, labels, _readme(folder), regression),
        solution=solution_for(label, regression),
    )


def _process_folder(folder: Path, reference: str, out: Path, cache_root: Path | None, target: str | None,
                    report: GenerationReport) -> DatasetRecord:  # fmt: skip
    record = DatasetRecord()
    reject = rejecter(report, record, reference)
    try:
        task = design_audio_folder(folder, out, target)
    except ImageFolderError as error:
        reject("profile", "audio.unusable", str(error))
        return record
    report.profiled += 1
    report.proposed += 1
    report.designed += 1
    record.sha256 = task.manifest["provenance"]["generator"]["raw_sha256"]
    keep_if_verified(task, out, cache_root, record, report, reject)
    return record


def generate_audio_folders(
    folders: list[Path], out: Path, cache_root: Path | None = None, target: str | None = None
) -> GenerationReport:
    """One validated audio task per folder into `out` (see the module doc); rejections are logged in
    `out/generation-log.json` under `audio:<folder>`."""
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    log = _read_log(out)
    report = GenerationReport(datasets=len(folders))
    for folder in folders:
        reference = f"audio:{folder.resolve().as_posix()}"
        begun = time.perf_counter()
        log.datasets[reference] = _process_folder(folder, reference, out, cache_root, target, report)
        log.seconds += time.perf_counter() - begun
        _write_log(out, log)
    report.seconds = time.perf_counter() - started
    return report
