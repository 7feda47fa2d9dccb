"""The `--no-llm --text` generator: NLP tasks from tables with a document column (tweets, reviews, incident notes).

A table qualifies when one string column holds documents: at least `MIN_DOCUMENTS` rows of `MIN_ROW_WORDS`+ words,
averaging `DOCUMENT_MIN_WORDS`+ words (the longest such column is the input). Each task's input is that document alone
(plus the time column when the split is by time); its target is one other column of the table:

- a comma-separated list of a few recurring items (`Laptop, Email`): multi-label, one 0/1 column per item, F1 over
  each row's label set (`f1_samples`);
- a category: its labels holding at least `MIN_CLASS_SHARE` of the rows (rows of rarer labels are left out), scored
  as the table generator would (`_propose._metric`: ROC AUC, log loss, macro-F1, balanced accuracy, kappa);
- a number with many values: regression, RMSLE for skewed counts, else RMSE / MAE.

Identifier, sensitive and design-factor targets are refused (`spec.target_concern`); a target whose answer the text
spells out is rejected by the `text-leaks` execution check. A table of more than `MAX_ROWS` documents is sampled
with a seeded permutation, and the sample is pinned: `prepare.py` holds a SHA-256 of the chosen row positions and
refuses to prepare a different sample. When the table has a date column and the target drifts with it (Cramér's V
or |Spearman rho| of at least `TIME_DEPENDENCE`), the test rows are the latest quarter: a forecast of later documents.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from spec import target_concern

from ._design import GENERATOR_VERSION, TASK_VERSION, TaskDesign, license_text, slugify
from ._generate import (
    DatasetRecord,
    GenerationReport,
    Progress,
    Reject,
    generate_each,
    keep_if_verified,
    load_raw,
    rejecter,
)
from ._profile import DOCUMENT_MIN_WORDS

if TYPE_CHECKING:
    import pandas as pd

    from ._docs import DatasetDocs

TEXT_GENERATOR_NAME = "text"
MIN_ROW_WORDS = 3
"""A row's document needs this many words; shorter cells are placeholders (`\\N`, `NO DAMAGE`), not documents."""
MIN_DOCUMENTS = 125
"""Rows with a document a table needs (the table generator's smallest task: 50 test rows at a 40% split)."""
MAX_ROWS = 3000
"""Documents kept per table: enough for TF-IDF to learn, small enough to validate in a minute."""
MIN_CLASS_SHARE = 0.03
MIN_CLASS_ROWS = 10
MAX_CLASSES = 10
MIN_KEPT_SHARE = 0.8
"""A category is a target only when its kept labels cover this share of its rows (else it is mostly 'other')."""
MAX_TARGET_MISSING = 0.3
"""A target may lack an answer in this share of documents (those rows are left out): documents are the scarce part."""
MIN_MULTI_SHARE = 0.03
"""Share of rows listing several items for a column to be multi-label rather than a category."""
TIME_DEPENDENCE = 0.15
TEST_SIZE = 0.25
_DATE = re.compile(r"^\s*\d{1,4}[-/]\d{1,2}[-/]\d{1,4}")
DOMAINS = {
    "dslabs/trump_tweets": "politics", "modeldata/training_data": "e-commerce",
    "modeldata/testing_data": "e-commerce", "openintro/birds": "aviation",
    "Ecdat/HHSCyberSecurityBreaches": "health-data-security",
}  # fmt: skip
"""Subject areas of the packaged document tables where their documentation's own tag is too broad."""

TargetForm = Literal["classes", "multilabel", "number"]

SELECT = '''
def select(table):
    """The rows with a document (MIN_WORDS+ words, the first of equal ones), then at most MAX_ROWS of them by a
    seeded permutation; also the SHA-256 of the kept rows' positions in the source table, which pins the sample."""
    text = table[DOCUMENT].fillna("").astype(str)
    # A document repeated (a breach report filed for several hospitals) is kept once: copies would straddle the split.
    positions = np.flatnonzero((text.str.split().str.len() >= MIN_WORDS).to_numpy() & ~text.duplicated().to_numpy())
    if len(positions) > MAX_ROWS:
        positions = np.sort(np.random.default_rng(0).permutation(positions)[:MAX_ROWS])
    digest = hashlib.sha256(",".join(map(str, positions)).encode()).hexdigest()
    return table.iloc[positions].reset_index(drop=True), digest
'''

