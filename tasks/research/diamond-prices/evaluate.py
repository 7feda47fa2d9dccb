"""Score a predictions CSV of diamond prices on the dev or test split (protected: a pristine copy is always used).

    python evaluate.py --split dev --artefact predictions.csv --public /data
    python evaluate.py --split test --artefact predictions.csv --public /data --private DIR   (after the agent stops)

The artefact has a header `id,price` and one row per id of dev.csv and of test.csv (other ids are ignored).
Prints one JSON object as its last line: `rmsle` (root mean squared error of log(1 + price), the primary
metric, lower is better), `rmse` and `mae` (in US dollars).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd


def invalid(reason: str) -> None:
    sys.exit(f"invalid: {reason}")


def score(predictions: pd.DataFrame, answers: pd.DataFrame) -> dict[str, float]:
    merged = answers.merge(predictions, on="id", how="left", suffixes=("", "_predicted"))
    missing = merged["price_predicted"].isna().sum()
    if missing:
        invalid(f"{missing} of the {len(answers)} ids of this split have no prediction (or an empty one)")
    predicted = merged["price_predicted"].to_numpy(dtype=float)
    actual = merged["price"].to_numpy(dtype=float)
    if not np.isfinite(predicted).all() or (predicted < 0).any():
        invalid("prices must be finite and non-negative")
    return {
        "rmsle": float(np.sqrt(np.mean((np.log1p(predicted) - np.log1p(actual)) ** 2))),
        "rmse": float(np.sqrt(np.mean((predicted - actual) ** 2))),
        "mae": float(np.mean(np.abs(predicted - actual))),
    }


def read_predictions(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path)
    except Exception as error:  # any parse failure is the artefact's
        invalid(f"cannot read {path} as CSV: {error}")
    if list(frame.columns) != ["id", "price"]:
        invalid(f"the header must be id,price, not {','.join(map(str, frame.columns))}")
    if frame["id"].duplicated().any():
        invalid("some ids appear more than once")
    price = pd.to_numeric(frame["price"], errors="coerce")
    if price.isna().any():
        invalid("some prices are empty or not numbers")
    return frame.assign(price=price)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=["dev", "test"], default="dev")
    parser.add_argument("--artefact", type=Path, default=Path("predictions.csv"))
    parser.add_argument("--public", type=Path, default=Path("/data"))
    parser.add_argument("--private", type=Path, help="folder holding test_answers.csv (test split only)")
    args = parser.parse_args()
    if args.split == "test" and args.private is None:
        sys.exit("--split test needs --private")
    if not args.artefact.is_file():
        invalid(f"{args.artefact} does not exist; write your predictions there")
    if args.split == "dev":
        answers = pd.read_csv(args.public / "dev.csv", usecols=["id", "price"])
    else:
        answers = pd.read_csv(args.private / "test_answers.csv")
    print(json.dumps(score(read_predictions(args.artefact), answers)))


if __name__ == "__main__":
    main()
