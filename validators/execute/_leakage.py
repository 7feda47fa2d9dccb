"""The answers cannot be read off, or rebuilt from, what the agent is shown."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from spec import DeclarativePrepare, LoadedTask, Problem

from .._registry import CheckContext, task_check

if TYPE_CHECKING:
    from ._kit import Kit

if TYPE_CHECKING:
    import pandas as pd

REPRODUCIBLE_ERROR_SHARE = 0.10


def _public_tables(kit: Kit) -> dict[str, pd.DataFrame]:
    import pandas as pd

    tables = {}
    for path in sorted(kit.prepared.public.rglob("*.csv")):
        if path.name == "sample_submission.csv":
            continue
        try:
            tables[path.relative_to(kit.prepared.public).as_posix()] = pd.read_csv(
                path, dtype={kit.id_column: str}, low_memory=False
            )
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
            continue
    return tables


def _identical_files(kit: Kit) -> list[str]:
    private = {path.read_bytes() for path in kit.prepared.private.rglob("*") if path.is_file()}
    return [
        path.relative_to(kit.prepared.public).as_posix()
        for path in kit.prepared.public.rglob("*")
        if path.is_file() and path.read_bytes() in private
    ]


def _answers_in(table: pd.DataFrame, kit: Kit) -> int:
    """Test rows whose answer stands, with its id, in a public table."""
    if kit.id_column not in table.columns or not all(target in table.columns for target in kit.targets):
        return 0
    merged = kit.answers.merge(table[[kit.id_column, *kit.targets]], on=kit.id_column, suffixes=("", "_public"))
    same = merged[kit.targets[0]].astype(str) == merged[f"{kit.targets[0]}_public"].astype(str)
    return int(same.sum())


@task_check(
    "leakage",
    layer="execute",
    codes=(
        "leakage.answers-in-public", "leakage.target-in-test", "leakage.id-overlap", "leakage.answers-reproducible",
        "leakage.duplicate-rows", "leakage.time-order",
    ),
    description="No answers in public files, target absent from test, train/test ids disjoint, answers not "
    "reproducible by joining test to train, duplicates flagged, time splits ordered.",
)  # fmt: skip
def check_leakage(task: LoadedTask, context: CheckContext) -> Iterator[Problem]:
    from runner.preparation import TEST_FILE, TRAIN_FILE, PreparationError

    from ._kit import kit_for

    kit = kit_for(task, context)
    if isinstance(kit, PreparationError):
        return
    for name in _identical_files(kit):
        yield task.problem("leakage.answers-in-public", f"public/{name} is a copy of a private file", ("prepare",))
    tables = _public_tables(kit)
    test = tables.get(TEST_FILE)
    if test is not None:
        leaked = [target for target in kit.targets if target in test.columns]
        if leaked:
            yield task.problem(
                "leakage.target-in-test",
                f"public/{TEST_FILE} has the target column(s) {', '.join(leaked)}",
                ("prepare",),
            )
    for name, table in tables.items():
        found = _answers_in(table, kit)
        if found and not (name == TEST_FILE and test is not None and set(kit.targets) & set(test.columns)):
            yield task.problem(
                "leakage.answers-in-public",
                f"public/{name} holds the answers of {found} test id(s) next to their ids",
                ("prepare",),
            )
    train = tables.get(TRAIN_FILE)
    if train is None or kit.id_column not in train.columns:
        return
    overlap = sorted(set(train[kit.id_column]) & set(kit.answers[kit.id_column]))
    if overlap:
        yield task.problem(
            "leakage.id-overlap", f"{len(overlap)} test id(s) also appear in train, e.g. {overlap[:3]}", ("prepare",)
        )
    yield from _joined_rows(task, kit, train, test)
    yield from _time_order(task, kit, train)


def _as_text(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """`frame` with `columns` as text: whole numbers without `.0`, missing values as one marker."""
    import pandas as pd

    def text(value: object) -> str:
        if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
            return "\0missing"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    return frame.assign(**{column: frame[column].map(text) for column in columns})


def _joined_rows(task: LoadedTask, kit: Kit, train: pd.DataFrame, test: pd.DataFrame | None) -> Iterator[Problem]:
    if test is None:
        return
    features = [c for c in test.columns if c in train.columns and c != kit.id_column and c not in kit.targets]
    target = kit.targets[0]
    if not features or target not in train.columns:
        return
    # Each file is parsed on its own, so a column can be numbers in one and text in the other (a code that is
    # numeric only in train): rows are joined on their values' text, as they read in the CSVs.
    known = _as_text(train[[*features, target]], features).drop_duplicates(subset=features, keep=False)
    joined = _as_text(test[[kit.id_column, *features]], features).merge(known, on=features, how="inner")
    if joined.empty:
        return
    joined = joined.merge(kit.answers[[kit.id_column, target]], on=kit.id_column, suffixes=("_train", ""))
    reproduced = int((joined[f"{target}_train"].astype(str) == joined[target].astype(str)).sum())
    share = len(joined) / max(len(test), 1)
    reproduced_share = reproduced / max(len(test), 1)
    if reproduced_share >= REPRODUCIBLE_ERROR_SHARE:
        yield task.problem(
            "leakage.answers-reproducible",
            f"{reproduced} of {len(test)} test rows ({reproduced_share:.0%}) have an identical row in train whose "
            "target is the answer: joining test to train on the feature columns gives the answers away",
            ("prepare",),
        )
    else:
        yield task.problem(
            "leakage.duplicate-rows",
            f"{len(joined)} of {len(test)} test rows ({share:.1%}) duplicate a train row on every feature column",
            ("prepare",),
            severity="warning",
        )


def _time_order(task: LoadedTask, kit: Kit, train: pd.DataFrame) -> Iterator[Problem]:
    from runner.preparation import TEST_FILE

    prepare = kit.manifest.prepare
    if not isinstance(prepare, DeclarativePrepare) or prepare.split.method != "time":
        return
    column = prepare.split.time_column
    test_path: Path = kit.prepared.public / TEST_FILE
    if column is None or column not in train.columns or not test_path.is_file():
        return
    import pandas as pd

    test = pd.read_csv(test_path, usecols=[column])
    if train[column].max() >= test[column].min():
        yield task.problem(
            "leakage.time-order",
            f"the latest train {column} ({train[column].max()}) is not before the earliest test one "
            f"({test[column].min()})",
            ("prepare", "split", "time_column"),
        )