PREPARE = '''"""Prepare a text task: documents of `{document}`, target `{target}` ({form}).

The rows with a document are sampled (seeded, pinned by SAMPLE_SHA256), rows without an answer are left out, ids
follow a seeded shuffle, and the split is {split_doc}.
"""

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

DOCUMENT = {document!r}
TARGET = {target!r}
FORM = {form!r}
LABELS = {labels!r}
TIME = {time!r}
MIN_WORDS = {min_words}
MAX_ROWS = {max_rows}
SAMPLE_SHA256 = {digest!r}
PREDICTION = {prediction!r}
COLUMNS = {columns!r}
{select}

def answers_of(table):
    """The target as the task scores it: kept labels, one 0/1 column per listed item, or numbers."""
    value = table[TARGET]
    if FORM == "multilabel":
        table = table[value.notna()].copy()
        items = table[TARGET].astype(str).str.split(",").map(lambda parts: {{part.strip() for part in parts}})
        for column, item in LABELS.items():
            table[column] = items.map(lambda found, item=item: int(item in found))
        return table.drop(columns=[TARGET]), list(LABELS)
    if value.dtype == bool:
        value = value.astype(int)
    table = table.assign(**{{TARGET: value}})
    keep = value.notna() & (value.astype(str).isin(LABELS) if FORM == "classes" else True)
    return table[keep], [TARGET]


def sample_submission(test, train, targets):
    if PREDICTION == "probability-classes":
        shares = train[TARGET].astype(str).value_counts(normalize=True)
        return test[["id"]].assign(**{{c: float(shares.get(c, 0.0)) for c in COLUMNS}})
    if PREDICTION == "probability-positive":
        return test[["id"]].assign(**{{TARGET: float(train[TARGET].astype(float).mean())}})
    if FORM == "multilabel":
        common = train[targets].sum().idxmax()
        return test[["id"]].assign(**{{c: int(c == common) for c in targets}})
    if FORM == "number":
        return test[["id"]].assign(**{{TARGET: float(train[TARGET].median())}})
    return test[["id"]].assign(**{{TARGET: train[TARGET].mode().iloc[0]}})


def prepare(raw: Path, public: Path, private: Path) -> None:
    # Only "\\n" ends a row: a tweet may hold a bare carriage return, which the source's CSV leaves unquoted.
    table, digest = select(pd.read_csv(Path(raw) / "table.csv", low_memory=False, lineterminator="\\n"))
    if digest != SAMPLE_SHA256:
        raise ValueError(f"the sampled rows changed (SHA-256 {{digest}}, pinned {{SAMPLE_SHA256}})")
    table, targets = answers_of(table)
    # A bare carriage return would end a row for CSV readers (to_csv does not quote it): make it a newline.
    table[DOCUMENT] = table[DOCUMENT].astype(str).str.replace("\\r\\n?", "\\n", regex=True)
    keep = ["id", *([TIME] if TIME else []), DOCUMENT, *targets]
    table.insert(0, "id", np.random.default_rng(1).permutation(len(table)) + 1)
    if TIME:
        when = pd.to_datetime(table[TIME], format="mixed", utc=True, errors="coerce")
        table = table.assign(_when=when)[when.notna()].sort_values(["_when", "id"], kind="stable")
        cut = len(table) - int(round(len(table) * {test_size}))
        train, test = table.iloc[:cut], table.iloc[cut:]
    else:
        stratify = table[TARGET].astype(str) if FORM == "classes" else None
        train, test = train_test_split(table, test_size={test_size}, random_state=0, stratify=stratify)
    train, test = train[keep].sort_values("id"), test[keep].sort_values("id")
    train.to_csv(Path(public) / "train.csv", index=False, lineterminator="\\n")
    test.drop(columns=targets).to_csv(Path(public) / "test.csv", index=False, lineterminator="\\n")
    test[["id", *targets]].to_csv(Path(private) / "answers.csv", index=False, lineterminator="\\n")
    sample_submission(test, train, targets).to_csv(
        Path(public) / "sample_submission.csv", index=False, lineterminator="\\n"
    )
'''

