"""Profile a table: column kinds, candidate targets and leakage-prone columns, as a pydantic model."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from spec import StrictModel

if TYPE_CHECKING:
    import pandas as pd

ColumnKind = Literal["numeric", "categorical", "text", "datetime", "id-like"]
TargetKind = Literal["binary", "multiclass", "regression"]

MIN_ROWS_PER_CLASS = 10
MAX_CLASSES = 20
MIN_DISTINCT_REGRESSION = 20
MAX_TARGET_MISSING = 0.2
LEAK_CORRELATION = 0.98
ROW_NAME_COLUMNS = frozenset({"rownames", "row.names", "row_names", "rowname", "unnamed: 0"})
# Names that say a numeric column orders the rows in time (`year`, `Date`, `time`, `yr`, `month.no`, ...).
# Cyclic parts (month, day of month, quarter) do not order rows, so they are not in the list.
TIME_NAME = r"^(?:year|yr|years|date|time|t|period|decade|timestamp|datetime)(?:[._ ]?(?:no|num|index))?$"
MIN_TIME_POINTS = 10
TEXT_MIN_LENGTH = 20
DOCUMENT_MIN_WORDS = 8.0
"""Mean words per value that make a free-text column documents (reviews, notes) rather than names or labels."""
# ISO dates and date-times as a CSV holds them (`2020-01-31`, `2020-01-31 12:00:00`, `2020-01`): they sort in
# time order as text, so a time split can use them as they are.
ISO_DATE = r"^\d{4}-\d{2}(?:-\d{2})?(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"
MAX_ORDINAL_LEVELS = 10
ORDINAL_NAME = r"rating|score|grade|level|quality|rank|stage|severity|satisf|likert|points"


class ColumnProfile(StrictModel):
    """What one column holds."""

    name: str = Field(description="Column name as in the source table.")
    kind: ColumnKind = Field(description="numeric, categorical, text, datetime or id-like (one value per row).")
    dtype: str = Field(description="The pandas dtype of the column.")
    cardinality: int = Field(ge=0, description="Number of distinct non-missing values.")
    missing_share: float = Field(ge=0, le=1, description="Share of rows where the value is missing.")
    constant: bool = Field(description="True when the column has at most one distinct non-missing value.")
    row_names: bool = Field(default=False, description="True for a column of row names (e.g. R's `rownames`).")
    mean_length: float | None = Field(
        default=None, description="Text columns: mean length in characters of the non-missing values."
    )
    mean_words: float | None = Field(
        default=None, description="Text columns: mean number of whitespace-separated words of the non-missing values."
    )


class TargetCandidate(StrictModel):
    """A column that could be predicted from the others."""

    column: str = Field(description="The target column.")
    kind: TargetKind = Field(description="binary, multiclass or regression.")
    classes: list[str] = Field(
        default_factory=list, description="Class labels as text, sorted, for binary and multiclass targets."
    )
    min_class_rows: int | None = Field(default=None, description="Rows of the rarest class (classification only).")
    max_class_rows: int | None = Field(default=None, description="Rows of the commonest class (classification only).")
    class_rows: dict[str, int] = Field(default_factory=dict, description="Rows per class label (classification).")
    ordinal: bool = Field(
        default=False,
        description=f"Classification: 3 to {MAX_ORDINAL_LEVELS} integer labels forming a run (a rating scale).",
    )
    positive: bool = Field(default=False, description="Regression: every value is above zero.")
    skewness: float | None = Field(default=None, description="Regression: sample skewness of the target.")
    kurtosis: float | None = Field(default=None, description="Regression: sample excess kurtosis of the target.")
    count: bool = Field(default=False, description="Regression: every value is a non-negative integer (a count).")
    numeric_labels: bool = Field(default=False, description="Classification: the labels are integers or booleans.")
    leaky_columns: list[str] = Field(
        default_factory=list,
        description="Columns that (nearly) determine this target: |correlation| > 0.98 or a one-to-one mapping.",
    )


class TableProfile(StrictModel):
    """A table's shape, columns, candidate targets and leakage-prone columns."""

    rows: int = Field(ge=0, description="Number of rows.")
    columns: list[ColumnProfile] = Field(description="One profile per column, in table order.")
    candidates: list[TargetCandidate] = Field(description="Columns that could serve as targets, best first.")
    leakage_prone: list[str] = Field(
        description="Columns to withhold from every task: id-like and row-name columns (target-specific leaks "
        "are in each candidate's `leaky_columns`)."
    )
    time_columns: list[str] = Field(
        default_factory=list,
        description="Columns that order the rows in time (datetime, or numeric and named like `year`/`date`), "
        f"with at least {MIN_TIME_POINTS} distinct values: candidates for a forecasting split.",
    )

    def column(self, name: str) -> ColumnProfile:
        """The profile of column `name`."""
        return next(column for column in self.columns if column.name == name)


