"""The `--no-llm` generator for time-series classification: tasks from the UCR/UEA problems of the `aeon` provider.

Each problem gives a task on all its classes; one of more than two classes may also give tasks on its closest
class pairs (mean training series nearest each other: the pairs hardest to tell apart), as many as
`max_per_dataset` allows, each with at least 50 test series.

The archive's own train/test division is kept (the fair one: its test series were recorded apart from the
training ones), so each task is prepared by a short `prepare.py` that splits on the table's `split` column rather
than by the declarative random split. The metric is the log loss over one probability column per class.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ._design import GENERATOR_VERSION, TASK_VERSION, TaskDesign, slugify
from ._generate import (
    DatasetRecord,
    GenerationReport,
    Progress,
    generate_each,
    keep_if_verified,
    packaged_sha256,
    rejecter,
)

SERIES_GENERATOR_NAME = "time-series"
SERIES_PROVIDER = "aeon"

PREPARE = '''"""Split on the archive's own train/test division; shuffled ids, so row order tells nothing."""

from pathlib import Path

import numpy as np
import pandas as pd


def prepare(raw: Path, public: Path, private: Path) -> None:
    table = pd.read_csv(Path(raw) / "series.csv", dtype={{"label": str}})
    classes = {classes!r}
    table = table[table["label"].isin(classes)].reset_index(drop=True)
    order = np.random.default_rng(0).permutation(len(table))
    table.insert(0, "id", order + 1)
    table = table.sort_values("id")
    train = table[table.pop("split") == "train"]
    test = table.loc[~table["id"].isin(train["id"])]
    train.to_csv(Path(public) / "train.csv", index=False)
    test.drop(columns=["label"]).to_csv(Path(public) / "test.csv", index=False)
    test[["id", "label"]].to_csv(Path(private) / "answers.csv", index=False)
    shares = train["label"].value_counts(normalize=True)
    sample = test[["id"]].assign(**{{label: float(shares.get(label, 0.0)) for label in classes}})
    sample.to_csv(Path(public) / "sample_submission.csv", index=False)
'''

SOLUTION = '''"""Reference solution: shape features of each series (resampled values, differences, spectrum, summary
statistics), standardised, and a logistic regression."""

import os
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

data = Path(os.environ["BENCHSMITH_DATA"])
train = pd.read_csv(data / "train.csv", dtype={{"label": str}})
test = pd.read_csv(data / "test.csv")
classes = list(pd.read_csv(data / "sample_submission.csv", nrows=1).columns[1:])
values = [c for c in test.columns if c != "id"]
channels = sorted({{c.split("_")[0] for c in values}}) if "_" in values[0] else [None]


def features(table):
    parts = []
    for channel in channels:
        columns = [c for c in values if channel is None or c.startswith(channel + "_")]
        series = table[columns].to_numpy(dtype=float)
        length = np.maximum((~np.isnan(series)).sum(axis=1), 2)
        grid = np.linspace(0.0, 1.0, 64)
        resampled = np.stack(
            [np.interp(grid, np.linspace(0.0, 1.0, n), np.nan_to_num(row[:n])) for row, n in zip(series, length)]
        )
        spectrum = np.abs(np.fft.rfft(resampled - resampled.mean(axis=1, keepdims=True), axis=1))[:, 1:17]
        steps = np.diff(resampled, axis=1)
        summary = np.column_stack(
            [resampled.mean(1), resampled.std(1), resampled.min(1), resampled.max(1), np.abs(steps).mean(1), length]
        )
        parts += [resampled, steps, spectrum, summary]
    return np.hstack(parts)


model = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=5000))
model.fit(features(train), train["label"])
probabilities = model.predict_proba(features(test))
known = list(model.classes_)
submission = pd.DataFrame(
    {{"id": test["id"], **{{c: probabilities[:, known.index(c)] if c in known else 0.0 for c in classes}}}}
)
submission.to_csv(os.environ["BENCHSMITH_SUBMISSION"], index=False)
'''


def _description(title: str, name: str, table: Any, about: str, every: list[str] | None) -> str:
    counts = table["label"].value_counts().sort_index()
    value_columns = [c for c in table.columns if c not in ("split", "label")]
    classes = ", ".join(f"`{label}` ({count})" for label, count in counts.items())
    splits = table["split"].value_counts()
    shape = (
        f"`t0` … `t{len(value_columns) - 1}`"
        if value_columns[0] == "t0"
        else f"`d<k>_t<i>` (channel k, time step i; {len(value_columns)} columns)"
    )
    subset = (
        f"The archive's problem has {len(every)} classes ({', '.join(f'`{c}`' for c in every)}); this task keeps only "
        "the series of the two whose mean training series lie closest, the pair hardest to tell apart.\n\n"
        if every is not None
        else ""
    )
    return (
        f"# {title}\n\n"
        f"Classify time series from the UCR/UEA archive problem `{name}`: predict the class `label` of each test "
        "series.\n\n"
        f"{about + chr(10) + chr(10) if about else ''}"
        f"{subset}"
        f"Classes and their series counts: {classes}. The split is the archive's own: {splits.get('train', 0)} "
        f"training and {splits.get('test', 0)} test series.\n\n"
        "## Files\n\n"
        f"- `train.csv`: `id`, the values {shape} and `label`, one row per series; shorter series end in empty "
        "cells.\n"
        "- `test.csv`: the same without `label`.\n"
        "- `sample_submission.csv`: a valid submission giving every series the training class shares.\n\n"
        "## Submission\n\n"
        "A CSV with `id` and one column per class holding the predicted probability of that class.\n\n"
        "## Metric\n\n"
        "`log_loss` (lower is better) of the class probabilities.\n"
    )


DOMAINS = {
    "ACSF1": "energy", "ArrowHead": "archaeology", "BasicMotions": "human activity", "Covid3Month_disc": "health",
    "GunPoint": "human activity", "ItalyPowerDemand": "energy", "JapaneseVowels": "speech", "OSULeaf": "botany",
    "PickupGestureWiimoteZ": "human activity",
}  # fmt: skip
"""Subject areas of the packaged problems, from the archive's descriptions; others are `unknown`."""

MIN_PAIR_TEST_SERIES = 50
"""A class pair is a task only with this many test series (the significance check's default floor)."""


def close_pairs(table: Any, count: int) -> list[tuple[str, str]]:
    """Up to `count` pairs of classes, no class twice, whose mean training series lie closest (Euclidean, over
    the values each series has): the pairs hardest to tell apart, each with enough test series to score on."""
    import itertools

    import numpy as np

    train = table[table["split"] == "train"]
    values = [c for c in table.columns if c not in ("split", "label")]
    centroids = {}
    for label, group in train.groupby("label"):
        series = group[values].to_numpy(dtype=float)
        present = ~np.isnan(series)
        # A time step no series of the class reaches (shorter series) counts as 0, without an empty-mean warning.
        centroids[str(label)] = np.nansum(series, axis=0) / np.maximum(present.sum(axis=0), 1)
    tests = table.loc[table["split"] == "test", "label"].astype(str).value_counts()
    candidates = sorted(
        (float(np.linalg.norm(centroids[a] - centroids[b])), a, b)
        for a, b in itertools.combinations(sorted(centroids), 2)
        if tests.get(a, 0) + tests.get(b, 0) >= MIN_PAIR_TEST_SERIES
    )
    pairs: list[tuple[str, str]] = []
    for _, a, b in candidates:
        if len(pairs) < count and not {a, b} & {label for pair in pairs for label in pair}:
            pairs.append((a, b))
    return pairs


def design_series(
    reference: str, pair: tuple[str, str] | None = None, *, table: Any = None, sha256: str | None = None
) -> tuple[TaskDesign, str]:
    """The task for the packaged problem `reference` (`aeon:<name>`), or for two of its classes (`pair`: its
    series of those classes only, on the same split), and the text of its `prepare.py`. `table` and `sha256`, when
    the caller has them, spare loading the problem again."""
    from runner.datasets import dataset_sha256, load_dataset, ucr_about

    name = reference.partition(":")[2]
    table = load_dataset(reference) if table is None else table
    every = sorted(table["label"].astype(str).unique())
    classes = sorted(pair) if pair is not None else every
    if pair is not None:
        if not set(pair) <= set(every) or len(set(pair)) != 2:
            raise ValueError(f"{reference}: {pair} is not a pair of its classes ({', '.join(every)})")
        table = table[table["label"].astype(str).isin(classes)]
    problem = "binary" if len(classes) == 2 else "multiclass"
    identifier = slugify(f"ucr-{name}" + (f"-{classes[0]}-vs-{classes[1]}" if pair is not None else ""))
    title = (
        f"{name} (UCR/UEA) — classify time series into {len(classes)} classes ({problem})"
        if pair is None
        else f"{name} (UCR/UEA) — tell class {classes[0]} from class {classes[1]}, its closest pair (binary)"
    )
    sha = sha256 or dataset_sha256(reference)
    manifest: dict[str, Any] = {
        "schema_version": 1,
        "id": identifier,
        "version": TASK_VERSION,
        "kind": "competition",
        "title": title,
        "description": f"{identifier}/description.md",
        "tags": {
            "modality": "time-series",
            "problem": problem,
            "domain": DOMAINS.get(name, "unknown"),
            "keywords": ["generated", "ucr", SERIES_PROVIDER, *(["class-pair"] if pair is not None else [])],
        },
        "license": "as distributed by the UCR/UEA time series archive (via aeon); cite the archive",
        "sources": [{"name": "series", "dataset": reference, "sha256": sha}],
        "prepare": {"script": f"{identifier}/prepare.py"},
        "submission": {"id_column": "id", "columns": classes},
        "metric": {"name": "log_loss", "higher_is_better": False},
        "baselines": {"reference": {"script": f"{identifier}/solution.py", "tolerance": 1e-9}},
        "environment": {"python": "3.11", "packages": ["pandas", "numpy", "scikit-learn"]},
        "resources": {"cpus": 2, "memory_gb": 2, "time_limit": "15m"},
        "provenance": {
            "origin": "generated",
            "by": "benchsmith generators (time series)",
            "generator": {"name": SERIES_GENERATOR_NAME, "version": GENERATOR_VERSION, "raw_sha256": sha},
        },
    }
    design = TaskDesign(
        id=identifier,
        manifest=manifest,
        description=_description(title, name, table, ucr_about(name), every if pair is not None else None),
        solution=SOLUTION.format(),
    )
    return design, PREPARE.format(classes=classes)


def _process(
    reference: str,
    sha256: str | None,
    out: Path,
    cache_root: Path | None,
    report: GenerationReport,
    max_per_dataset: int,
) -> DatasetRecord:
    """The whole problem's task, then up to `max_per_dataset - 1` class-pair tasks, each verified. `sha256` is
    None when the problem could not be read."""
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
    pairs: list[tuple[str, str] | None] = [None]
    if max_per_dataset > 1 and table["label"].nunique() > 2:
        pairs += close_pairs(table, max_per_dataset - 1)
    report.proposed += len(pairs)
    for pair in pairs:
        task, prepare = design_series(reference, pair, table=table, sha256=record.sha256)
        report.designed += 1
        folder = out / task.id
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "prepare.py").write_text(prepare, encoding="utf-8")
        keep_if_verified(task, out, cache_root, record, report, reject)
    return record


def generate_series(
    references: list[str],
    out: Path,
    cache_root: Path | None = None,
    progress: Progress | None = None,
    max_per_dataset: int = 1,
) -> GenerationReport:
    """Validated time-series classification tasks into `out`: per packaged problem, one on all its classes and,
    for a problem of more than two classes, up to `max_per_dataset - 1` on its closest class pairs. Rejections
    are logged in `out/generation-log.json` like the table generator's, and `out/README.md` is rewritten from the
    log. `references` default to every `aeon:` problem. A problem an earlier run handled (same bytes, its tasks
    still present and sound) is skipped."""
    from runner.datasets import list_datasets

    return generate_each(
        references or list_datasets(SERIES_PROVIDER),
        out,
        lambda reference, sha256, report: _process(reference, sha256, out, cache_root, report, max_per_dataset),
        progress,
        fingerprint=packaged_sha256,
    )
