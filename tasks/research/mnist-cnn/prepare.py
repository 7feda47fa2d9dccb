"""Split the 5,000-image MNIST sample into train (3,000), dev (1,000) and test (1,000), stratified by digit.

train and dev (with labels) are public; the test images and their labels are private: the agent hands in a
model, and the evaluator runs it on images the agent never saw.
"""

from pathlib import Path

import numpy as np
import pandas as pd

SEED = 8
SIZES = {"train": 300, "dev": 100, "test": 100}  # per digit


def prepare(raw: Path, public: Path, private: Path) -> None:
    frame = pd.read_csv(raw / "mnist.csv")
    frame = frame.rename(columns={"target": "label"})
    rng = np.random.default_rng(SEED)
    parts: dict[str, list[pd.DataFrame]] = {name: [] for name in SIZES}
    for _, digit in frame.groupby("label", sort=True):
        order = rng.permutation(len(digit))
        start = 0
        for name, size in SIZES.items():
            parts[name].append(digit.iloc[order[start : start + size]])
            start += size
    ids = rng.permutation(len(frame))
    offset = 0
    for name, folder in (("train", public), ("dev", public), ("test", private)):
        split = pd.concat(parts[name]).sample(frac=1.0, random_state=SEED).reset_index(drop=True)
        split.insert(0, "id", ids[offset : offset + len(split)])
        offset += len(split)
        split.to_csv(folder / f"{name}.csv", index=False)