def _kind(series: pd.Series[Any], rows: int, cardinality: int) -> ColumnKind:
    import pandas as pd

    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "categorical"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
        present = series.dropna().astype(str)
        if len(present) and bool(present.str.fullmatch(ISO_DATE).all()):
            return "datetime"
    if pd.api.types.is_numeric_dtype(dtype):
        values = series.dropna()
        if (
            pd.api.types.is_integer_dtype(dtype)
            and rows >= 20
            and cardinality == rows
            and len(values)
            and int(values.max()) - int(values.min()) == rows - 1
        ):
            return "id-like"  # a run of consecutive integers, one per row: a row counter
        return "numeric"
    if rows >= 20 and cardinality == rows:
        return "id-like"
    text = series.dropna().astype(str)
    if len(text) and (text.str.len().mean() > 30 or cardinality > max(50, 0.5 * rows)):
        return "text"
    return "categorical"


def _profile_column(series: pd.Series[Any], name: str, rows: int) -> ColumnProfile:
    cardinality = int(series.nunique(dropna=True))
    missing = float(series.isna().mean()) if rows else 0.0
    row_names = name.strip().lower() in ROW_NAME_COLUMNS
    kind: ColumnKind = "id-like" if row_names else _kind(series, rows, cardinality)
    values = series.dropna().astype(str) if kind == "text" else None
    mean_length = float(values.str.len().mean()) if values is not None else None
    mean_words = float(values.str.count(r"\S+").mean()) if values is not None else None
    return ColumnProfile(
        name=name,
        kind=kind,
        dtype=str(series.dtype),
        cardinality=cardinality,
        missing_share=missing,
        constant=cardinality <= 1,
        row_names=row_names,
        mean_length=mean_length,
        mean_words=mean_words,
    )


def _is_time(column: ColumnProfile) -> bool:
    if column.missing_share > 0 or column.cardinality < MIN_TIME_POINTS:
        return False
    if column.kind == "datetime":
        return True
    return (
        column.kind in ("numeric", "id-like")
        and not column.row_names
        and bool(re.match(TIME_NAME, column.name.strip().lower()))
    )


def _label_text(value: object) -> str:
    from runner.metrics import label_text

    return label_text(value)


def _numeric_codes(series: pd.Series[Any]) -> pd.Series[Any] | None:
    import pandas as pd

    if pd.api.types.is_bool_dtype(series.dtype):
        return series.astype(float)
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series.astype(float)
    if series.nunique(dropna=True) == 2:
        first = sorted(series.dropna().astype(str).unique())[0]
        codes: pd.Series[Any] = (series.astype(str) == first).astype(float).where(series.notna())
        return codes
    return None


def columns_leaking(frame: pd.DataFrame, target: str, columns: list[ColumnProfile]) -> list[str]:
    """The columns that give `target` away: near-perfectly correlated with it, or in one-to-one correspondence."""
    target_codes = _numeric_codes(frame[target])
    leaks = []
    known = frame[frame[target].notna()]
    for column in columns:
        if column.name == target or column.constant:
            continue
        series = known[column.name]
        if target_codes is not None and column.kind == "numeric":
            codes = target_codes.loc[known.index]
            both = series.astype(float).notna() & codes.notna()
            if both.sum() > 2 and series[both].astype(float).std() > 0 and codes[both].std() > 0:
                corr = float(series[both].astype(float).corr(codes[both]))
                if abs(corr) > LEAK_CORRELATION:
                    leaks.append(column.name)
                    continue
        pairs = known[[column.name, target]].dropna().astype(str)
        if len(pairs) < 2:
            continue
        forward = pairs.groupby(column.name)[target].nunique().max()
        backward = pairs.groupby(target)[column.name].nunique().max()
        if forward == 1 and backward == 1:
            leaks.append(column.name)  # one-to-one: the column is the target renamed
    return leaks