SOLUTION = '''"""Reference solution: TF-IDF of the document's words and word pairs, and a linear model (seeded, on one
thread)."""

import os
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, Ridge
from threadpoolctl import threadpool_limits

DOCUMENT = {document!r}
TARGET = {target!r}
PREDICTION = {prediction!r}

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
'''


def _select_function() -> Any:
    """`select(table) -> (rows, digest)`, from the very text every `prepare.py` carries, so the generator's sample
    and the task's are one and the same."""
    import numpy as np

    namespace: dict[str, Any] = {
        "np": np, "hashlib": hashlib, "DOCUMENT": None, "MIN_WORDS": MIN_ROW_WORDS, "MAX_ROWS": MAX_ROWS,
    }  # fmt: skip
    exec(SELECT, namespace)  # our own constant text, not data
    return namespace["select"]


def read_raw(reference: str) -> tuple[bytes, pd.DataFrame]:
    """A packaged table's canonical CSV bytes and the table as `prepare.py` reads them: only `\\n` ends a row (a
    document may hold a bare carriage return, which the canonical CSV leaves unquoted: 7 of Trump's tweets)."""
    import pandas as pd

    raw, _ = load_raw(reference)
    try:
        return raw, pd.read_csv(io.BytesIO(raw), low_memory=False, lineterminator="\n")
    except pd.errors.ParserError as error:
        raise ValueError(str(error)) from None


def document_column(frame: pd.DataFrame) -> str | None:
    """The table's document column: the string column with the most words among those with at least
    `MIN_DOCUMENTS` documents averaging `DOCUMENT_MIN_WORDS` words; None when there is none."""
    best: tuple[float, str] | None = None
    for column in frame.columns:
        if frame[column].dtype.kind != "O":
            continue
        words = frame[column].dropna().astype(str).str.count(r"\S+")
        documents = words[words >= MIN_ROW_WORDS]
        if len(documents) < MIN_DOCUMENTS or float(documents.mean()) < DOCUMENT_MIN_WORDS:
            continue
        total = float(documents.sum())
        if best is None or total > best[0]:
            best = (total, str(column))
    return None if best is None else best[1]


def sample_documents(frame: pd.DataFrame, document: str) -> tuple[pd.DataFrame, str]:
    """The rows a text task on `document` uses (see `SELECT`) and the digest that pins them."""
    select = _select_function()
    select.__globals__["DOCUMENT"] = document
    rows, digest = select(frame)
    return rows, str(digest)


def _when(values: pd.Series) -> pd.Series | None:
    """The column parsed as instants, when at least 90% of its values are dates; else None."""
    import pandas as pd

    present = values.dropna()
    if values.dtype.kind != "O" or len(present) == 0 or not present.astype(str).head(50).str.match(_DATE).all():
        return None
    parsed = pd.to_datetime(values, format="mixed", utc=True, errors="coerce")
    return parsed if parsed.notna().mean() >= 0.9 and parsed.nunique() >= 10 else None


def time_column(rows: pd.DataFrame, document: str) -> str | None:
    """The first column of dates (ISO or day/month forms) other than the document."""
    for column in rows.columns:
        if column != document and _when(rows[column]) is not None:
            return str(column)
    return None


def _multilabel_items(values: pd.Series) -> dict[str, str] | None:
    """`{column name: item}` when the column lists comma-separated items, several per row often enough."""
    present = values.dropna()
    if values.dtype.kind != "O" or len(present) == 0:
        return None
    items = present.astype(str).str.split(",").map(lambda parts: {part.strip() for part in parts if part.strip()})
    if float((items.map(len) > 1).mean()) < MIN_MULTI_SHARE:
        return None
    counts: dict[str, int] = {}
    for found in items:
        for item in found:
            counts[item] = counts.get(item, 0) + 1
    kept = [
        item
        for item, count in sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
        if count >= MIN_CLASS_ROWS and count <= len(present) - MIN_CLASS_ROWS
    ][:MAX_CLASSES]
    if len(kept) < 2:
        return None
    names: dict[str, str] = {}
    for item in kept:
        name = slugify(item, limit=40).replace("-", "_")
        names[name if name not in names else f"{name}_{len(names)}"] = item
    return names


