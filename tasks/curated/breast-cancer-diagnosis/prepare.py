"""Split the Wisconsin diagnostic data into public train/test and private answers.

scikit-learn codes the target as 0 = malignant, 1 = benign; participants predict `malignant`, so the label is
flipped to make the positive class the one of interest.
"""

from pathlib import Path

import pandas as pd
from sklearn.model_selection import train_test_split

TARGET = "malignant"


def prepare(raw: Path, public: Path, private: Path) -> None:
    table = pd.read_csv(Path(raw) / "breast-cancer.csv")
    table[TARGET] = 1 - table.pop("target")
    table.insert(0, "id", range(1, len(table) + 1))
    train, test = train_test_split(table, test_size=0.25, stratify=table[TARGET], random_state=0)
    train.to_csv(Path(public) / "train.csv", index=False)
    test.drop(columns=[TARGET]).to_csv(Path(public) / "test.csv", index=False)
    test[["id", TARGET]].to_csv(Path(private) / "answers.csv", index=False)
    sample = test[["id"]].assign(**{TARGET: train[TARGET].mean()})
    sample.to_csv(Path(public) / "sample_submission.csv", index=False)
