"""The built-in preparer: split one source table into public train/test, private answers, a sample submission."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from spec import AnyTask, DeclarativePrepare, NamedMetric, Split

from ._errors import PreparationError

if TYPE_CHECKING:
    import pandas as pd

TRAIN_FILE = "train.csv"
TEST_FILE = "test.csv"
SAMPLE_FILE = "sample_submission.csv"
_FIELD: tuple[str | int, ...] = ("prepare", "split")
_GROUP_KEY = "__benchsmith_group__"


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """The one CSV form prepared files take: no index, `\\n` line ends, so bytes are reproducible."""
    frame.to_csv(path, index=False, lineterminator="\n")


def _read_table(path: Path) -> pd.DataFrame:
    import pandas as pd

    try:
        return pd.read_csv(path, low_memory=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise PreparationError(f"cannot read {path.name} as a CSV table: {error}", ("sources",)) from None


def _with_ids(table: pd.DataFrame, split: Split, id_column: str) -> pd.DataFrame:
    if split.id_column is not None:
        if split.id_column not in table.columns:
            raise PreparationError(
                f"id_column {split.id_column!r} is not a column of the source", (*_FIELD, "id_column")
            )
        if table[split.id_column].duplicated().any():
            raise PreparationError(f"id_column {split.id_column!r} has repeated values", (*_FIELD, "id_column"))
        return table.rename(columns={split.id_column: id_column})
    if id_column in table.columns:
        raise PreparationError(
            f"the source already has a column {id_column!r}; name it as split.id_column or drop it", (*_FIELD,)
        )
    # Ids follow a seeded shuffle, not the source's row order: packaged tables are often sorted by the target,
    # and ids in that order would give the answers away.
    order = np.random.default_rng(split.seed + 7919).permutation(len(table))
    ids = np.empty(len(table), dtype=np.int64)
    ids[order] = np.arange(1, len(table) + 1)
    result = table.copy()
    result.insert(0, id_column, ids)
    return result


def _split_rows(table: pd.DataFrame, split: Split) -> tuple[pd.DataFrame, pd.DataFrame]:
    from sklearn.model_selection import GroupShuffleSplit, train_test_split

    if split.method == "random":
        train, test = train_test_split(table, test_size=split.test_size, random_state=split.seed, shuffle=True)
    elif split.method == "stratified":
        counts = table[split.target].value_counts()
        if (counts < 2).any():
            rare = ", ".join(map(str, counts[counts < 2].index[:5]))
            raise PreparationError(f"stratified split: class(es) {rare} have fewer than 2 rows", (*_FIELD, "method"))
        train, test = train_test_split(
            table, test_size=split.test_size, random_state=split.seed, stratify=table[split.target]
        )
    elif split.method == "group":
        assert split.group_column is not None  # the model requires it for this method
        if split.group_column not in table.columns:
            raise PreparationError(f"group_column {split.group_column!r} is not a column", (*_FIELD, "group_column"))
        splitter = GroupShuffleSplit(n_splits=1, test_size=split.test_size, random_state=split.seed)
        train_index, test_index = next(splitter.split(table, groups=table[split.group_column]))
        train, test = table.iloc[train_index], table.iloc[test_index]
    else:
        assert split.time_column is not None
        if split.time_column not in table.columns:
            raise PreparationError(f"time_column {split.time_column!r} is not a column", (*_FIELD, "time_column"))
        ordered = table.sort_values(split.time_column, kind="stable")
        cut = ordered[split.time_column].iloc[int(len(ordered) * (1 - split.test_size))]
        # Every row at the cut instant goes to test, so no test row is ever before or at a train row's time.
        train, test = ordered[ordered[split.time_column] < cut], ordered[ordered[split.time_column] >= cut]
    if len(train) == 0 or len(test) == 0:
        raise PreparationError("the split left train or test empty; change test_size", (*_FIELD, "test_size"))
    return train, test


def sample_predictions(task: AnyTask, train_target: pd.Series[Any], count: int) -> dict[str, Any]:
    """Constant predictions in the submission's columns: majority class, mean value, or class priors."""
    assert task.submission is not None
    columns = task.submission.columns
    kind = "label"
    if isinstance(task.metric, NamedMetric):
        from runner.metrics import get_metric

        kind = get_metric(task.metric.name).prediction
    elif train_target.dtype.kind in "fc":
        kind = "value"
    if kind == "value":
        return {columns[0]: [float(train_target.mean())] * count}
    if kind == "probability":
        if len(columns) == 1:
            positive = train_target.astype(str).isin(["1", "1.0", "True"]).mean()
            return {columns[0]: [float(positive)] * count}
        shares = train_target.astype(str).value_counts(normalize=True)
        return {column: [float(shares.get(column, 0.0))] * count for column in columns}
    if kind == "ranking":
        # One relevant item per row (the row's class): the constant answer ranks the classes by training frequency.
        k = int(task.metric.params.get("k", 10)) if isinstance(task.metric, NamedMetric) else 10
        common = " ".join(str(label) for label in train_target.astype(str).value_counts().index[:k])
        return {columns[0]: [common] * count}
    return {columns[0]: [train_target.mode().iloc[0]] * count}