def _kept_labels(values: pd.Series) -> list[str] | None:
    """The labels of a category worth predicting (see the module doc), as text; None when it is no target."""
    from runner.metrics import label_text

    present = values.dropna()
    if values.dtype.kind == "f" or not 2 <= present.nunique() <= 200:
        return None
    counts = present.map(label_text).value_counts()
    kept = counts[(counts >= MIN_CLASS_ROWS) & (counts >= MIN_CLASS_SHARE * len(present))].head(MAX_CLASSES)
    if len(kept) < 2 or kept.sum() < MIN_KEPT_SHARE * len(present):
        return None
    return sorted(str(label) for label in kept.index)


def _lasting_labels(values: pd.Series, when: pd.Series) -> list[str] | None:
    """The labels holding `MIN_CLASS_SHARE` (and `MIN_CLASS_ROWS`) of the rows both before and after the time
    split's cut; None when fewer than two do."""
    late = when >= when.quantile(1 - TEST_SIZE)
    labels = None
    for part in (values[~late], values[late]):
        counts = part.dropna().map(_label_text).value_counts()
        kept = set(counts[(counts >= MIN_CLASS_ROWS) & (counts >= MIN_CLASS_SHARE * counts.sum())].index)
        labels = kept if labels is None else labels & kept
    return sorted(str(label) for label in labels) if labels is not None and len(labels) >= 2 else None


def _dependence(target: pd.Series, when: pd.Series, form: TargetForm) -> float:
    """How strongly the target drifts with time: |Spearman rho| for numbers, Cramér's V against time quintiles for
    labels (each 0/1 column of a multi-label target, the largest)."""
    import numpy as np
    import pandas as pd
    from scipy.stats import chi2_contingency, spearmanr

    both = pd.DataFrame({"y": target, "t": when}).dropna()
    if len(both) < MIN_DOCUMENTS:
        return 0.0
    if form == "number":
        rho = spearmanr(both["y"].astype(float), both["t"].astype("int64")).statistic
        return float(abs(rho)) if np.isfinite(rho) else 0.0
    bins = pd.qcut(both["t"].rank(method="first"), 5, labels=False)
    table = pd.crosstab(both["y"].astype(str), bins)
    if table.shape[0] < 2:
        return 0.0
    chi2 = chi2_contingency(table.to_numpy()).statistic
    return float(np.sqrt(chi2 / (len(both) * (min(table.shape) - 1))))


@dataclass
class TextProposal:
    """One target of a document table, with how it is scored."""

    target: str
    form: TargetForm
    labels: dict[str, str] | list[str]
    """Multi-label: `{column: item}`; classes: the kept labels as text; numbers: empty."""
    metric: str
    prediction: str
    columns: list[str]
    problem: str
    why: str
    time: str | None = None
    """The date column the split orders by, when the target drifts with time."""
    test_size: float = TEST_SIZE
    """The test share: a quarter, or more so that the test set has `MIN_TEST_ROWS` rows."""


