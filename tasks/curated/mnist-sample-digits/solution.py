"""Reference solution: pixels scaled to [0, 1], 50 PCA components, multinomial logistic regression (seeded)."""

import os
from pathlib import Path

import pandas as pd
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

data = Path(os.environ["BENCHSMITH_DATA"])
train = pd.read_csv(data / "train.csv")
test = pd.read_csv(data / "test.csv")
pixels = [column for column in train.columns if column.startswith("pixel_")]

model = make_pipeline(
    PCA(n_components=50, random_state=0),
    StandardScaler(),
    LogisticRegression(C=0.1, max_iter=2000, random_state=0),
)
model.fit(train[pixels] / 255.0, train["target"])

submission = pd.DataFrame({"id": test["id"], "target": model.predict(test[pixels] / 255.0)})
submission.to_csv(os.environ["BENCHSMITH_SUBMISSION"], index=False)
