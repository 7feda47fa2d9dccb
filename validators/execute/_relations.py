"""Shortcut detectors on plain tables: does something simpler than learning give the answers away?

Each detector fits on the train table and scores on the test rows against the answers, so a relation that holds
only by chance in a small train set is not reported. They are pure functions of data frames, so the checks that
use them (`_shortcuts.py`) and the catalogue audit (`scripts/audit_catalogue.py`) share one definition.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

Kind = Literal["regression", "classification"]
Code = Literal["shortcut.linear-identity", "shortcut.single-feature", "shortcut.lookup", "shortcut.identifier"]

EXACT_R2 = 0.995
"""Test R² at or above which a formula on the features is an identity, not a model (rounding keeps it below 1)."""
EXACT_ACCURACY = 0.99
"""Test accuracy at or above which a rule on one column gives a class target away."""
MIN_ERROR_CUT = 0.9
"""...provided the rule removes at least this share of the majority class's errors (imbalanced targets)."""
MONOTONE_RHO = 0.999
"""|Spearman rho| on test at or above which a column is a monotone copy of a numeric target (a log, a rescaling)."""
LOOKUP_COVERAGE = 0.8
"""Share of test rows whose value of the column was seen in train, for a lookup to count."""
MIN_ROWS = 20
"""Fewer usable train or test rows than this: too little to call anything exact."""
MAX_LINEAR_COLUMNS = 200
IDENTIFIER_NAMES = re.compile(r"(^|[_.\s])(id|ids|key|code|name|rownames|index|row)$", re.IGNORECASE)


@dataclass(frozen=True)
class Shortcut:
    """One way to read the answers off the features."""

    code: Code
    columns: tuple[str, ...]
    score: float
    detail: str

    def message(self) -> str:
        return f"{self.detail} ({', '.join(self.columns)})"


def target_kind(values: pd.Series, prediction: str) -> Kind:
    """Regression when the answers are numbers with many distinct values and the submission predicts values."""
    numeric = values.dtype.kind in "fiu"
    return "regression" if prediction == "value" and numeric and values.nunique() > 10 else "classification"


def _r2(truth: np.ndarray, predicted: np.ndarray) -> float:
    spread = float(np.sum((truth - truth.mean()) ** 2))
    if spread == 0.0:
        return 0.0
    return 1.0 - float(np.sum((truth - predicted) ** 2)) / spread


def _numeric(frame: pd.DataFrame, columns: list[str]) -> list[str]:
    return [c for c in columns if frame[c].dtype.kind in "fiub" and frame[c].nunique() > 1]


def linear_identity(
    train: pd.DataFrame, test: pd.DataFrame, truth: pd.Series, target: str, features: list[str]
) -> Shortcut | None:
    """A least-squares formula of the numeric features (raw, or all in logs for products and ratios) that
    reproduces a numeric target on test: sums, differences, shares, `age = year - birth year`."""
    columns = _numeric(train, [c for c in features if c in test.columns])[:MAX_LINEAR_COLUMNS]
    if not columns:
        return None
    usable_train = train[[*columns, target]].dropna()
    usable_test = test[columns].assign(__truth=truth.to_numpy()).dropna()
    if min(len(usable_train), len(usable_test)) < MIN_ROWS or len(usable_train) <= 2 * (len(columns) + 1):
        return None
    best: Shortcut | None = None
    for logs in (False, True):
        x_train = usable_train[columns].to_numpy(dtype=float)
        x_test = usable_test[columns].to_numpy(dtype=float)
        y_train = usable_train[target].to_numpy(dtype=float)
        y_test = usable_test["__truth"].to_numpy(dtype=float)
        if logs:
            if (y_train <= 0).any() or (y_test <= 0).any():
                continue
            positive = [(x_train[:, i] > 0).all() and (x_test[:, i] > 0).all() for i in range(len(columns))]
            if not any(positive):
                continue
            keep = np.array(positive)
            x_train, x_test = np.log(x_train[:, keep]), np.log(x_test[:, keep])
            y_train, y_test = np.log(y_train), np.log(y_test)
            used = [c for c, k in zip(columns, positive, strict=True) if k]
        else:
            used = columns
        design = np.column_stack([np.ones(len(x_train)), x_train])
        coef, *_ = np.linalg.lstsq(design, y_train, rcond=None)
        score = _r2(y_test, np.column_stack([np.ones(len(x_test)), x_test]) @ coef)
        if score >= EXACT_R2 and (best is None or score > best.score):
            weight = np.abs(coef[1:]) * x_train.std(axis=0)
            top = [used[i] for i in np.argsort(-weight)[:4] if weight[i] > 1e-9 * weight.max()]
            scale = "log " if logs else ""
            best = Shortcut(
                "shortcut.linear-identity",
                tuple(top),
                score,
                f"a least-squares formula of the {scale}features, fitted on train, reproduces the {scale}target on "
                f"test with R² {score:.4f}; mostly",
            )
    return best


