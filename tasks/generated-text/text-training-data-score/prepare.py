"""Prepare a text task: documents of `review`, target `score` (classes).

The rows with a document are sampled (seeded, pinned by SAMPLE_SHA256), rows without an answer are left out, ids
follow a seeded shuffle, and the split is a seeded 25%.
"""

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

DOCUMENT = 'review'
TARGET = 'score'
FORM = 'classes'
LABELS = ['great', 'other']
TIME = None
MIN_WORDS = 3
MAX_ROWS = 3000
SAMPLE_SHA256 = '1081b4e03c2233c2f38e9f8ebacd4f037929de9484d7c479784f2ec6f3805fc7'
PREDICTION = 'probability-classes'
COLUMNS = ['great', 'other']

def select(table):
    """The rows with a document (MIN_WORDS+ words, the first of equal ones), then at most MAX_ROWS of them by a
    seeded permutation; also the SHA-256 of the kept rows' positions in the source table, which pins the sample."""
    text = table[DOCUMENT].fillna("").astype(str)
    # A document repeated (a breach report filed for several hospitals) is kept once: copies would straddle the split.
    positions = np.flatnonzero((text.str.split().str.len() >= MIN_WORDS).to_numpy() & ~text.duplicated().to_numpy())
    if len(positions) > MAX_ROWS:
        positions = np.sort(np.random.default_rng(0).permutation(positions)[:MAX_ROWS])
    digest = hashlib.sha256(",".join(map(str, positions)).encode()).hexdigest()
    return table.iloc[positions].reset_index(drop=True), digest


def answers_of(table):
    """The target as the task scores it: kept labels, one 0/1 column per listed item, or numbers."""
    value = table[TARGET]
    if FORM == "multilabel":
        table = table[value.notna()].copy()
        items = table[TARGET].astype(str).str.split(",").map(lambda parts: {part.strip() for part in parts})
        for column, item in LABELS.items():
            table[column] = items.map(lambda found, item=item: int(item in found))
        return table.drop(columns=[TARGET]), list(LABELS)
    if value.dtype == bool:
        value = value.astype(int)
    table = table.assign(**{TARGET: value})
    keep = value.notna() & (value.astype(str).isin(LABELS) if FORM == "classes" else True)
    return table[keep], [TARGET]


def sample_submission(test, train, targets):
    if PREDICTION == "probability-classes":
        shares = train[TARGET].astype(str).value_counts(normalize=True)
        return test[["id"]].assign(**{c: float(shares.get(c, 0.0)) for c in COLUMNS})
    if PREDICTION == "probability-positive":
        return test[["id"]].assign(**{TARGET: float(train[TARGET].astype(float).mean())})
    if FORM == "multilabel":
        common = train[targets].sum().idxmax()
        return test[["id"]].assign(**{c: int(c == common) for c in targets})
    if FORM == "number":
        return test[["id"]].assign(**{TARGET: float(train[TARGET].median())})
    return test[["id"]].assign(**{TARGET: train[TARGET].mode().iloc[0]})


def prepare(raw: Path, public: Path, private: Path) -> None:
    # Only "\n" ends a row: a tweet may hold a bare carriage return, which the source's CSV leaves unquoted.
    table, digest = select(pd.read_csv(Path(raw) / "table.csv", low_memory=False, lineterminator="\n"))
    if digest != SAMPLE_SHA256:
        raise ValueError(f"the sampled rows changed (SHA-256 {digest}, pinned {SAMPLE_SHA256})")
    table, targets = answers_of(table)
    # A bare carriage return would end a row for CSV readers (to_csv does not quote it): make it a newline.
    table[DOCUMENT] = table[DOCUMENT].astype(str).str.replace("\r\n?", "\n", regex=True)
    keep = ["id", *([TIME] if TIME else []), DOCUMENT, *targets]
    table.insert(0, "id", np.random.default_rng(1).permutation(len(table)) + 1)
    if TIME:
        when = pd.to_datetime(table[TIME], format="mixed", utc=True, errors="coerce")
        table = table.assign(_when=when)[when.notna()].sort_values(["_when", "id"], kind="stable")
        cut = len(table) - int(round(len(table) * 0.25))
        train, test = table.iloc[:cut], table.iloc[cut:]
    else:
        stratify = table[TARGET].astype(str) if FORM == "classes" else None
        train, test = train_test_split(table, test_size=0.25, random_state=0, stratify=stratify)
    train, test = train[keep].sort_values("id"), test[keep].sort_values("id")
    train.to_csv(Path(public) / "train.csv", index=False, lineterminator="\n")
    test.drop(columns=targets).to_csv(Path(public) / "test.csv", index=False, lineterminator="\n")
    test[["id", *targets]].to_csv(Path(private) / "answers.csv", index=False, lineterminator="\n")
    sample_submission(test, train, targets).to_csv(
        Path(public) / "sample_submission.csv", index=False, lineterminator="\n"
    )
