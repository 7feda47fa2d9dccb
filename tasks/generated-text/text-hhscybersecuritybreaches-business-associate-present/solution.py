"""Reference solution: TF-IDF of the document's words and word pairs, and a linear model (seeded, on one
thread)."""

import os
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, Ridge
from threadpoolctl import threadpool_limits

DOCUMENT = 'Web.Description'
TARGET = 'Business.Associate.Present'
PREDICTION = 'probability-positive'

data = Path(os.environ["BENCHSMITH_DATA"])
train = pd.read_csv(data / "train.csv")
test = pd.read_csv(data / "test.csv")
columns = list(pd.read_csv(data / "sample_submission.csv", nrows=1).columns[1:])
vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=50000)
x_train = vectorizer.fit_transform(train[DOCUMENT].fillna("").astype(str))
x_test = vectorizer.transform(test[DOCUMENT].fillna("").astype(str))
submission = test[["id"]].copy()


def classifier(balanced=False):
    return LogisticRegression(C=4.0, max_iter=5000, random_state=0, class_weight="balanced" if balanced else None)


with threadpool_limits(1):
    if PREDICTION == "multilabel":
        # One model per label; a row gets the labels above 0.5, and at least its likeliest one.
        scores = np.column_stack([
            classifier(balanced=True).fit(x_train, train[c]).predict_proba(x_test)[:, 1]
            if train[c].nunique() > 1 else np.full(x_test.shape[0], float(train[c].iloc[0]))
            for c in columns
        ])
        chosen = scores >= 0.5
        chosen[np.arange(len(chosen)), scores.argmax(axis=1)] = True
        for index, c in enumerate(columns):
            submission[c] = chosen[:, index].astype(int)
    elif PREDICTION == "probability-classes":
        model = classifier().fit(x_train, train[TARGET].astype(str))
        probabilities = model.predict_proba(x_test)
        known = list(model.classes_)
        for c in columns:
            submission[c] = probabilities[:, known.index(c)] if c in known else 0.0
    elif PREDICTION == "probability-positive":
        model = classifier().fit(x_train, train[TARGET].astype(int))
        submission[TARGET] = model.predict_proba(x_test)[:, 1]
    elif PREDICTION == "label":
        submission[TARGET] = classifier(balanced=True).fit(x_train, train[TARGET]).predict(x_test)
    else:
        y = train[TARGET].astype(float)
        logged = PREDICTION == "log-value"
        model = Ridge(alpha=1.0).fit(x_train, np.log1p(y) if logged else y)
        predicted = model.predict(x_test)
        submission[TARGET] = np.clip(np.expm1(predicted), 0.0, None) if logged else predicted
submission.to_csv(os.environ["BENCHSMITH_SUBMISSION"], index=False)
