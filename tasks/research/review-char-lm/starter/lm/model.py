"""A character n-gram language model with Witten-Bell interpolation (the baseline's model; edit freely).

The evaluator imports this file and calls `load(folder)` once, with the folder this file is in; the returned
object's `next_char_probs(context)` gets the text of the current review so far (a str, empty at the start of a
review) and returns the probabilities of the next character over the 96 symbols of vocab.json, in that order.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


class NGramModel:
    def __init__(self, counts: dict[str, dict[str, int]], vocab: list[str], order: int) -> None:
        self.order = order
        self.size = len(vocab)
        self.index = {char: position for position, char in enumerate(vocab)}
        # Per context: its continuation counts as a dense vector, their total, and how many distinct symbols follow.
        self.tables: dict[str, tuple[np.ndarray, float, float]] = {}
        for context, following in counts.items():
            vector = np.zeros(self.size)
            for char, count in following.items():
                vector[self.index[char]] = count
            self.tables[context] = (vector, float(vector.sum()), float(np.count_nonzero(vector)))

    def next_char_probs(self, context: str) -> np.ndarray:
        history = context[-(self.order - 1) :] if self.order > 1 else ""
        probs = np.full(self.size, 1.0 / self.size)
        # From the empty context up to the longest: mix each level's counts with the shorter contexts' estimate.
        for length in range(len(history) + 1):
            table = self.tables.get(history[len(history) - length :])
            if table is None:
                break
            vector, total, distinct = table
            probs = (vector + distinct * probs) / (total + distinct)
        return probs


def load(folder: str) -> NGramModel:
    saved = json.loads((Path(folder) / "counts.json").read_text(encoding="utf-8"))
    return NGramModel(saved["counts"], saved["vocab"], saved["order"])
