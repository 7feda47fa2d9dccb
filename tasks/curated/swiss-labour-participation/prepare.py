"""Split the Swiss labour-force participation data into public train/test and private answers.

The source codes participation as `lfp` = yes/no; participants predict `participates` = 1/0 so that the positive
class is the one of interest. The R row numbers are dropped and ids follow a seeded shuffle, not the source order.
"""

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

TARGET = "participates"
SEED = 0


def prepare(raw: Path, public: Path, private: Path) -> None:
    table = pd.read_csv(Path(raw) / "participation.csv")
    table = table.drop(columns=["rownames"])
    table[TARGET] = (table.pop("lfp") == "yes").astype(int)
    order = np.random.default_rng(SEED).permutation(len(table))
    table.insert(0, "id", order + 1)
    train, test = train_test_split(table, test_size=0.25, stratify=table[TARGET], random_state=SEED)
    train, test = train.sort_values("id"), test.sort_values("id")
    train.to_csv(Path(public) / "train.csv", index=False, lineterminator="\n")
    test.drop(columns=[TARGET]).to_csv(Path(public) / "test.csv", index=False, lineterminator="\n")
    test[["id", TARGET]].to_csv(Path(private) / "answers.csv", index=False, lineterminator="\n")
    sample = test[["id"]].assign(**{TARGET: train[TARGET].mean()})
    sample.to_csv(Path(public) / "sample_submission.csv", index=False, lineterminator="\n")