def propose_text(rows: pd.DataFrame, document: str, reject: Reject | None = None) -> list[TextProposal]:
    """Targets of the sampled document table, multi-label first, then classes, then numbers (the order of
    `TargetCandidate`s within each). `reject` logs the columns refused as targets by `spec.target_concern`."""
    from ._profile import profile_table
    from ._propose import _metric

    profile = profile_table(rows.drop(columns=[document]))
    skip = {*profile.leakage_prone, *(c.name for c in profile.columns if c.constant)}
    dates = time_column(rows, document)
    when = _when(rows[dates]) if dates is not None else None
    proposals: list[TextProposal] = []
    for column in [str(name) for name in rows.columns]:
        if column in (document, dates) or column in skip:
            continue
        values = rows[column]
        if values.dtype == bool:
            values = values.astype(int)  # prepare.py writes booleans as 0/1, so those are the labels
        if values.isna().mean() > MAX_TARGET_MISSING:
            continue
        present = values.dropna()
        whole = values.dtype.kind in "iu" or (values.dtype.kind == "f" and bool((present == present.round()).all()))
        if whole and present.nunique() == len(present):
            continue  # a different whole number on every row (a tweet's `id_str`) names the row, it measures nothing
        concern = target_concern(column)
        if concern is not None:
            if reject is not None:
                reject("propose", f"target.{concern[0]}", f"{column}: {concern[1]}")
            continue
        items = _multilabel_items(values)
        if items is not None:
            why = (
                f"{column} lists comma-separated items: one 0/1 column per item seen in at least {MIN_CLASS_ROWS} "
                f"rows ({len(items)}), scored by the mean per-row F1 of the label sets"
            )
            proposals.append(
                TextProposal(column, "multilabel", items, "f1_samples", "multilabel", list(items), "multilabel", why)
            )
            continue
        labels = _kept_labels(values)
        drifting = False
        if labels is not None and when is not None and _dependence(values, when, "classes") >= TIME_DEPENDENCE:
            # A forecast of classes is fair only on the classes both periods have (tweets from a phone not yet sold
            # cannot be learnt from the past): those common in the earliest 75% and in the latest 25%.
            labels, drifting = _lasting_labels(values, when), True
            if labels is None:
                continue
        subset: pd.DataFrame | None = None
        form: TargetForm = "classes"
        if labels is not None:
            subset = rows[[column]][values.map(_label_text).isin(labels)]
        elif values.dtype.kind in "fiu":
            subset, form = rows[[column]].dropna(), "number"
        if subset is None:
            continue
        subset = subset.assign(**{column: values[subset.index]})
        candidates = profile_table(subset).candidates
        if not candidates:
            continue
        candidate = candidates[0]
        metric, prediction, columns, why = _metric(candidate, forecasting=False)
        proposal = TextProposal(column, form, labels or [], metric, prediction, columns, candidate.kind, why)
        proposal.time = dates if drifting else None
        proposals.append(proposal)
    order = {"multilabel": 0, "binary": 1, "multiclass": 2, "regression": 3}
    proposals.sort(key=lambda p: (order[p.problem], float(rows[p.target].isna().mean())))
    if when is not None:
        for proposal in proposals:
            target = rows[proposal.target]
            if proposal.form == "multilabel":
                assert isinstance(proposal.labels, dict)
                parts = target.dropna().astype(str).str.split(",").map(lambda p: {x.strip() for x in p})
                strength = max(
                    _dependence(parts.map(lambda found, i=item: int(i in found)), when[parts.index], "classes")
                    for item in proposal.labels.values()
                )
            elif proposal.form == "number":
                strength = _dependence(target, when, proposal.form)
            else:
                continue  # decided above, with its labels
            if strength >= TIME_DEPENDENCE:
                proposal.time = dates
    return [proposal for proposal in proposals if _sized(proposal, rows, when)]


def _sized(proposal: TextProposal, rows: pd.DataFrame, when: pd.Series | None) -> bool:
    """Give the proposal the test share of the table generator (a quarter, more for a small table so the test set
    has 50 rows); False when even 40% would not do."""
    from ._propose import test_fraction

    target = rows[proposal.target]
    if target.dtype == bool:
        target = target.astype(int)  # as prepare.py writes it, and as its labels are
    answered = target.notna()
    if proposal.form == "classes":
        answered &= target.map(_label_text).isin(proposal.labels)
    if proposal.time is not None and when is not None:
        answered &= when.notna()
    fraction = test_fraction(int(answered.sum()))
    if fraction is None:
        return False
    proposal.test_size = fraction
    return True


def _label_text(value: object) -> str:
    from runner.metrics import label_text

    return label_text(value)


