"""Keep the films with at least 100 IMDb votes and split them into public train/test and private genre answers.

The seven genre flags are the targets; every other column (title included) is a feature. Ids follow a seeded
shuffle, not the source's alphabetical order.
"""

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

GENRES = ["Action", "Animation", "Comedy", "Drama", "Documentary", "Romance", "Short"]
MIN_VOTES = 100


def prepare(raw: Path, public: Path, private: Path) -> None:
    table = pd.read_csv(Path(raw) / "movies.csv", low_memory=False).drop(columns=["rownames"])
    table = table[table["votes"] >= MIN_VOTES].reset_index(drop=True)
    order = np.random.default_rng(2024).permutation(len(table))
    table.insert(0, "id", order + 1)
    table = table.sort_values("id", kind="stable").reset_index(drop=True)
    train, test = train_test_split(table, test_size=0.25, random_state=0)
    train, test = train.sort_values("id"), test.sort_values("id")
    train.to_csv(Path(public) / "train.csv", index=False, lineterminator="\n")
    test.drop(columns=GENRES).to_csv(Path(public) / "test.csv", index=False, lineterminator="\n")
    test[["id", *GENRES]].to_csv(Path(private) / "answers.csv", index=False, lineterminator="\n")
    # The sample tags every film with the single most common genre of the training set.
    most_common = train[GENRES].sum().idxmax()
    sample = test[["id"]].assign(**{genre: int(genre == most_common) for genre in GENRES})
    sample.to_csv(Path(public) / "sample_submission.csv", index=False, lineterminator="\n")
