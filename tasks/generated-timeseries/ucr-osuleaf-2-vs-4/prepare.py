"""Split on the archive's own train/test division; shuffled ids, so row order tells nothing."""

from pathlib import Path

import numpy as np
import pandas as pd


def prepare(raw: Path, public: Path, private: Path) -> None:
    table = pd.read_csv(Path(raw) / "series.csv", dtype={"label": str})
    classes = ['2', '4']
    table = table[table["label"].isin(classes)].reset_index(drop=True)
    order = np.random.default_rng(0).permutation(len(table))
    table.insert(0, "id", order + 1)
    table = table.sort_values("id")
    train = table[table.pop("split") == "train"]
    test = table.loc[~table["id"].isin(train["id"])]
    train.to_csv(Path(public) / "train.csv", index=False)
    test.drop(columns=["label"]).to_csv(Path(public) / "test.csv", index=False)
    test[["id", "label"]].to_csv(Path(private) / "answers.csv", index=False)
    shares = train["label"].value_counts(normalize=True)
    sample = test[["id"]].assign(**{label: float(shares.get(label, 0.0)) for label in classes})
    sample.to_csv(Path(public) / "sample_submission.csv", index=False)