def _spearman(left: np.ndarray, right: np.ndarray) -> float:
    import pandas as pd

    ranks = pd.DataFrame({"left": left, "right": right}).rank()
    if ranks["left"].nunique() < 2 or ranks["right"].nunique() < 2:
        return float("nan")
    return float(np.corrcoef(ranks["left"], ranks["right"])[0, 1])


def _classification_gain(truth: np.ndarray, predicted: np.ndarray, majority: object) -> tuple[float, float]:
    accuracy = float(np.mean(predicted == truth))
    base_error = float(np.mean(truth != majority))
    cut = 1.0 - (1.0 - accuracy) / base_error if base_error > 0 else 0.0
    return accuracy, cut


def single_feature(
    train: pd.DataFrame, test: pd.DataFrame, truth: pd.Series, target: str, features: list[str], kind: Kind
) -> list[Shortcut]:
    """Columns that give the target away alone: a depth-limited tree on one column (a threshold such as
    `weeks < 37`) for a class, a monotone copy (a log, a unit change) for a number."""
    from sklearn.tree import DecisionTreeClassifier

    found = []
    y_train = train[target]
    majority = y_train.astype(str).mode().iloc[0] if kind == "classification" else None
    for column in features:
        if column not in test.columns or train[column].dtype.kind not in "fiub" or train[column].nunique() < 2:
            continue
        fit = train[[column, target]].dropna()
        mask = test[column].notna().to_numpy() & truth.notna().to_numpy()
        if len(fit) < MIN_ROWS or mask.sum() < MIN_ROWS:
            continue
        x_test = test[column].to_numpy(dtype=float)[mask]
        code: Code = "shortcut.identifier" if IDENTIFIER_NAMES.search(column) else "shortcut.single-feature"
        if kind == "regression":
            rho = _spearman(x_test, truth.to_numpy(dtype=float)[mask])
            if np.isfinite(rho) and abs(rho) >= MONOTONE_RHO:
                detail = f"{column} is a monotone copy of the target on test (Spearman rho {rho:.4f})"
                found.append(Shortcut(code, (column,), float(abs(rho)), detail))
            continue
        tree = DecisionTreeClassifier(max_depth=3, random_state=0)
        tree.fit(fit[[column]].to_numpy(dtype=float), fit[target].astype(str).to_numpy())
        accuracy, cut = _classification_gain(
            truth.astype(str).to_numpy()[mask], tree.predict(x_test.reshape(-1, 1)), majority
        )
        if accuracy >= EXACT_ACCURACY and cut >= MIN_ERROR_CUT:
            detail = f"a rule on {column} alone (a tree of depth 3) is {accuracy:.1%} accurate on test"
            found.append(Shortcut(code, (column,), accuracy, detail))
    return found


