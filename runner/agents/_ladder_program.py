"""The ladder agents' program: one rung (dummy, linear, boosting) fitted on a task's public data, inside the sandbox.

This file is copied into the trial's workspace and run there by the sandbox's Python, which has only the task's
packages (numpy, pandas, scikit-learn, and Pillow for image tasks): it imports nothing from benchsmith. The host
side writes `ladder_task.json` beside it with what the task's manifest says publicly about the submission.

Usage: python ladder.py RUNG TASK_JSON
"""

from __future__ import annotations

import itertools
import json
import os
import sys
import warnings
from pathlib import Path
from typing import Any

# One thread per rung, set before numpy and scikit-learn load their thread pools: the models here are small, an
# OpenMP team spinning on a busy machine made boosting several times slower (5 s vs 14 s on 356 images), and
# parallelism comes from running trials side by side (`runner ladder --jobs`).
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"


import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

RUNGS = ("dummy", "linear", "boosting")
SEED = 0
MAX_TRAIN_ROWS = 20_000
"""Larger training tables are sampled down (seeded): the ladder must stay a few seconds per rung."""
TEXT_MEAN_LENGTH = 30
MAX_TEXT_FEATURES = 500
MAX_CATEGORIES = 50
IMAGE_SIDE = 32
SMALL_TABLE = 2_000
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm")
NONNEGATIVE_METRICS = ("rmsle", "msle")
POSITIVE_LABELS = ("1", "True", "true")
SOUND_BANDS = 32
RANKED = 10
"""Classes listed per row for a ranking metric (MAP@k scores the first k)."""


class Unsupported(Exception):
    """The task poses a problem this ladder does not solve (exit code 3, the reason on stderr)."""


def label_text(value: Any) -> str:
    """A label as text the way graders compare labels: integral floats without `.0`."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _images(folder: Path, ids: pd.Series) -> np.ndarray | None:
    """Grey pixels of each id's image in `folder`, at one common size; None when the task has no image folder."""
    if not folder.is_dir():
        return None
    by_stem = {path.stem: path for path in folder.iterdir() if path.suffix.lower() in IMAGE_SUFFIXES}
    if not by_stem:
        return None
    from PIL import Image

    rows: list[np.ndarray] = []
    size: tuple[int, int] | None = None
    for identifier in ids.astype(str):
        with Image.open(by_stem[identifier]) as image:
            grey = image.convert("L")
            if size is None:  # the first image's size when small, else a common small square
                size = grey.size if max(grey.size) <= IMAGE_SIDE else (IMAGE_SIDE, IMAGE_SIDE)
            if grey.size != size:
                grey = grey.resize(size, Image.Resampling.BILINEAR)
            rows.append(np.asarray(grey, dtype=np.float32).ravel() / 255.0)
    return np.stack(rows)


def _spectrum_summary(samples: np.ndarray, rate: int) -> np.ndarray:
    """Mean and spread over time of log energies in `SOUND_BANDS` log-spaced bands (25 ms frames, 10 ms hop), and
    the clip's length: what a speech or sound model sees first, without a speech library in the sandbox."""
    window, hop = max(16, int(rate * 0.025)), max(8, int(rate * 0.010))
    if len(samples) < window:
        samples = np.pad(samples, (0, window - len(samples)))
    frames = np.lib.stride_tricks.sliding_window_view(samples, window)[::hop] * np.hanning(window)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    edges = np.unique(np.geomspace(1, power.shape[1], SOUND_BANDS + 1).astype(int))
    bands = np.log(np.stack([power[:, a:b].sum(axis=1) for a, b in itertools.pairwise(edges)], 1) + 1e-8)
    return np.concatenate([bands.mean(axis=0), bands.std(axis=0), [len(samples) / rate]])


