"""Split the diamonds table into train (60%), dev (20%) and test (20%) with a seeded shuffle.

train.csv and dev.csv (with prices) and test.csv (without) are public; the test prices are private. The R row
names are dropped: the table is sorted by price, so they would give the answer away.
"""

from pathlib import Path

import numpy as np
import pandas as pd

SEED = 11


def prepare(raw: Path, public: Path, private: Path) -> None:
    frame = pd.read_csv(raw / "diamonds.csv").drop(columns=["rownames"])
    rng = np.random.default_rng(SEED)
    frame = frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)
    frame.insert(0, "id", np.arange(len(frame)) + 100000)
    n_train, n_dev = int(0.6 * len(frame)), int(0.2 * len(frame))
    train, dev, test = frame[:n_train], frame[n_train : n_train + n_dev], frame[n_train + n_dev :]
    train.to_csv(public / "train.csv", index=False)
    dev.to_csv(public / "dev.csv", index=False)
    test.drop(columns=["price"]).to_csv(public / "test.csv", index=False)
    test[["id", "price"]].to_csv(private / "test_answers.csv", index=False)
