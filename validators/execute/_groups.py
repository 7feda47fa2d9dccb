"""Rows of one unit (a person, a firm, a country) on both sides of a random split: the test set is not new units.

Panel tables repeat each unit over years or visits. When the target is mostly a property of the unit (a person's
region, a firm's industry), a random split lets a model recognise the unit from its other rows in train instead
of learning anything that would carry over to an unseen one; the unit's column does not even need to be a
feature, its stable attributes identify it. Such a table needs a group split on the unit's column.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from spec import DeclarativePrepare, LoadedTask, Problem

from .._registry import CheckContext, task_check

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

MIN_UNITS = 10
"""Fewer distinct values make a category (a region, a treatment), not a sample of units."""
MIN_UNNAMED_UNITS = 20
"""A text column not named like a unit needs more distinct values to count as one (a sector is a category)."""
MAX_ROWS_PER_UNIT = 40
"""More rows per value on average make a category as well: units of a panel are seen a handful of times."""
MAX_ROWS_PER_NAMED_UNIT = 100
"""A column named like a unit (`country`, `firm`) may repeat longer: a country-year panel over decades."""
MIN_GAIN = 0.5
"""Share of the trivial error (or variance) removed by predicting a row from the other rows of its unit."""
MIN_SHARED = 0.5
"""Share of test rows whose unit also has rows in train, for the split to be the problem."""
UNIT_WORDS = (
    "id|ids|key|nr|person|individual|subject|patient|firm|company|household|family|country|state|county|city|"
    "town|municipality|school|district|unit|panel|tree|plant|animal|team|player|respondent|student|worker|pid|hhid"
)
GLUED_TO_ID = (
    "fam|family|town|house|hh|p|ind|pers|person|child|mother|firm|plant|tree|school|pat|subj|cust|user|item|case"
)
UNIT_NAMES = re.compile(rf"(^|[_.\s])({UNIT_WORDS})$|^({GLUED_TO_ID})_?id$|(?-i:[a-z](Id|ID))$", re.IGNORECASE)
"""Names of unit keys: `id`, `firm`, `country_code` is not one but `state` is; `famID`, `townid` (a short word
glued to "id")."""


@dataclass(frozen=True)
class UnitColumn:
    """A column whose values are units observed several times, and how much of the target they carry."""

    column: str
    units: int
    gain: float


def _is_unit_like(values: pd.Series, name: str) -> bool:
    """Named like a unit key, or a text column with many values each repeated a few times (a car model, a
    street); numbers not named like keys are measurements that happen to repeat (a flipper length, a tax rate)."""
    present = values.dropna()
    units = present.nunique()
    if units < MIN_UNITS or len(present) < 2 * units:
        return False
    if UNIT_NAMES.search(name):
        if values.dtype.kind == "f" and not (present == present.round()).all():
            return False
        return len(present) / units <= MAX_ROWS_PER_NAMED_UNIT
    textual = values.dtype.kind in "OSU" or str(values.dtype) in ("category", "string")
    return textual and units >= MIN_UNNAMED_UNITS and len(present) / units <= MAX_ROWS_PER_UNIT


def _leave_one_out_votes(units: np.ndarray, labels: np.ndarray, n_units: int, n_labels: int) -> np.ndarray:
    """For each row, the most frequent label among the other rows of its unit (ties: the lowest label), computed from
    each unit's two most frequent labels: memory grows with the (unit, label) pairs seen, never units x labels."""
    import numpy as np

    pairs, counts = np.unique(units.astype(np.int64) * n_labels + labels, return_counts=True)
    pair_units, pair_labels = pairs // n_labels, pairs % n_labels
    order = np.lexsort((pair_labels, -counts, pair_units))  # per unit: most frequent first, then lowest label
    pair_units, pair_labels, counts = pair_units[order], pair_labels[order], counts[order]
    first = np.ones(len(pair_units), dtype=bool)
    first[1:] = pair_units[1:] != pair_units[:-1]
    second = np.zeros(len(pair_units), dtype=bool)
    second[1:] = first[:-1] & ~first[1:]
    top_label = np.zeros(n_units, dtype=np.int64)
    top_count = np.zeros(n_units, dtype=np.int64)
    top_label[pair_units[first]], top_count[pair_units[first]] = pair_labels[first], counts[first]
    # Without a second label, the runner-up is the lowest other label, seen 0 times.
    next_label = np.where(top_label == 0, 1, 0)
    next_count = np.zeros(n_units, dtype=np.int64)
    next_label[pair_units[second]], next_count[pair_units[second]] = pair_labels[second], counts[second]
    top, count, runner_up, runner_count = top_label[units], top_count[units], next_label[units], next_count[units]
    own_is_top = labels == top
    keeps_top = (count - 1 > runner_count) | ((count - 1 == runner_count) & (top < runner_up))
    votes: np.ndarray = np.where(~own_is_top | keeps_top, top, runner_up)
    return votes


