"""Split the fishing-mode data into public train/test and private answers, keeping identical profiles together.

Price and catch rate of the chosen mode (`price`, `catch`) repeat one of the per-mode columns and so reveal the
choice: they are dropped, with the R row numbers. Catch rates are site averages and incomes come in brackets, so
many anglers share an identical profile; a group split keeps each profile on one side, so that test anglers are
never answered by looking up a twin in train. Ids follow a seeded shuffle, not the source order.
"""

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupShuffleSplit

TARGET = "mode"
MODES = ["beach", "boat", "charter", "pier"]
SEED = 0


def prepare(raw: Path, public: Path, private: Path) -> None:
    table = pd.read_csv(Path(raw) / "fishing.csv").drop(columns=["rownames", "price", "catch"])
    features = [column for column in table.columns if column != TARGET]
    profile = table[features].astype(str).agg("|".join, axis=1)
    order = np.random.default_rng(SEED).permutation(len(table))
    table.insert(0, "id", order + 1)
    splitter = GroupShuffleSplit(n_splits=1, test_size=0.25, random_state=SEED)
    train_rows, test_rows = next(splitter.split(table, groups=profile))
    train = table.iloc[train_rows].sort_values("id")
    test = table.iloc[test_rows].sort_values("id")
    train.to_csv(Path(public) / "train.csv", index=False, lineterminator="\n")
    test.drop(columns=[TARGET]).to_csv(Path(public) / "test.csv", index=False, lineterminator="\n")
    test[["id", TARGET]].to_csv(Path(private) / "answers.csv", index=False, lineterminator="\n")
    shares = train[TARGET].value_counts(normalize=True)
    sample = test[["id"]].assign(**{mode: float(shares.get(mode, 0.0)) for mode in MODES})
    sample.to_csv(Path(public) / "sample_submission.csv", index=False, lineterminator="\n")