def _identifier_stem(values: pd.Series) -> pd.Series:
    """An identifier with its running number removed (`setosa_12` → `setosa_`): what is left may name the class."""
    return values.astype(str).str.replace(r"\d+", "", regex=True)


def lookup(
    train: pd.DataFrame, test: pd.DataFrame, truth: pd.Series, target: str, features: list[str], kind: Kind
) -> list[Shortcut]:
    """Columns whose value, seen in train, determines the target: the car `model` gives its drive train."""
    found = []
    for column in features:
        if column not in test.columns or train[column].dtype.kind == "f":
            continue
        for stemmed in (False, True):
            if stemmed and train[column].dtype.kind != "O":
                continue
            keys_train = _identifier_stem(train[column]) if stemmed else train[column].astype(str)
            keys_test = _identifier_stem(test[column]) if stemmed else test[column].astype(str)
            distinct = keys_train.nunique()
            if distinct < 2 or (not stemmed and distinct > len(train) / 2):
                continue  # an all-distinct column looks nothing up; identifiers are tried by their stems
            result = _lookup_score(keys_train, keys_test, train[target], truth, kind)
            if result is None:
                continue
            score, coverage = result
            code: Code = "shortcut.identifier" if stemmed or IDENTIFIER_NAMES.search(column) else "shortcut.lookup"
            what = f"the digits-free part of {column}" if stemmed else column
            measure = f"R² {score:.4f}" if kind == "regression" else f"{score:.1%} accurate"
            detail = f"looking the target up by {what} in train answers {coverage:.0%} of test rows, {measure}"
            found.append(Shortcut(code, (column,), score, detail))
            break
    return found


def _lookup_score(
    keys_train: pd.Series, keys_test: pd.Series, y_train: pd.Series, truth: pd.Series, kind: Kind
) -> tuple[float, float] | None:
    import pandas as pd

    frame = pd.DataFrame({"key": keys_train.to_numpy(), "y": y_train.to_numpy()}).dropna()
    counts = frame["key"].value_counts()
    if counts.mean() < 2:
        return None  # each value seen about once: memorising rows, not a lookup
    if kind == "regression":
        table = frame.groupby("key")["y"].mean()
    else:
        frame["y"] = frame["y"].astype(str)
        table = frame.groupby("key")["y"].agg(lambda values: values.mode().iloc[0])
    predicted = keys_test.map(table)
    seen = predicted.notna().to_numpy() & truth.notna().to_numpy()
    coverage = float(seen.mean()) if len(seen) else 0.0
    if coverage < LOOKUP_COVERAGE or seen.sum() < MIN_ROWS:
        return None
    if kind == "regression":
        score = _r2(truth.to_numpy(dtype=float)[seen], predicted.to_numpy(dtype=float)[seen])
        return (score, coverage) if score >= EXACT_R2 else None
    majority = frame["y"].mode().iloc[0]
    accuracy, cut = _classification_gain(
        truth.astype(str).to_numpy()[seen], predicted.astype(str).to_numpy()[seen], majority
    )
    return (accuracy, coverage) if accuracy >= EXACT_ACCURACY and cut >= MIN_ERROR_CUT else None


def find_shortcuts(
    train: pd.DataFrame, test: pd.DataFrame, truth: pd.Series, target: str, id_column: str, prediction: str
) -> list[Shortcut]:
    """Every shortcut found from train (with `target`) and test (rows aligned with `truth`)."""
    if target not in train.columns:
        return []
    kind = target_kind(truth, prediction)
    features = [c for c in train.columns if c in test.columns and c != target]
    found: list[Shortcut] = []
    if kind == "regression" and train[target].dtype.kind in "fiu":
        identity = linear_identity(train, test, truth, target, [c for c in features if c != id_column])
        if identity is not None:
            found.append(identity)
    found.extend(single_feature(train, test, truth, target, features, kind))
    found.extend(lookup(train, test, truth, target, features, kind))
    return found