def _sounds(folder: Path, ids: pd.Series) -> np.ndarray | None:
    """Spectral summaries of each id's WAV clip in `folder`; None when the task has no folder of clips."""
    import wave

    if not folder.is_dir():
        return None
    by_stem = {path.stem: path for path in folder.iterdir() if path.suffix.lower() == ".wav"}
    if not by_stem:
        return None
    rows = []
    for identifier in ids.astype(str):
        with wave.open(str(by_stem[identifier]), "rb") as clip:
            if clip.getsampwidth() != 2:
                raise Unsupported(f"{identifier}.wav: {8 * clip.getsampwidth()}-bit samples; the ladder reads 16-bit")
            rate, channels = clip.getframerate(), clip.getnchannels()
            pcm = np.frombuffer(clip.readframes(clip.getnframes()), dtype="<i2").astype(np.float32) / 32768.0
        rows.append(_spectrum_summary(pcm.reshape(-1, channels).mean(axis=1), rate))
    width = max(len(row) for row in rows)
    return np.stack([np.pad(row, (0, width - len(row))) for row in rows])


def _with_media(data: Path, frame: pd.DataFrame, folder: str, id_column: str) -> pd.DataFrame:
    """The table with the features of each row's clip (WAV) or image in `data/folder`, when the task has files."""
    sounds = _sounds(data / folder, frame[id_column])
    values, prefix = (sounds, "sound") if sounds is not None else (_images(data / folder, frame[id_column]), "pixel")
    if values is None:
        return frame
    names = [f"{prefix}_{index}" for index in range(values.shape[1])]
    return pd.concat([frame, pd.DataFrame(values, columns=names, index=frame.index)], axis=1)


def _documents(values: pd.Series) -> pd.Series:
    """A text column as documents: a missing cell is an empty document, not a float TF-IDF cannot read."""
    return values.fillna("").astype(str)


