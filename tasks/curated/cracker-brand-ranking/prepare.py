"""Split the cracker purchases at random into public train/test and the private bought brand.

The source's `id` is the household; it is renamed `household` and every purchase gets a new `id` from a seeded
shuffle. Households appear on both sides of the split, as in a recommendation setting.
"""

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split


def prepare(raw: Path, public: Path, private: Path) -> None:
    table = pd.read_csv(Path(raw) / "cracker.csv").drop(columns=["rownames"]).rename(columns={"id": "household"})
    order = np.random.default_rng(1994).permutation(len(table))
    table.insert(0, "id", order + 1)
    train, test = train_test_split(table, test_size=0.25, random_state=0)
    train, test = train.sort_values("id"), test.sort_values("id")
    train.to_csv(Path(public) / "train.csv", index=False, lineterminator="\n")
    test.drop(columns=["choice"]).to_csv(Path(public) / "test.csv", index=False, lineterminator="\n")
    test[["id", "choice"]].to_csv(Path(private) / "answers.csv", index=False, lineterminator="\n")
    # The sample ranks the brands by their share of the training purchases, the same for every row.
    popularity = " ".join(train["choice"].value_counts().sort_index().sort_values(ascending=False, kind="stable").index)
    test[["id"]].assign(choice=popularity).to_csv(
        Path(public) / "sample_submission.csv", index=False, lineterminator="\n"
    )