def _description(
    proposal: TextProposal, reference: str, title: str, document: str, docs: DatasetDocs, rows: int, sampled: bool
) -> str:
    notes = docs.columns
    what = {
        "multilabel": "the items listed in `{t}`: one 0/1 column per item ({items})",
        "classes": "`{t}`, one of {items}",
        "number": "the number `{t}`",
    }[proposal.form]
    items = ", ".join(
        f"`{label}`" for label in (proposal.labels.values() if isinstance(proposal.labels, dict) else proposal.labels)
    )
    target_line = f"- `{proposal.target}` (the target): {notes[proposal.target]}\n" if proposal.target in notes else ""
    document_line = f"- `{document}` (the input): {notes[document]}\n" if document in notes else ""
    share = f"{proposal.test_size:.1%}".replace(".0%", "%")
    split = (
        f"The test rows are the latest {share} by `{proposal.time}` (the target drifts with time): predict "
        "later documents from earlier ones.\n"
        if proposal.time
        else f"The test set is a random {share} of the documents"
        + (", stratified by class.\n" if proposal.form == "classes" else ".\n")
    )
    sample_note = (
        f"The table has more documents than a task needs: {rows} were drawn with a seeded permutation (the sample is "
        "pinned by a digest in `prepare.py`).\n"
        if sampled
        else ""
    )
    submission = {
        "multilabel": "one 0/1 column per item, named as in `train.csv`",
        "probability-classes": "one probability column per class, named by the class labels",
        "probability-positive": f"the probability that `{proposal.target}` is 1, in column `{proposal.target}`",
        "label": f"the predicted class of `{proposal.target}`",
        "log-value": f"the predicted value of `{proposal.target}` (not negative)",
        "value": f"the predicted value of `{proposal.target}`",
    }[proposal.prediction]
    header = ",".join(["id", *proposal.columns])
    about = f"## About the data\n\n{docs.summary}\n\n" if docs.summary else ""
    return (
        f"# {title}\n\n"
        f"Read each document of the `{document}` column of {reference}"
        f"{f' ({docs.title})' if docs.title else ''} and predict {what.format(t=proposal.target, items=items)}. "
        "The text is the only input" + (f", with its date `{proposal.time}`" if proposal.time else "") + ".\n\n"
        f"{split}{sample_note}\n{about}"
        "## Columns\n\n"
        f"{document_line}{target_line}"
        f"{'' if document_line or target_line else '(the dataset documents no column)' + chr(10)}\n"
        "## Files\n\n"
        f"- `train.csv`: `id`, {f'`{proposal.time}`, ' if proposal.time else ''}`{document}` and the target "
        f"column(s) `{'`, `'.join(proposal.columns if proposal.form == 'multilabel' else [proposal.target])}`.\n"
        "- `test.csv`: the same without the target.\n"
        "- `sample_submission.csv`: a valid submission of constant predictions.\n\n"
        "## Submission\n\n"
        f"A CSV with the header `{header}` and one row per test id, holding {submission}.\n\n"
        "## Metric\n\n"
        f"`{proposal.metric}`: {proposal.why}.\n"
    )


