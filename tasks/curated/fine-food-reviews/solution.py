"""Reference solution: TF-IDF of word unigrams and bigrams and a logistic regression (a few seconds)."""

import os
from pathlib import Path

import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

data = Path(os.environ["BENCHSMITH_DATA"])
train = pd.read_csv(data / "train.csv")
test = pd.read_csv(data / "test.csv")

model = make_pipeline(
    TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
    LogisticRegression(C=4.0, max_iter=2000, random_state=0),
)
model.fit(train["review"].fillna(""), train["great"])

submission = pd.DataFrame({"id": test["id"], "great": model.predict_proba(test["review"].fillna(""))[:, 1]})
submission.to_csv(os.environ["BENCHSMITH_SUBMISSION"], index=False)
