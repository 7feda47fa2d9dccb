"""Reference solution: logistic regression on the survey answers, with one-hot occupations."""

import os
from pathlib import Path

import pandas as pd
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

data = Path(os.environ["BENCHSMITH_DATA"])
train = pd.read_csv(data / "train.csv")
test = pd.read_csv(data / "test.csv")

NUMERIC = ["rate_marriage", "age", "yrs_married", "children", "religious", "educ"]
CATEGORICAL = ["occupation", "occupation_husb"]

model = make_pipeline(
    make_column_transformer(
        (StandardScaler(), NUMERIC),
        (OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
    ),
    LogisticRegression(C=1.0, max_iter=5000, random_state=0),
)
model.fit(train[NUMERIC + CATEGORICAL], train["had_affair"])
submission = pd.DataFrame({"id": test["id"], "had_affair": model.predict_proba(test[NUMERIC + CATEGORICAL])[:, 1]})
submission.to_csv(os.environ["BENCHSMITH_SUBMISSION"], index=False)
