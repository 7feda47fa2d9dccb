"""Reference solution: one-hot island/sex, impute and scale the measurements, multinomial logistic regression."""

import os
from pathlib import Path

import pandas as pd
from sklearn.compose import make_column_transformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

data = Path(os.environ["BENCHSMITH_DATA"])
train = pd.read_csv(data / "train.csv")
test = pd.read_csv(data / "test.csv")
target = "species"
features = [column for column in test.columns if column != "id"]
categorical = [column for column in features if not pd.api.types.is_numeric_dtype(train[column])]
numeric = [column for column in features if column not in categorical]

model = make_pipeline(
    make_column_transformer(
        (make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
        (make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")), categorical),
    ),
    LogisticRegression(C=1.0, max_iter=5000, random_state=0),
)
model.fit(train[features], train[target])
submission = pd.DataFrame({"id": test["id"], target: model.predict(test[features])})
submission.to_csv(os.environ["BENCHSMITH_SUBMISSION"], index=False)
