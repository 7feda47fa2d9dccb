"""Reference solution: least squares on a quadratic trend plus yearly harmonics of the date, extrapolated."""

import os
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression

data = Path(os.environ["BENCHSMITH_DATA"])
train = pd.read_csv(data / "train.csv")
test = pd.read_csv(data / "test.csv")


def design(dates: pd.Series) -> np.ndarray:
    when = pd.to_datetime(dates)
    years = (when.dt.year + (when.dt.dayofyear - 1) / 365.25 - 1958.0).to_numpy()
    columns = [years, years**2]
    for harmonic in (1, 2):
        columns += [np.sin(2 * np.pi * harmonic * years), np.cos(2 * np.pi * harmonic * years)]
    return np.column_stack(columns)


model = LinearRegression().fit(design(train["date"]), train["co2"])
submission = pd.DataFrame({"id": test["id"], "co2": model.predict(design(test["date"]))})
submission.to_csv(os.environ["BENCHSMITH_SUBMISSION"], index=False)