def _leave_one_out_gain(keys: np.ndarray, target: pd.Series, classification: bool) -> float:
    """How well each row's target is predicted from the *other* rows of its unit, as a share of the trivial
    error removed (1: perfectly, 0: no better than the overall mean or majority). Leaving the row out keeps
    units seen twice from looking perfect by construction."""
    import numpy as np

    codes, inverse = np.unique(keys, return_inverse=True)
    sizes = np.bincount(inverse, minlength=len(codes))
    repeated = sizes[inverse] >= 2
    if repeated.sum() < MIN_UNITS:
        return 0.0
    if classification:
        labels, y = np.unique(target.astype(str).to_numpy(), return_inverse=True)
        predicted = _leave_one_out_votes(inverse, y, len(codes), len(labels))
        majority = np.bincount(y).argmax()
        base_error = float(np.mean(y[repeated] != majority))
        if base_error == 0.0:
            return 0.0
        error = float(np.mean(predicted[repeated] != y[repeated]))
        return 1.0 - error / base_error
    values = target.to_numpy(dtype=float)
    sums = np.bincount(inverse, weights=values, minlength=len(codes))
    predicted = (sums[inverse] - values)[repeated] / (sizes[inverse][repeated] - 1)
    truth = values[repeated]
    spread = float(np.sum((truth - truth.mean()) ** 2))
    if spread == 0.0:
        return 0.0
    return 1.0 - float(np.sum((truth - predicted) ** 2)) / spread


def unit_columns(
    table: pd.DataFrame, target: str, classification: bool, skip: tuple[str, ...] = ()
) -> list[UnitColumn]:
    """Columns of `table` that name units seen several times and largely determine `target`, strongest first."""
    rows = table[table[target].notna()]
    found = []
    for column in rows.columns:
        if column == target or column in skip or not _is_unit_like(rows[column], str(column)):
            continue
        usable = rows[rows[column].notna()]
        keys = usable[column].astype(str).to_numpy()
        gain = _leave_one_out_gain(keys, usable[target], classification)
        if gain >= MIN_GAIN:
            found.append(UnitColumn(str(column), int(usable[column].nunique()), gain))
    return sorted(found, key=lambda unit: -unit.gain)


def _straddling_units(task: LoadedTask, context: CheckContext) -> list[tuple[UnitColumn, float]]:
    """Unit columns of a randomly split task's source, with the share of test rows whose unit is also in train."""
    import pandas as pd

    from runner.preparation import PreparationError, raw_file_name, split_table

    from ._kit import kit_for
    from ._relations import target_kind

    manifest = task.manifest
    if manifest is None or not isinstance(manifest.prepare, DeclarativePrepare) or manifest.submission is None:
        return []
    split = manifest.prepare.split
    if split.method not in ("random", "stratified"):
        return []
    kit = kit_for(task, context)
    if isinstance(kit, PreparationError):
        return []
    source = next((s for s in manifest.sources if s.name == split.source), manifest.sources[0])
    try:
        raw = pd.read_csv(kit.prepared.raw / raw_file_name(source), low_memory=False)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
        return []
    if split.target not in raw.columns:
        return []
    full = raw[raw[split.target].notna()].reset_index(drop=True)
    try:
        train, test = split_table(full.drop(columns=split.drop_columns), split, kit.id_column)
    except PreparationError:
        return []
    classification = target_kind(full[split.target], kit.prediction) == "classification"
    skip = (split.id_column,) if split.id_column else ()
    straddling = []
    for unit in unit_columns(full, split.target, classification, skip):
        in_train = set(full.loc[train.index, unit.column].dropna().astype(str))
        test_keys = full.loc[test.index, unit.column].astype(str)
        shared = float(test_keys.isin(in_train).mean()) if len(test_keys) else 0.0
        if shared >= MIN_SHARED:
            straddling.append((unit, shared))
    return straddling


@task_check(
    "group-split",
    layer="execute",
    codes=("split.units-straddle",),
    description="A randomly split table whose rows repeat units (people, firms, countries) that largely determine "
    "the target keeps each unit on one side (method: group): otherwise the test set measures recognising units "
    "seen in train.",
)
def check_group_split(task: LoadedTask, context: CheckContext) -> Iterator[Problem]:
    for unit, shared in _straddling_units(task, context)[:1]:
        yield task.problem(
            "split.units-straddle",
            f"column {unit.column!r} names {unit.units} units seen several times each, the other rows of a unit "
            f"predict the target (error cut {unit.gain:.0%} over trivial), and {shared:.0%} of test rows belong to "
            f"a unit that also has rows in train: split with method: group and group_column: {unit.column} so test "
            "units are new (the column may also be in drop_columns: it then decides the split and is removed)",
            ("prepare", "split", "method"),
        )
