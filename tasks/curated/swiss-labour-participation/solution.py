"""Reference solution: logistic regression in the spirit of Gerfin (1996), with age squared and a foreign dummy."""

import os
from pathlib import Path

import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

data = Path(os.environ["BENCHSMITH_DATA"])
train = pd.read_csv(data / "train.csv")
test = pd.read_csv(data / "test.csv")


def design(table: pd.DataFrame) -> pd.DataFrame:
    result = table[["lnnlinc", "age", "educ", "nyc", "noc"]].astype(float)
    result["age_squared"] = result["age"] ** 2
    result["foreign"] = (table["foreign"] == "yes").astype(float)
    return result


model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=5000, random_state=0))
model.fit(design(train), train["participates"])
submission = pd.DataFrame({"id": test["id"], "participates": model.predict_proba(design(test))[:, 1]})
submission.to_csv(os.environ["BENCHSMITH_SUBMISSION"], index=False)
