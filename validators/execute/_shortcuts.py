"""The answers cannot be computed from the features by something simpler than learning (`_relations.py`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from spec import LoadedTask, Problem

from .._registry import CheckContext, task_check

if TYPE_CHECKING:
    import pandas as pd

    from ._kit import Kit
    from ._relations import Shortcut


def split_tables(kit: Kit) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series] | None:
    """Public train and test, and the first target's answers in test's row order; None when the task has no such
    table pair (a custom layout, several targets) or the answers do not line up with test's ids."""
    import pandas as pd

    from runner.preparation import TEST_FILE, TRAIN_FILE

    if len(kit.targets) != 1:
        return None
    train_path, test_path = kit.prepared.public / TRAIN_FILE, kit.prepared.public / TEST_FILE
    if not train_path.is_file() or not test_path.is_file():
        return None
    try:
        train = pd.read_csv(train_path, dtype={kit.id_column: str}, low_memory=False)
        test = pd.read_csv(test_path, dtype={kit.id_column: str}, low_memory=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
        return None
    target = kit.targets[0]
    if target not in train.columns or kit.id_column not in test.columns:
        return None
    truth = test[[kit.id_column]].merge(kit.answers[[kit.id_column, target]], on=kit.id_column, how="left")[target]
    if truth.notna().sum() == 0:
        return None
    return train, test, truth


def task_shortcuts(kit: Kit) -> list[Shortcut]:
    """The shortcuts `find_shortcuts` finds in the kit's prepared tables."""
    from ._relations import find_shortcuts

    tables = split_tables(kit)
    if tables is None:
        return []
    train, test, truth = tables
    return find_shortcuts(train, test, truth, kit.targets[0], kit.id_column, kit.prediction)


@task_check(
    "shortcuts",
    layer="execute",
    codes=("shortcut.linear-identity", "shortcut.single-feature", "shortcut.lookup", "shortcut.identifier"),
    description="The target is not an exact function of the features: no least-squares identity (raw or in logs), "
    "no single column or rule on it, no value lookup and no identifier that reproduces the test answers.",
)
def check_shortcuts(task: LoadedTask, context: CheckContext) -> Iterator[Problem]:
    from runner.preparation import PreparationError

    from ._kit import kit_for

    kit = kit_for(task, context)
    if isinstance(kit, PreparationError):
        return
    settings = kit.manifest.validation
    # A task that declares, with a reason, that its reference may be perfect (a smoke test) is easy on purpose.
    easy_on_purpose = settings.learnability_max >= 1 and bool(settings.reason)
    for shortcut in task_shortcuts(kit):
        yield task.problem(
            shortcut.code,
            f"the target {kit.targets[0]!r} can be computed without learning: {shortcut.message()}; drop or "
            "change the giveaway column(s), or pick another target",
            ("prepare",),
            severity="warning" if easy_on_purpose else "error",
        )