def _ordinal(name: str, levels: list[int]) -> bool:
    """A rating scale: 3 to 10 consecutive integers, starting at 1 or above or named like a rating; class codes
    0..k-1 (sklearn's targets) are nominal."""
    if not 3 <= len(levels) <= MAX_ORDINAL_LEVELS or levels[-1] - levels[0] != len(levels) - 1:
        return False
    return levels[0] >= 1 or bool(re.search(ORDINAL_NAME, name.lower()))


def _candidate(frame: pd.DataFrame, column: ColumnProfile, profiles: list[ColumnProfile]) -> TargetCandidate | None:
    import numpy as np
    import pandas as pd

    if column.kind in ("id-like", "text", "datetime") or column.constant or column.row_names:
        return None
    if column.missing_share > MAX_TARGET_MISSING or column.name == "id":
        return None
    if re.match(TIME_NAME, column.name.strip().lower()):
        return None  # predicting the year of an observation is rarely the point of a table
    series = frame[column.name].dropna()
    numeric = pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype)
    if column.cardinality <= MAX_CLASSES and column.missing_share == 0:
        counts = series.map(_label_text).value_counts()
        if len(counts) != column.cardinality or "id" in counts.index:
            return None  # labels that collide as text, or a class named like the id column
        if int(counts.min()) < MIN_ROWS_PER_CLASS:
            return None
        numeric_labels = pd.api.types.is_bool_dtype(series.dtype) or pd.api.types.is_integer_dtype(series.dtype)
        if numeric and not numeric_labels:
            return None  # float labels do not survive a CSV round trip as class names
        integers = pd.api.types.is_integer_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype)
        levels = sorted(int(value) for value in series.unique()) if integers else []
        return TargetCandidate(
            column=column.name,
            kind="binary" if column.cardinality == 2 else "multiclass",
            classes=sorted(counts.index),
            min_class_rows=int(counts.min()),
            max_class_rows=int(counts.max()),
            class_rows={str(label): int(rows) for label, rows in counts.items()},
            ordinal=_ordinal(column.name, levels),
            numeric_labels=numeric_labels,
            leaky_columns=columns_leaking(frame, column.name, profiles),
        )
    if numeric and column.cardinality >= MIN_DISTINCT_REGRESSION:
        values = series.astype(float)
        if not np.isfinite(values).all():
            return None  # infinite values cannot be scored by any regression metric
        return TargetCandidate(
            column=column.name,
            kind="regression",
            positive=bool((values > 0).all()),
            count=bool((values >= 0).all() and (values == values.round()).all()),
            skewness=float(values.skew()),  # type: ignore[arg-type]
            kurtosis=float(values.kurt()),  # type: ignore[arg-type]
            leaky_columns=columns_leaking(frame, column.name, profiles),
        )
    return None


def profile_table(frame: pd.DataFrame) -> TableProfile:
    """Profile `frame`: each column's kind, the candidate targets and the columns that would leak them."""
    rows = len(frame)
    columns = [_profile_column(frame[name], str(name), rows) for name in frame.columns]
    candidates = [c for c in (_candidate(frame, column, columns) for column in columns) if c is not None]
    order = {"binary": 0, "multiclass": 1, "regression": 2}
    # Classification targets first (rarer and usually the dataset's point), then fewer leaks.
    candidates.sort(key=lambda c: (order[c.kind], len(c.leaky_columns)))
    time_columns = [column.name for column in columns if _is_time(column)]
    # A time column is the order of a series, not a row counter: it stays a feature and orders the split.
    leakage_prone = [
        column.name
        for column in columns
        if (column.kind == "id-like" or column.row_names) and column.name not in time_columns
    ]
    return TableProfile(
        rows=rows, columns=columns, candidates=candidates, leakage_prone=leakage_prone, time_columns=time_columns
    )