def design_text(
    proposal: TextProposal,
    reference: str,
    sha256: str,
    document: str,
    digest: str,
    rows: int,
    sampled: bool,
    docs: DatasetDocs,
) -> tuple[TaskDesign, str]:
    """The task for one proposal on the pinned table `reference`, and the text of its `prepare.py`."""
    from runner.metrics import get_metric

    provider, _, name = reference.partition(":")
    identifier = slugify(f"text-{name.rsplit('/', 1)[-1]}-{proposal.target}")
    verb = {"multilabel": "tag", "classes": "classify", "number": "estimate"}[proposal.form]
    title = f"{docs.title or name} — {verb} {proposal.target} from the {document} text ({proposal.problem})"[:200]
    manifest: dict[str, Any] = {
        "schema_version": 1,
        "id": identifier,
        "version": TASK_VERSION,
        "kind": "competition",
        "title": title,
        "description": f"{identifier}/description.md",
        "tags": {
            "modality": "text",
            "problem": proposal.problem,
            "domain": DOMAINS.get(name, docs.domain),
            "keywords": ["generated", "nlp", provider, *(["time-split"] if proposal.time else [])],
        },
        "license": license_text(provider),
        "sources": [{"name": "table", "dataset": reference, "sha256": sha256}],
        "prepare": {"script": f"{identifier}/prepare.py"},
        "submission": {"id_column": "id", "columns": list(proposal.columns)},
        "metric": {"name": proposal.metric, "higher_is_better": get_metric(proposal.metric).higher_is_better},
        "baselines": {"reference": {"script": f"{identifier}/solution.py", "tolerance": 1e-9}},
        "environment": {"python": "3.11", "packages": ["pandas", "numpy", "scipy", "scikit-learn"]},
        "resources": {"cpus": 2, "memory_gb": 2, "time_limit": "15m"},
        "provenance": {
            "origin": "generated",
            "by": "benchsmith generators (text)",
            "generator": {"name": TEXT_GENERATOR_NAME, "version": GENERATOR_VERSION, "raw_sha256": sha256},
        },
    }
    labels = proposal.labels if proposal.form != "number" else []
    share = f"{proposal.test_size:.1%}".replace(".0%", "%")
    split_doc = f"the latest {share} by {proposal.time}" if proposal.time else f"a seeded {share}"
    prepare = PREPARE.format(
        document=document,
        target=proposal.target,
        form=proposal.form,
        labels=labels,
        time=proposal.time,
        min_words=MIN_ROW_WORDS,
        max_rows=MAX_ROWS,
        digest=digest,
        prediction=proposal.prediction,
        columns=list(proposal.columns),
        select=SELECT,
        test_size=proposal.test_size,
        split_doc=split_doc,
    )
    design = TaskDesign(
        id=identifier,
        manifest=manifest,
        description=_description(proposal, reference, title, document, docs, rows, sampled),
        solution=SOLUTION.format(document=document, target=proposal.target, prediction=proposal.prediction),
    )
    return design, prepare


def _process(
    reference: str, out: Path, cache_root: Path | None, report: GenerationReport, max_per_dataset: int
) -> DatasetRecord:
    from ._docs import dataset_docs

    record = DatasetRecord()
    reject = rejecter(report, record, reference)
    try:
        raw, frame = read_raw(reference)
    except ValueError as error:
        reject("profile", "dataset.unloadable", str(error))
        return record
    record.sha256 = hashlib.sha256(raw).hexdigest()
    document = document_column(frame)
    if document is None:
        reject(
            "profile",
            "text.no-document",
            f"no string column holds {MIN_DOCUMENTS}+ documents of "
            f"{MIN_ROW_WORDS}+ words averaging {DOCUMENT_MIN_WORDS:g}+ words",
        )
        return record
    rows, digest = sample_documents(frame, document)
    report.profiled += 1
    proposals = propose_text(rows, document, reject)
    if not proposals:
        reject("propose", "propose.no-target", f"no column of {reference} besides {document!r} is a target")
    report.proposed += len(proposals)
    docs = dataset_docs(reference, [str(column) for column in frame.columns])
    sampled = len(rows) < int((frame[document].fillna("").astype(str).str.count(r"\S+") >= MIN_ROW_WORDS).sum())
    for proposal in proposals:
        if len(record.accepted) >= max_per_dataset:
            break
        task, prepare = design_text(proposal, reference, record.sha256, document, digest, len(rows), sampled, docs)
        report.designed += 1
        folder = out / task.id
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "prepare.py").write_text(prepare, encoding="utf-8")
        keep_if_verified(task, out, cache_root, record, report, reject)
    return record


def generate_text(
    references: list[str],
    out: Path,
    cache_root: Path | None = None,
    progress: Progress | None = None,
    max_per_dataset: int = 2,
) -> GenerationReport:
    """Validated NLP tasks into `out` from each table of `references` that has a document column: up to
    `max_per_dataset` accepted per table, trying its targets in `propose_text`'s order. Rejections are logged in
    `out/generation-log.json` and `out/README.md` is rewritten from the log. A table an earlier run handled (same
    bytes, its tasks still present and sound) is skipped."""
    return generate_each(
        references,
        out,
        lambda reference, _sha256, report: _process(reference, out, cache_root, report, max_per_dataset),
        progress,
        generator=f"{TEXT_GENERATOR_NAME} {GENERATOR_VERSION}",
    )
