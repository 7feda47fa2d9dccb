"""Turn the 4,000 food reviews into one-review-per-line text files: train (3,700), dev (100) and test (200).

Characters outside printable ASCII are dropped and line breaks inside a review become spaces, so every review is
one line over the 95 printable ASCII characters; the line break ends a review. train.txt, dev.txt and vocab.json
are public; test.txt is private (the evaluator streams it to the agent's model one character at a time).
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 5
SIZES = {"train": 3700, "dev": 100, "test": 200}
VOCAB = [chr(code) for code in range(32, 127)] + ["\n"]


def clean(text: str) -> str:
    text = " ".join(text.splitlines())
    return "".join(char for char in text if " " <= char <= "~")


def prepare(raw: Path, public: Path, private: Path) -> None:
    reviews = [clean(str(text)) for text in pd.read_csv(raw / "reviews.csv")["review"]]
    reviews = [text for text in reviews if text.strip()]
    order = np.random.default_rng(SEED).permutation(len(reviews))
    start = 0
    for name, folder in (("train", public), ("dev", public), ("test", private)):
        chosen = [reviews[index] for index in order[start : start + SIZES[name]]]
        start += SIZES[name]
        (folder / f"{name}.txt").write_text("".join(text + "\n" for text in chosen), encoding="utf-8")
    (public / "vocab.json").write_text(json.dumps(VOCAB) + "\n", encoding="utf-8")
