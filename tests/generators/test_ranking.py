"""The ranking generator: MAP@k shortlists from categories of too many classes to predict one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from generators import generate_ranking, profile_table
from generators._ranking import K, ranking_candidates
from runner.preparation import prepare_task
from spec import load_task
from validators import validate_paths

ROWS = 900


def _table(rng: np.random.Generator) -> pd.DataFrame:
    """Parts of 40 named models; a model's maker and size show in the features, so a shortlist is learnable."""
    models = [f"Model {i:02d}" for i in range(40)]
    chosen = rng.integers(0, 40, ROWS)
    return pd.DataFrame(
        {
            "weight": (chosen * 10 + rng.normal(0, 25, ROWS)).round(1),
            "length": ((chosen % 8) * 3 + rng.normal(0, 2, ROWS)).round(2),
            "colour": rng.choice(["red", "blue", "grey"], ROWS),
            "model": [models[i] for i in chosen],
            "few": rng.choice(["a", "b", "c"], ROWS),
        }
    )


def test_only_many_class_categories_that_a_frequency_list_does_not_solve_are_candidates() -> None:
    rng = np.random.default_rng(0)
    table = _table(rng)
    table["skewed"] = np.where(rng.random(ROWS) < 0.95, "common", [f"rare {i}" for i in rng.integers(0, 30, ROWS)])
    names = [candidate.column for candidate in ranking_candidates(table, profile_table(table))]
    assert names == ["model"], "3 classes is classification; 95% in one class is no ranking task"


@pytest.mark.slow
def test_a_users_table_becomes_a_validated_shortlist_task(tmp_path: Path) -> None:
    source = tmp_path / "parts.csv"
    _table(np.random.default_rng(1)).to_csv(source, index=False)
    out = tmp_path / "out"
    report = generate_ranking([f"files:{source}"], out, cache_root=tmp_path / "cache")
    assert report.accepted == 1, report.rejections
    [manifest] = out.glob("*.yaml")
    task = load_task(manifest)
    assert task.manifest is not None
    assert task.manifest.tags.problem == "ranking"
    assert task.manifest.metric.model_dump(exclude_none=True)["params"] == {"k": K}
    prepared = prepare_task(task, cache_root=tmp_path / "cache")
    train = pd.read_csv(prepared.public / "train.csv")
    sample = pd.read_csv(prepared.public / "sample_submission.csv")
    answers = pd.read_csv(prepared.private / "answers.csv")
    assert not train["model"].str.contains(" ").any() and not answers["model"].str.contains(" ").any()
    commonest = train["model"].value_counts().index[:K].tolist()
    assert sample["model"].str.split().map(lambda items: items[:K] == commonest).all()
    report = validate_paths([manifest], layers=("static", "execute"), cache_root=tmp_path / "cache")
    assert report.ok, report.model_dump_json(indent=1)
