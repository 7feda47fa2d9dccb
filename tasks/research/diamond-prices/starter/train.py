"""Baseline: ordinary least squares on log(price) with log(carat) and the one-hot cut, colour and clarity grades.

    python train.py          # writes predictions.csv (or $BENCHSMITH_ARTEFACT) for the dev and test ids
    $BENCHSMITH_VALIDATE     # its RMSLE on the dev split

Edit freely: features, model, validation. The artefact needs a header `id,price` and one row per id of dev.csv
and test.csv.
"""

import os
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression

data = Path(os.environ.get("BENCHSMITH_DATA", "/data"))
train = pd.read_csv(data / "train.csv")
dev = pd.read_csv(data / "dev.csv")
test = pd.read_csv(data / "test.csv")

CATEGORIES = ["cut", "color", "clarity"]


def features(frame: pd.DataFrame) -> pd.DataFrame:
    table = pd.get_dummies(frame[CATEGORIES].astype("category"), dtype=float)
    table["log_carat"] = np.log(frame["carat"])
    return table


columns = features(pd.concat([train, dev, test])).columns
X_train = features(train).reindex(columns=columns, fill_value=0.0)
model = LinearRegression().fit(X_train, np.log(train["price"]))


def predict(frame: pd.DataFrame) -> np.ndarray:
    return np.exp(model.predict(features(frame).reindex(columns=columns, fill_value=0.0)))


dev_error = np.sqrt(np.mean((np.log1p(predict(dev)) - np.log1p(dev["price"])) ** 2))
print(f"dev RMSLE {dev_error:.4f}")

predictions = pd.concat(
    [pd.DataFrame({"id": frame["id"], "price": predict(frame)}) for frame in (dev, test)], ignore_index=True
)
artefact = Path(os.environ.get("BENCHSMITH_ARTEFACT", "predictions.csv"))
predictions.to_csv(artefact, index=False)
print(f"wrote {len(predictions)} predictions to {artefact}")