def _preprocessor(train: pd.DataFrame, features: list[str]) -> Any:
    """Numbers imputed and scaled, short text one-hot, long text TF-IDF; constant columns dropped; dense output."""
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    numeric, categorical, text = [], [], []
    for column in features:
        series = train[column]
        if series.nunique(dropna=False) <= 1:
            continue
        if pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
            numeric.append(column)
        elif float(series.dropna().astype(str).str.len().mean() or 0) > TEXT_MEAN_LENGTH:
            text.append(column)
        else:
            categorical.append(column)
    parts: list[tuple[str, Any, Any]] = []
    if numeric:
        parts.append(("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric))
    if categorical:
        encoder = OneHotEncoder(handle_unknown="ignore", max_categories=MAX_CATEGORIES, sparse_output=False)
        parts.append(("categorical", make_pipeline(SimpleImputer(strategy="most_frequent"), encoder), categorical))
    for index, column in enumerate(text):
        words = make_pipeline(FunctionTransformer(_documents), TfidfVectorizer(max_features=MAX_TEXT_FEATURES))
        parts.append((f"text{index}", words, column))
    if not parts:
        raise Unsupported("every feature column of the training table is constant")
    return ColumnTransformer(parts, remainder="drop", sparse_threshold=0.0)


def _model(family: str, regression: bool, rows: int, probability: bool) -> Any:
    """An unfitted model of one family, regularised for `rows` training rows.

    The linear family picks its regularisation by 3-fold cross-validation (on log loss when the metric reads
    probabilities: a fixed C=1 was overconfident on small tables, worse than the prior); boosting stops early on a
    held-out fifth and needs fewer rows per leaf on small tables (the default 20 on 36 rows grew no tree at all).
    """
    from sklearn.dummy import DummyClassifier, DummyRegressor
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
    from sklearn.linear_model import LogisticRegressionCV, RidgeCV

    boosting = {
        "max_iter": 300, "early_stopping": True, "validation_fraction": 0.2, "n_iter_no_change": 10,
        "min_samples_leaf": max(2, min(20, rows // 20)), "random_state": SEED,
    }  # fmt: skip
    if regression:
        return {
            "dummy": lambda: DummyRegressor(strategy="mean"),
            "linear": lambda: RidgeCV(alphas=(0.1, 1.0, 10.0, 100.0)),
            "boosting": lambda: HistGradientBoostingRegressor(**boosting),
        }[family]()
    scoring = "neg_log_loss" if probability else "accuracy"
    return {
        "dummy": lambda: DummyClassifier(strategy="prior"),
        "linear": lambda: LogisticRegressionCV(Cs=(0.01, 0.1, 1.0), cv=3, scoring=scoring, max_iter=2000),
        "boosting": lambda: HistGradientBoostingClassifier(**boosting),
    }[family]()


def _pipeline(family: str, train: pd.DataFrame, features: list[str], regression: bool, probability: bool) -> Any:
    from sklearn.pipeline import make_pipeline

    return make_pipeline(_preprocessor(train, features), _model(family, regression, len(train), probability))


def _holdout_loss(model: Any, features: pd.DataFrame, target: np.ndarray, regression: bool, log: bool) -> float:
    """Loss on held-out rows: squared error (of log1p values for log metrics), else log loss of the probabilities."""
    from sklearn.metrics import log_loss, mean_squared_error

    if regression:
        predicted = np.asarray(model.predict(features), dtype=float)
        if log:
            return float(mean_squared_error(np.log1p(np.clip(target, 0, None)), np.log1p(np.clip(predicted, 0, None))))
        return float(mean_squared_error(target, predicted))
    return float(log_loss(target, model.predict_proba(features), labels=list(model.classes_)))


def _splits(target: np.ndarray, regression: bool) -> list[tuple[np.ndarray, np.ndarray]]:
    """Rows to fit on and to judge on: 5-fold cross-validation below `SMALL_TABLE` rows (a fifth of 50 rows is too
    few to judge by, and small tables are cheap to fit five times), else one seeded held-out fifth."""
    from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

    rows = np.arange(len(target))
    stratify = not regression and pd.Series(target).value_counts().min() >= 5
    if len(target) < SMALL_TABLE:
        splitter = (
            StratifiedKFold(5, shuffle=True, random_state=SEED)
            if stratify
            else KFold(5, shuffle=True, random_state=SEED)
        )
        return list(splitter.split(rows, target if stratify else None))
    fit_rows, held_rows = train_test_split(rows, test_size=0.2, random_state=SEED,
                                           stratify=target if stratify else None)  # fmt: skip
    return [(fit_rows, held_rows)]


def _fitted(rung: str, train: pd.DataFrame, features: list[str], target: np.ndarray, regression: bool,
            probability: bool, log: bool) -> Any:  # fmt: skip
    """The rung's model fitted on the whole training table.

    The boosting rung holds the linear one: it keeps whichever of the two does better on held-out training rows
    (`_splits`), so that each rung can do at least what the one below does and the ladder's order is
    one of strength by construction (gradient boosting on raw series or pixels is often worse than a linear model).
    """
    family = rung
    if rung == "boosting" and len(train) >= 20:
        losses = {}
        for candidate in ("linear", "boosting"):
            try:
                folds = []
                for fit_rows, held_rows in _splits(target, regression):
                    model = _pipeline(candidate, train.iloc[fit_rows], features, regression, probability)
                    model.fit(train.iloc[fit_rows][features], target[fit_rows])
                    held = train.iloc[held_rows][features]
                    folds.append(_holdout_loss(model, held, target[held_rows], regression, log))
                losses[candidate] = float(np.mean(folds))
            except ValueError:  # a class missing from the fitting rows, a fold too small: that candidate is out
                continue
        family = min(losses, key=lambda name: losses[name]) if losses else "boosting"
        print(f"held-out losses {losses}: {family}", file=sys.stderr)
    model = _pipeline(family, train, features, regression, probability)
    try:
        model.fit(train[features], target)
    except ValueError as error:
        if family != "boosting":
            raise
        # Boosting's early stopping holds out a stratified fifth, impossible with classes seen once (a ranking over
        # a hundred classes): the rung falls back to the linear model it holds.
        print(f"boosting could not fit ({error}); linear", file=sys.stderr)
        model = _pipeline("linear", train, features, regression, probability)
        model.fit(train[features], target)
    return model


def _fit_predict(rung: str, task: dict[str, Any], train: pd.DataFrame, test: pd.DataFrame,
                 targets: list[str], features: list[str]) -> pd.DataFrame:  # fmt: skip
    """The submission's prediction columns for the test rows."""
    from sklearn.multioutput import MultiOutputClassifier
    from sklearn.pipeline import make_pipeline

    prediction, columns = task["prediction"], list(task["columns"])
    ranking = prediction == "ranking"  # one class per row, ranked: the classes by predicted probability
    regression, probability = prediction == "value", prediction == "probability" or ranking
    log = task.get("metric") in NONNEGATIVE_METRICS
    out = pd.DataFrame(index=test.index)
    if len(targets) > 1:  # multilabel: one 0/1 model per column, a constant column predicted as it is
        labels = train[targets].map(label_text).isin(POSITIVE_LABELS).astype(int)
        for column in targets:
            if labels[column].nunique() < 2:
                out[column] = int(labels[column].iloc[0])
        varying = [column for column in targets if column not in out.columns]
        if varying:
            model = make_pipeline(
                _preprocessor(train, features), MultiOutputClassifier(_model(rung, False, len(train), False))
            )
            model.fit(train[features], labels[varying].to_numpy())
            for column, values in zip(varying, np.asarray(model.predict(test[features])).T, strict=True):
                out[column] = values.astype(int)
        return out[columns]
    given = train[targets[0]]
    target = given.to_numpy(dtype=float) if regression else given.map(label_text).to_numpy()
    model = _fitted(rung, train, features, target, regression, probability, log)
    if regression:
        values = np.asarray(model.predict(test[features]), dtype=float)
        out[columns[0]] = np.clip(values, 0.0, None) if log else values
        return out
    if not probability:
        out[columns[0]] = model.predict(test[features])
        return out
    classes = [str(name) for name in model.classes_]
    probabilities = np.asarray(model.predict_proba(test[features]), dtype=float)
    if ranking:
        best_first = np.argsort(-probabilities, axis=1, kind="stable")[:, :RANKED]
        out[columns[0]] = [" ".join(classes[index] for index in row) for row in best_first]
        return out
    if len(columns) == 1:  # binary: the probability of the positive label
        positive = next((name for name in classes if name in POSITIVE_LABELS), None)
        out[columns[0]] = probabilities[:, classes.index(positive)] if positive is not None else 0.0
        return out
    for name in columns:
        out[name] = probabilities[:, classes.index(name)] if name in classes else 0.0
    return out


def solve(rung: str, task: dict[str, Any], data: Path) -> pd.DataFrame:
    """Fit `rung` on public train.csv and predict test.csv; the submission frame."""
    id_column = task["id_column"]
    train = pd.read_csv(data / "train.csv", dtype={id_column: str}, low_memory=False)
    test = pd.read_csv(data / "test.csv", dtype={id_column: str}, low_memory=False)
    columns = list(task["columns"])
    if len(columns) > 1 and task["prediction"] == "label":
        targets = columns
    else:
        targets = [column for column in train.columns if column not in test.columns and column != id_column]
    if len(targets) != 1 and not (len(targets) > 1 and targets == columns):
        raise Unsupported(f"cannot tell the target among train.csv's extra columns {targets}")
    train = train.loc[train[targets].notna().all(axis=1)].reset_index(drop=True)
    if len(train) > MAX_TRAIN_ROWS:
        train = train.sample(n=MAX_TRAIN_ROWS, random_state=SEED).reset_index(drop=True)
    train = _with_media(data, train, "train", id_column)
    test = _with_media(data, test, "test", id_column)
    features = [column for column in test.columns if column != id_column and column in train.columns]
    features = [column for column in features if column not in targets]
    if not features:
        raise Unsupported("test.csv has no feature columns besides the id")
    predictions = _fit_predict(rung, task, train, test, targets, features)
    return pd.concat([test[[id_column]], predictions], axis=1)


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[1] not in RUNGS:
        print(f"usage: {argv[0]} {{{','.join(RUNGS)}}} TASK_JSON", file=sys.stderr)
        return 2
    task = json.loads(Path(argv[2]).read_text(encoding="utf-8"))
    warnings.simplefilter("ignore")  # convergence chatter is not the agent's result
    try:
        submission = solve(argv[1], task, Path(os.environ["BENCHSMITH_DATA"]))
    except Unsupported as reason:
        print(f"unsupported: {reason}", file=sys.stderr)
        return 3
    submission.to_csv(os.environ["BENCHSMITH_SUBMISSION"], index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