def ranks_classes(task: AnyTask) -> bool:
    """The metric ranks items (map@k) and the split's target names each row's one relevant item."""
    if not isinstance(task.metric, NamedMetric):
        return False
    from runner.metrics import get_metric

    return get_metric(task.metric.name).prediction == "ranking"


def item_tokens(values: pd.Series[Any]) -> pd.Series[Any]:
    """Class labels as ranking items: ranked lists are space-separated, so inner whitespace becomes `_`."""
    return values.where(values.isna(), values.astype(str).str.strip().str.replace(r"\s+", "_", regex=True))


def split_table(table: pd.DataFrame, split: Split, id_column: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train and test rows of `table` (its rows without a target dropped), with ids, as the split makes them.

    The rows are chosen from the row count, the seed and the target, group or time column only, so a check can
    split the table with the dropped columns still there and learn which raw rows went where: the returned
    frames keep the position of each row among the target-bearing rows as their index.
    """
    table = table[table[split.target].notna()].reset_index(drop=True)
    return _split_rows(_with_ids(table, split, id_column), split)


def prepare_split(task: AnyTask, raw_files: dict[str, Path], public: Path, private: Path) -> None:
    """Run the declarative split of `task` from raw files into public/ and private/."""
    import pandas as pd

    assert isinstance(task.prepare, DeclarativePrepare)
    split = task.prepare.split
    if task.submission is None:
        raise PreparationError("a declarative split needs a submission format", ("submission",))
    if split.images is not None:
        from ._images import prepare_image_split

        prepare_image_split(task, raw_files, public, private)
        return
    if split.audio is not None:
        from ._audio import prepare_audio_split

        prepare_audio_split(task, raw_files, public, private)
        return
    id_column = task.submission.id_column
    source = split.source or next(iter(raw_files))
    table = _read_table(raw_files[source])
    missing = [column for column in (split.target, *split.drop_columns) if column not in table.columns]
    if missing:
        raise PreparationError(f"column(s) {', '.join(missing)} not in source {source!r}", _FIELD)
    if ranks_classes(task):
        table[split.target] = item_tokens(table[split.target])
    grouped_then_dropped = split.group_column if split.group_column in split.drop_columns else None
    if grouped_then_dropped is not None:
        # A unit's key (a person id) decides the split but is no feature: it goes only once rows are assigned,
        # under a name that cannot clash with the submission's id column.
        table = table.rename(columns={grouped_then_dropped: _GROUP_KEY})
        split = split.model_copy(
            update={
                "group_column": _GROUP_KEY,
                "drop_columns": [c for c in split.drop_columns if c != grouped_then_dropped],
            }
        )
    train, test = split_table(table.drop(columns=split.drop_columns), split, id_column)
    if grouped_then_dropped is not None:
        train, test = train.drop(columns=[_GROUP_KEY]), test.drop(columns=[_GROUP_KEY])
    train = train.sort_values(id_column, kind="stable")
    test = test.sort_values(id_column, kind="stable")
    write_csv(train, public / TRAIN_FILE)
    write_csv(test.drop(columns=[split.target]), public / TEST_FILE)
    write_csv(test[[id_column, split.target]], private / "answers.csv")
    sample = pd.DataFrame(
        {id_column: test[id_column].to_numpy(), **sample_predictions(task, train[split.target], len(test))}
    )
    write_csv(sample, public / SAMPLE_FILE)
