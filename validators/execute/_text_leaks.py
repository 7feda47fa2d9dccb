"""A text task's documents do not state their own answers: no word or two, and no number copied from the target.

Tweets that begin with "RT @" are retweets; a NACE note that begins "This section includes" is a section. A task
whose target a reader can copy from the text tests string matching, not language understanding. Two detectors, each
fitted on train and scored on test like the table shortcuts (`_relations.py`), on every document column (text
averaging at least `MIN_DOCUMENT_WORDS` words):

- a class target (or each 0/1 column of a multi-label one): a decision tree of depth 3 over which words a document
  holds (lower-cased), its first word or two, and whether it contains a class label verbatim. It reads at most
  three such facts per document; reaching `EXACT_ACCURACY` on test while removing `MIN_ERROR_CUT` of the majority
  class's errors means the text spells the answer out.
- a numeric target: the share of test documents that contain their own row's value as a number, beyond the share
  that contain another row's value (chance: "2 birds" matches many counts). Over `NUMBER_EXCESS` is a leak.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from spec import LoadedTask, Problem

from .._registry import CheckContext, task_check
from ._relations import EXACT_ACCURACY, MIN_ERROR_CUT, MIN_ROWS

if TYPE_CHECKING:
    import pandas as pd

    from ._kit import Kit

MIN_DOCUMENT_WORDS = 8.0
"""A string column whose values average this many words is a document (a text task's input)."""
RULE_DEPTH = 3
"""The word rule may consult this many facts about a document: a short phrase, not a model."""
MAX_WORDS = 5000
"""The commonest words (seen in at least two training documents) the rule may use."""
NUMBER_EXCESS = 0.25
"""Share of test documents stating their own numeric answer, beyond chance, at which the text gives it away."""
MAX_CLASSES = 50
"""A target with more distinct values is numeric or free text, not classes."""
_WORD = re.compile(r"\w+")
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


@dataclass(frozen=True)
class TextLeak:
    """One way to read a target off a document column."""

    target: str
    document: str
    score: float
    detail: str


def document_columns(frame: pd.DataFrame) -> list[str]:
    """The columns of `frame` holding documents: strings averaging at least `MIN_DOCUMENT_WORDS` words."""
    found = []
    for column in frame.columns:
        if frame[column].dtype.kind != "O":
            continue
        values = frame[column].dropna().astype(str)
        if len(values) and float(values.str.count(r"\S+").mean()) >= MIN_DOCUMENT_WORDS:
            found.append(str(column))
    return found


def _facts(labels: list[str]) -> Callable[[str], list[str]]:
    """The analyzer of the word rule: the words of a document, its first word, and the class labels it names."""
    named = [(label, label.lower()) for label in labels if len(label) >= 3 and not label.isdigit()]

    def analyze(text: str) -> list[str]:
        lowered = text.lower()
        words = _WORD.findall(lowered)
        facts = set(words)
        # Its first word and first two words: "RT @…" is a retweet, "This section includes" a NACE section.
        facts.update(f"starts with {' '.join(words[:count])!r}" for count in (1, 2) if len(words) >= count)
        facts.update(f"names the class {label!r}" for label, low in named if low in lowered)
        return sorted(facts)

    return analyze


@dataclass(frozen=True)
class WordRule:
    """The best depth-3 rule on a document's words for a class target, and how it scores on test."""

    accuracy: float
    cut: float
    """Share of the majority-class guess's test errors the rule removes."""
    facts: tuple[str, ...]

    @property
    def leaks(self) -> bool:
        return self.accuracy >= EXACT_ACCURACY and self.cut >= MIN_ERROR_CUT

    def detail(self) -> str:
        shown = ", ".join(fact if " " in fact else repr(fact) for fact in self.facts)
        return f"a rule on at most {RULE_DEPTH} facts of the text ({shown}) is {self.accuracy:.1%} accurate on test"


def word_rule(train_text: pd.Series, y_train: pd.Series, test_text: pd.Series, truth: pd.Series) -> WordRule | None:
    """The depth-3 tree on a document's words (see the module doc), fitted on train and scored on test; None when
    there is too little to fit."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.tree import DecisionTreeClassifier

    fit = y_train.notna().to_numpy()
    scored = truth.notna().to_numpy()
    if fit.sum() < MIN_ROWS or scored.sum() < MIN_ROWS:
        return None
    y_fit = y_train[fit].astype(str).to_numpy()
    y_true = truth[scored].astype(str).to_numpy()
    if len(set(y_fit)) < 2:
        return None
    labels = sorted(set(y_fit))
    vectorizer = CountVectorizer(
        analyzer=_facts(labels),
        binary=True,
        min_df=2,
        max_features=MAX_WORDS,
        dtype=np.float32,
    )
    try:
        x_train = vectorizer.fit_transform(train_text[fit].fillna("").astype(str))
    except ValueError:
        return None  # no word seen twice
    tree = DecisionTreeClassifier(max_depth=RULE_DEPTH, random_state=0).fit(x_train, y_fit)
    predicted = tree.predict(vectorizer.transform(test_text[scored].fillna("").astype(str)))
    accuracy = float(np.mean(predicted == y_true))
    majority = max(labels, key=lambda label: int(np.sum(y_fit == label)))
    base_error = float(np.mean(y_true != majority))
    cut = 1.0 - (1.0 - accuracy) / base_error if base_error > 0 else 0.0
    names = vectorizer.get_feature_names_out()
    used = tuple(str(names[index]) for index in dict.fromkeys(int(i) for i in tree.tree_.feature if i >= 0))
    return WordRule(accuracy, cut, used)


def _numbers(text: str) -> set[float]:
    found = set()
    for token in _NUMBER.findall(text):
        try:
            found.add(float(token.replace(",", "")))
        except ValueError:
            continue
    return found


def number_copy(test_text: pd.Series, truth: pd.Series) -> TextLeak | None:
    """Documents that state their own numeric answer far more often than another row's (see the module doc)."""
    scored = truth.notna().to_numpy()
    if scored.sum() < MIN_ROWS:
        return None
    stated = [_numbers(text) for text in test_text[scored].fillna("").astype(str)]
    values = truth[scored].astype(float).to_numpy()
    own = float(np.mean([value in numbers for value, numbers in zip(values, stated, strict=True)]))
    other = np.random.default_rng(0).permutation(values)
    chance = float(np.mean([value in numbers for value, numbers in zip(other, stated, strict=True)]))
    if own - chance < NUMBER_EXCESS:
        return None
    detail = f"{own:.0%} of test documents contain their own answer as a number (another row's: {chance:.0%})"
    return TextLeak("", "", own, detail)


def find_text_leaks(train: pd.DataFrame, test: pd.DataFrame, truths: dict[str, pd.Series]) -> list[TextLeak]:
    """Every leak of a target of `truths` (test answers, aligned with `test`'s rows; each also a column of
    `train`) through a document column present in both tables."""
    documents = [column for column in document_columns(test) if column in train.columns]
    found = []
    for target, truth in truths.items():
        if target not in train.columns:
            continue
        numeric = truth.dtype.kind in "fiu" and truth.nunique() > MAX_CLASSES
        if not numeric and truth.nunique() > MAX_CLASSES:
            continue
        for document in documents:
            if numeric:
                copied = number_copy(test[document], truth)
                if copied is not None:
                    found.append(TextLeak(target, document, copied.score, copied.detail))
                continue
            rule = word_rule(train[document], train[target], test[document], truth)
            if rule is not None and rule.leaks:
                found.append(TextLeak(target, document, rule.accuracy, rule.detail()))
    return found


def _tables(kit: Kit) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, pd.Series]] | None:
    import pandas as pd

    from runner.preparation import TEST_FILE, TRAIN_FILE

    train_path, test_path = kit.prepared.public / TRAIN_FILE, kit.prepared.public / TEST_FILE
    if not train_path.is_file() or not test_path.is_file():
        return None
    try:
        train = pd.read_csv(train_path, dtype={kit.id_column: str}, low_memory=False)
        test = pd.read_csv(test_path, dtype={kit.id_column: str}, low_memory=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
        return None
    if kit.id_column not in test.columns:
        return None
    aligned = test[[kit.id_column]].merge(kit.answers, on=kit.id_column, how="left")
    return train, test, {target: aligned[target] for target in kit.targets}


@task_check(
    "text-leaks",
    layer="execute",
    codes=("text-leak.verbatim",),
    description="A text task's documents do not give its answers away: no depth-3 rule on which words a document "
    f"holds, starts with, or which class label it names reaches {EXACT_ACCURACY:.0%} test accuracy (removing "
    f"{MIN_ERROR_CUT:.0%} of the majority class's errors), and no numeric target is written in its own document "
    f"{NUMBER_EXCESS:.0%} more often than chance.",
)
def check_text_leaks(task: LoadedTask, context: CheckContext) -> Iterator[Problem]:
    from runner.preparation import PreparationError

    from ._kit import kit_for

    if task.manifest is None or task.manifest.tags.modality not in ("text", "multimodal"):
        return  # other tasks are not prepared just to find no documents
    kit = kit_for(task, context)
    if isinstance(kit, PreparationError):
        return
    tables = _tables(kit)
    if tables is None:
        return
    for leak in find_text_leaks(*tables):
        yield task.problem(
            "text-leak.verbatim",
            f"the text column {leak.document!r} gives the target {leak.target!r} away: {leak.detail}; pick another "
            "target, or remove the giveaway from the text (and say so in the description)",
            ("prepare",),
        )
