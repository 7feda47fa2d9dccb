"""Split Fair's (1978) Redbook affairs survey into public train/test and private answers.

The source measures `affairs`, the time a woman spent in extramarital affairs; participants predict `had_affair`
= 1 if it is above zero, else 0, and the measure itself is dropped (it is the answer). Codes that are whole
numbers become integers; ids follow a seeded shuffle, not the source order.

The answers are coarse codes, so many women give identical answers. Women with identical answers are kept on the
same side of the split (a stratified group split on the feature columns), so no test row can be looked up in train.
"""

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold

TARGET = "had_affair"
SEED = 0
INTEGER_CODES = ["rate_marriage", "religious", "educ", "occupation", "occupation_husb"]


def prepare(raw: Path, public: Path, private: Path) -> None:
    table = pd.read_csv(Path(raw) / "fair.csv")
    table[TARGET] = (table.pop("affairs") > 0).astype(int)
    table[INTEGER_CODES] = table[INTEGER_CODES].round().astype(int)
    order = np.random.default_rng(SEED).permutation(len(table))
    table.insert(0, "id", order + 1)
    features = [c for c in table.columns if c not in ("id", TARGET)]
    groups = table.groupby(features, sort=True).ngroup()
    folds = StratifiedGroupKFold(n_splits=4, shuffle=True, random_state=SEED)
    train_rows, test_rows = next(folds.split(table, table[TARGET], groups))
    train, test = table.iloc[train_rows], table.iloc[test_rows]
    train, test = train.sort_values("id"), test.sort_values("id")
    train.to_csv(Path(public) / "train.csv", index=False, lineterminator="\n")
    test.drop(columns=[TARGET]).to_csv(Path(public) / "test.csv", index=False, lineterminator="\n")
    test[["id", TARGET]].to_csv(Path(private) / "answers.csv", index=False, lineterminator="\n")
    sample = test[["id"]].assign(**{TARGET: train[TARGET].mean()})
    sample.to_csv(Path(public) / "sample_submission.csv", index=False, lineterminator="\n")
