"""Reference solution: multinomial logistic regression on prices, displays, features and the household (one-hot);
brands are ranked by predicted probability (seeded)."""

import os
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

data = Path(os.environ["BENCHSMITH_DATA"])
train = pd.read_csv(data / "train.csv")
test = pd.read_csv(data / "test.csv")
numeric = [column for column in train.columns if column.split(".")[0] in ("disp", "feat", "price")]

model = make_pipeline(
    make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), ["household"]), (StandardScaler(), numeric)
    ),
    LogisticRegression(C=0.5, max_iter=2000, random_state=0),
)
model.fit(train[["household", *numeric]], train["choice"])
probabilities = model.predict_proba(test[["household", *numeric]])
ranked = [" ".join(model.classes_[np.argsort(-row, kind="stable")]) for row in probabilities]

pd.DataFrame({"id": test["id"], "choice": ranked}).to_csv(os.environ["BENCHSMITH_SUBMISSION"], index=False)
