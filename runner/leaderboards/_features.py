"""The generic preprocessor every reference solver shares: impute, scale, one-hot, TF-IDF; constants dropped."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

TEXT_MEAN_LENGTH = 30
"""An object column whose non-empty values average more than this many characters is free text."""
MAX_TEXT_FEATURES = 2000
MAX_CATEGORIES = 100


@dataclass(frozen=True)
class FeaturePlan:
    """Which columns are numbers, categories and free text; constant columns are in none of them."""

    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    text: tuple[str, ...]


def plan_features(train: pd.DataFrame, features: tuple[str, ...]) -> FeaturePlan:
    """Sort the feature columns by how they are encoded, judging by the training table."""
    import pandas as pd

    numeric, categorical, text = [], [], []
    for column in features:
        series = train[column]
        if series.nunique(dropna=False) <= 1:
            continue  # constant: carries nothing
        if pd.api.types.is_bool_dtype(series.dtype) or pd.api.types.is_numeric_dtype(series.dtype):
            numeric.append(column)
            continue
        present = series.dropna().astype(str)
        if len(present) and float(present.str.len().mean()) > TEXT_MEAN_LENGTH:
            text.append(column)
        else:
            categorical.append(column)
    return FeaturePlan(tuple(numeric), tuple(categorical), tuple(text))


def clean_features(frame: pd.DataFrame, plan: FeaturePlan) -> pd.DataFrame:
    """The planned columns with uniform types: floats (NaN missing), text labels (NaN missing), strings."""
    import pandas as pd

    cleaned: dict[str, Any] = {}
    for column in plan.numeric:
        series = frame[column]
        if pd.api.types.is_bool_dtype(series.dtype):
            series = series.astype(np.float64)
        cleaned[column] = pd.to_numeric(series, errors="coerce").astype(np.float64)
    for column in plan.categorical:
        series = frame[column].astype(object)
        cleaned[column] = series.where(series.isna(), series.astype(str))
    for column in plan.text:
        cleaned[column] = frame[column].fillna("").astype(str)
    return pd.DataFrame(cleaned, index=frame.index)


def make_preprocessor(plan: FeaturePlan, dense: bool) -> Any:
    """An unfitted ColumnTransformer for the plan; `dense` forces a dense output matrix."""
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    transformers: list[tuple[str, Any, Any]] = []
    if plan.numeric:
        numeric = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
        transformers.append(("numeric", numeric, list(plan.numeric)))
    if plan.categorical:
        encoder = OneHotEncoder(handle_unknown="ignore", max_categories=MAX_CATEGORIES, sparse_output=not dense)
        categorical = Pipeline([("impute", SimpleImputer(strategy="most_frequent")), ("onehot", encoder)])
        transformers.append(("categorical", categorical, list(plan.categorical)))
    for index, column in enumerate(plan.text):
        # A single column name (not a list) hands the vectorizer the 1-D column of strings it expects.
        transformers.append((f"text{index}", TfidfVectorizer(max_features=MAX_TEXT_FEATURES), column))
    if not transformers:
        raise ValueError("no usable feature columns: every one is constant")
    return ColumnTransformer(transformers, remainder="drop", sparse_threshold=0.0 if dense else 0.3)
