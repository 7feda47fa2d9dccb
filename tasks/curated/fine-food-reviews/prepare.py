"""Keep modeldata's own split of the fine-food reviews: its training set becomes train, its testing set test.

The target `great` is 1 for a review scored "great" and 0 for "other". Ids come from one seeded shuffle over both
sets, so an id says nothing about the side of the split or the source's row order.
"""

from pathlib import Path

import numpy as np
import pandas as pd


def _read(path: Path) -> pd.DataFrame:
    table = pd.read_csv(path).drop(columns=["rownames"])
    table["great"] = (table.pop("score") == "great").astype(int)
    return table


def prepare(raw: Path, public: Path, private: Path) -> None:
    train, test = _read(Path(raw) / "reviews-train.csv"), _read(Path(raw) / "reviews-test.csv")
    ids = np.random.default_rng(2013).permutation(len(train) + len(test)) + 1
    train.insert(0, "id", ids[: len(train)])
    test.insert(0, "id", ids[len(train) :])
    train, test = train.sort_values("id"), test.sort_values("id")
    train.to_csv(Path(public) / "train.csv", index=False, lineterminator="\n")
    test.drop(columns=["great"]).to_csv(Path(public) / "test.csv", index=False, lineterminator="\n")
    test[["id", "great"]].to_csv(Path(private) / "answers.csv", index=False, lineterminator="\n")
    # The sample predicts the training share of "great" reviews for every test review.
    test[["id"]].assign(great=float(train["great"].mean())).to_csv(
        Path(public) / "sample_submission.csv", index=False, lineterminator="\n"
    )
