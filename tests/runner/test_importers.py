"""`runner import mlebench|mlgym`: fixture checkouts in the upstream layouts, built here from scratch."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from runner.importers import import_mlebench, import_mlgym, slugify
from spec import CompetitionTask, ResearchTask, load_task
from validators import validate_paths

LFS_OID = "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _competition(root: Path, cid: str, *, grader: str = "accuracy", awards: bool = True, extra: str = "") -> Path:
    folder = root / "mlebench" / "competitions" / cid
    _write(
        folder / "config.yaml",
        f"id: {cid}\nname: Competition {cid}\ncompetition_type: simple\nawards_medals: {str(awards).lower()}\n"
        f"prizes: null\ndescription: mlebench/competitions/{cid}/description.md\n"
        f"dataset:\n  answers: {cid}/prepared/private/test.csv\n"
        f"  sample_submission: {cid}/prepared/public/sample_submission.csv\n"
        f"grader:\n  name: {grader}\n  grade_fn: mlebench.competitions.{cid}.grade:grade\n"
        f"preparer: mlebench.competitions.{cid}.prepare:prepare\n{extra}",
    )
    _write(folder / "description.md", f"# {cid}\n\nPredict the label of each image row.\n")
    _write(folder / "checksums.yaml", "public: {}\n")
    return folder


def build_mlebench(root: Path) -> Path:
    """Three competitions: one with a real ranked leaderboard, one with an LFS pointer, one broken config."""
    good = _competition(root, "alpha-comp", grader="rmse")
    _write(
        good / "leaderboard.csv",
        "rank,teamId,score,submissionDate\n1,11,0.10,2020-01-01\n2,12,0.20,2020-01-02\n3,13,0.35,2020-01-03\n",
    )
    _write(root / "alpha-comp" / "prepared" / "public" / "sample_submission.csv", "PassengerId,Transported\n1,False\n")
    lfs = _competition(root, "beta_comp", grader="some-custom-grader", awards=False)
    _write(lfs / "leaderboard.csv", f"version https://git-lfs.github.com/spec/v1\noid sha256:{LFS_OID}\nsize 1234\n")
    broken = root / "mlebench" / "competitions" / "gamma-comp"
    _write(broken / "config.yaml", "id: gamma-comp\nname: Gamma\n")  # no grader, no preparer
    dangling = _competition(root, "delta-comp")
    (dangling / "description.md").unlink()
    return root


def _mlgym_task(root: Path, name: str, text: str) -> None:
    _write(root / "configs" / "tasks" / f"{name}.yaml", text)


def build_mlgym(root: Path) -> Path:
    """Tasks: a good one, one with a dangling dataset config, a duplicate id, one unknown to the mapping."""
    _write(
        root / "configs" / "datasets" / "titanic.yaml",
        "name: titanic\ndata_path: data/titanic/data\ndescription: Passengers\nis_local: true\n",
    )
    for name in ("train.csv", "test.csv", "evaluate.py"):
        _write(root / "data" / "titanic" / name, "x\n")
    _write(root / "data" / "titanic" / "sample_submission.csv", "PassengerId,Survived\n1,0\n")
    titanic = (
        "id: titanicSurvival\nname: Titanic Survival Prediction\ndescription: |-\n  Predict who survived.\n"
        "  Write submission.csv.\ntask_entrypoint: CSVSubmissionTasks\ntraining_timeout: 3600\n"
        "use_generic_conda: true\nstarter_code:\n  - data/titanic/train.csv\n  - data/titanic/test.csv\n"
        "  - data/titanic/evaluate.py\ndataset_configs:\n  - datasets/titanic.yaml\nbaseline_scores:\n"
        "  - Accuracy: 0.76555\nevaluation_paths:\n  - evaluate.py\n"
        "sample_submission: data/titanic/sample_submission.csv\nevaluation_read_only: true\n"
    )
    _mlgym_task(root, "titanic", titanic)
    _mlgym_task(root, "titanic_copy", titanic.replace("Titanic Survival Prediction", "Copy"))
    _mlgym_task(
        root,
        "dangling",
        "id: danglingTask\nname: Dangling\ndescription: x\ntask_entrypoint: CSVSubmissionTasks\n"
        "dataset_configs:\n  - datasets/nowhere.yaml\n",
    )
    _write(root / "data" / "custom" / "baseline.py", "print(1)\n")
    _mlgym_task(
        root,
        "custom",
        "id: customLossTask\nname: Custom loss task\ndescription: Minimise the loss.\n"
        "task_entrypoint: LMSubmissionTasks\ntraining_timeout: 1800\nstarter_code:\n  - data/custom/baseline.py\n"
        "  - data/custom/missing.py\nbaseline_paths:\n  - baseline.py\nbaseline_scores:\n  - val_loss: 3.5\n"
        "evaluation_paths:\n  - evaluate.py\n",
    )
    return root


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def test_slugify() -> None:
    assert slugify("titanicSurvival") == "titanic-survival"
    assert slugify("3SATHeuristic") == "3-sat-heuristic"
    assert slugify("beta_comp") == "beta-comp"


def test_mlebench_import(tmp_path: Path) -> None:
    checkout, out = build_mlebench(tmp_path / "mle-bench"), tmp_path / "out"
    report = import_mlebench(checkout, out)
    assert sorted(task.id for task in report.tasks) == ["alpha-comp", "beta-comp"]
    errors = {issue.upstream: issue.message for issue in report.errors}
    assert "lacks grader, preparer" in errors["mlebench/competitions/gamma-comp"]
    assert "does not exist" in errors["mlebench/competitions/delta-comp"]

    alpha = load_task(out / "alpha-comp.yaml").manifest
    assert isinstance(alpha, CompetitionTask)
    assert alpha.version == "1.0.0" and alpha.title == "Competition alpha-comp"
    assert alpha.sources[0].model_dump() == {"name": "raw", "kaggle": "alpha-comp"}
    assert alpha.metric.model_dump()["entrypoint"] == "mlebench.competitions.alpha_comp.grade:grade"
    assert alpha.metric.model_dump()["x-upstream-entrypoint"] == "mlebench.competitions.alpha-comp.grade:grade"
    assert alpha.metric.higher_is_better is False  # rank 1 has the lowest score
    assert alpha.submission.id_column == "PassengerId" and alpha.submission.columns == ["Transported"]
    assert alpha.leaderboard is not None and alpha.leaderboard.provenance == "kaggle"
    assert (out / "alpha-comp" / "leaderboard.csv").read_bytes() == (
        checkout / "mlebench/competitions/alpha-comp/leaderboard.csv"
    ).read_bytes()
    assert alpha.provenance.origin == "imported" and alpha.provenance.by == "runner import mlebench"
    assert alpha.provenance.upstream == "openai/mle-bench:mlebench/competitions/alpha-comp"
    assert "Kaggle" in alpha.license
    assert sorted(path.name for path in (out / "alpha-comp").iterdir()) == ["description.md", "leaderboard.csv"]

    beta = load_task(out / "beta-comp.yaml").manifest
    assert isinstance(beta, CompetitionTask)
    assert beta.leaderboard is None and beta.awards_medals is False
    assert beta.extensions["x-leaderboard-lfs"] == {"oid": LFS_OID, "size": 1234}
    assert beta.metric.higher_is_better is True  # unknown grader: default with a warning
    assert beta.submission.id_column == "id"
    warnings = " ".join(issue.message for issue in report.warnings if issue.upstream.endswith("beta_comp"))
    assert "Git LFS pointer" in warnings and "unknown" in warnings and "normalised" in warnings

    validation = validate_paths([out])
    assert validation.ok, [problem for task in validation.tasks for problem in task.problems]


def test_mlebench_reimport_is_idempotent_and_bumps_on_change(tmp_path: Path) -> None:
    checkout, out = build_mlebench(tmp_path / "mle-bench"), tmp_path / "out"
    import_mlebench(checkout, out)
    before = _snapshot(out)
    again = import_mlebench(checkout, out)
    assert {task.status for task in again.tasks} == {"unchanged"}
    assert _snapshot(out) == before
    description = checkout / "mlebench/competitions/alpha-comp/description.md"
    description.write_text(description.read_text() + "\nNew rules.\n")
    changed = import_mlebench(checkout, out)
    statuses = {task.id: (task.status, task.version) for task in changed.tasks}
    assert statuses == {"alpha-comp": ("updated", "1.0.1"), "beta-comp": ("unchanged", "1.0.0")}
    assert b"New rules." in (out / "alpha-comp" / "description.md").read_bytes()
    assert (out / "beta-comp.yaml").read_bytes() == before["beta-comp.yaml"]


def test_mlgym_import(tmp_path: Path) -> None:
    checkout, out = build_mlgym(tmp_path / "MLGym"), tmp_path / "out"
    report = import_mlgym(checkout, out)
    assert sorted(task.id for task in report.tasks) == ["custom-loss-task", "titanic-survival"]
    errors = {issue.upstream: issue.message for issue in report.errors}
    assert "nowhere.yaml" in errors["configs/tasks/dangling.yaml"]
    assert "also used by configs/tasks/titanic.yaml" in errors["configs/tasks/titanic_copy.yaml"]

    titanic = load_task(out / "titanic-survival.yaml").manifest
    assert isinstance(titanic, ResearchTask)
    assert titanic.metric.model_dump()["name"] == "accuracy" and titanic.metric.higher_is_better
    assert titanic.baselines["reference"].score == pytest.approx(0.76555)
    assert titanic.resources.time_limit == "1h" and titanic.training_timeout == "1h"
    assert titanic.evaluation is None and titanic.artefact is None  # the evaluator stays upstream
    assert titanic.starter_code is None and titanic.protected == []
    files = titanic.extensions["x-upstream-files"]
    assert files["starter_code"] == ["data/titanic/train.csv", "data/titanic/test.csv", "data/titanic/evaluate.py"]
    assert files["protected"] == ["evaluate.py"] and files["dataset_configs"] == ["configs/datasets/titanic.yaml"]
    assert titanic.sources[0].model_dump()["dataset"] == "mlgym:data/titanic/data"
    assert titanic.submission is not None and titanic.submission.id_column == "PassengerId"
    assert (out / "titanic-survival" / "description.md").read_text().startswith("Predict who survived.")
    assert titanic.provenance.upstream == "facebookresearch/MLGym:configs/tasks/titanic.yaml"

    custom = load_task(out / "custom-loss-task.yaml").manifest
    assert isinstance(custom, ResearchTask)
    assert custom.metric.higher_is_better is False  # fallback word rule: "loss"
    assert custom.metric.model_dump()["entrypoint"] == "mlgym.environment.tasks:LMSubmissionTasks"
    assert custom.resources.time_limit == "30m" and custom.training_timeout == "30m"
    assert custom.baselines["reference"].score == 3.5
    assert custom.extensions["x-upstream-files"]["missing"] == ["data/custom/missing.py", "evaluate.py"]
    custom_warnings = " ".join(i.message for i in report.warnings if i.upstream == "configs/tasks/custom.yaml")
    assert "not in MLGYM_TASKS" in custom_warnings and "missing.py" in custom_warnings

    validation = validate_paths([out])
    assert validation.ok, [problem for task in validation.tasks for problem in task.problems]

    before = _snapshot(out)
    assert {task.status for task in import_mlgym(checkout, out).tasks} == {"unchanged"}
    assert _snapshot(out) == before
    config = checkout / "configs/tasks/custom.yaml"
    config.write_text(config.read_text().replace("3.5", "3.25"))
    bumped = {task.id: task.version for task in import_mlgym(checkout, out).tasks}
    assert bumped == {"custom-loss-task": "1.0.1", "titanic-survival": "1.0.0"}


def _runner(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "runner", *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env=environment,
        check=False,
    )


def test_cli_import_and_exec_fails_on_kaggle(tmp_path: Path) -> None:
    checkout = build_mlebench(tmp_path / "mle-bench")
    done = _runner("import", "mlebench", str(checkout), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    out = tmp_path / "tasks" / "imported" / "mlebench"
    assert (out / "alpha-comp.yaml").is_file()
    assert "gamma-comp" in done.stdout and "2 skipped" in done.stdout

    trial = _runner(
        "exec", str(out / "alpha-comp.yaml"), "--agent", "sample", "--backend", "local",
        "--runs-dir", str(tmp_path / "runs"), cwd=tmp_path,
    )  # fmt: skip
    assert trial.returncode in (1, 2), trial.stdout + trial.stderr
    assert "Kaggle credentials" in trial.stdout + trial.stderr


def test_cli_import_mlgym_and_failures(tmp_path: Path) -> None:
    checkout = build_mlgym(tmp_path / "MLGym")
    done = _runner("import", "mlgym", str(checkout), "--out", str(tmp_path / "gym"), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "gym" / "titanic-survival.yaml").is_file()
    not_a_checkout = _runner("import", "mlgym", str(tmp_path / "gym"), cwd=tmp_path)
    assert not_a_checkout.returncode == 2
    only_broken = tmp_path / "broken"
    _mlgym_task(only_broken, "x", "id: x\nname: X\n")
    nothing = _runner("import", "mlgym", str(only_broken), "--out", str(tmp_path / "none"), cwd=tmp_path)
    assert nothing.returncode == 1 and "nothing could be imported" in nothing.stderr
