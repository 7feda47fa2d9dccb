"""`runner import mlebench`: fixture checkouts in the upstream layout, built here from scratch (MLGym: see
test_mlgym_import.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from runner.importers import import_mlebench, leaderboard_lower_is_better, served_modality, slugify
from spec import CompetitionTask, load_task
from validators import validate_paths

LFS_OID = "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _competition(
    root: Path, cid: str, *, grader: str = "accuracy", awards: bool = True, extra: str = "", answers: str = "test.csv"
) -> Path:
    folder = root / "mlebench" / "competitions" / cid
    _write(
        folder / "config.yaml",
        f"id: {cid}\nname: Competition {cid}\ncompetition_type: simple\nawards_medals: {str(awards).lower()}\n"
        f"prizes: null\ndescription: mlebench/competitions/{cid}/description.md\n"
        f"dataset:\n  answers: {cid}/prepared/private/{answers}\n"
        f"  sample_submission: {cid}/prepared/public/sample_submission.csv\n"
        f"grader:\n  name: {grader}\n  grade_fn: mlebench.competitions.{cid}.grade:grade\n"
        f"preparer: mlebench.competitions.{cid}.prepare:prepare\n{extra}",
    )
    _write(folder / "description.md", f"# {cid}\n\nPredict the label of each row; see https://x.org/a.jpg.\n")
    _write(folder / "description_obfuscated.md", "# A competition\n\nPredict the label of each row.\n")
    _write(folder / "checksums.yaml", "public: {}\n")
    _write(folder / "prepare.py", "def prepare(raw, public, private):\n    (raw / 'train.csv').read_text()\n")
    _write(folder / "grade.py", "def grade(submission, answers):\n    return 1.0\n")
    _write(root / "mlebench" / "__init__.py", "")
    return folder


def build_mlebench(root: Path) -> Path:
    """Competitions: one known to the grader table (spaceship-titanic) with an unscored leaderboard row, one with a
    rank-ordered leaderboard, one with an LFS pointer and a grader name that settles the direction, one whose
    direction nothing tells, a broken config, a dangling description; and the splits."""
    known = _competition(root, "spaceship-titanic")
    _write(known / "leaderboard.csv", "teamId,score\n1,0.82\n2,0.80\n3,\n")
    images = _competition(root, "alpha-comp", grader="custom-error", answers="answers.jsonl")
    _write(images / "prepare.py", "def prepare(raw, public, private):\n    for p in raw.glob('*.png'):\n        pass\n")
    _write(
        images / "leaderboard.csv",
        "rank,teamId,score,submissionDate\n1,11,0.10,2020-01-01\n2,12,0.20,2020-01-02\n3,13,0.35,2020-01-03\n",
    )
    _write(root / "alpha-comp" / "prepared" / "public" / "sample_submission.csv", "PassengerId,Transported\n1,False\n")
    lfs = _competition(root, "BetaComp", grader="log-loss", awards=False)
    _write(lfs / "leaderboard.csv", f"version https://git-lfs.github.com/spec/v1\noid sha256:{LFS_OID}\nsize 1234\n")
    _competition(root, "epsilon-comp", grader="some-custom-grader")
    broken = root / "mlebench" / "competitions" / "gamma-comp"
    _write(broken / "config.yaml", "id: gamma-comp\nname: Gamma\n")  # no grader, no preparer
    dangling = _competition(root, "delta-comp")
    (dangling / "description.md").unlink()
    _write(root / "experiments" / "splits" / "low.txt", "spaceship-titanic\nalpha-comp\n")
    _write(root / "experiments" / "splits" / "high.txt", "BetaComp\n")
    return root


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def test_slugify() -> None:
    assert slugify("titanicSurvival") == "titanic-survival"
    assert slugify("3SATHeuristic") == "3-sat-heuristic"
    assert slugify("BetaComp") == "beta-comp"


def test_mlebench_import(tmp_path: Path) -> None:
    checkout, out = build_mlebench(tmp_path / "mle-bench"), tmp_path / "out"
    report = import_mlebench(checkout, out)
    assert sorted(task.id for task in report.tasks) == ["alpha-comp", "beta-comp", "spaceship-titanic"]
    errors = {issue.upstream: issue.message for issue in report.errors}
    assert "lacks grader, preparer" in errors["mlebench/competitions/gamma-comp"]
    assert "does not exist" in errors["mlebench/competitions/delta-comp"]
    assert "direction of grader 'some-custom-grader' unknown" in errors["mlebench/competitions/epsilon-comp"]
    assert report.skipped == [f"mlebench/competitions/{name}" for name in ("delta-comp", "epsilon-comp", "gamma-comp")]

    known = load_task(out / "spaceship-titanic.yaml").manifest
    assert isinstance(known, CompetitionTask)
    assert known.metric.model_dump()["entrypoint"] == "mlebench.competitions.spaceship-titanic.grade:grade"
    assert (
        known.metric.model_dump()["import_path"] == known.prepare.model_dump()["import_path"] == str(checkout.resolve())
    )
    assert known.extensions["x-mlebench"]["code"] == "checkout"
    assert known.metric.higher_is_better is True and known.tags.problem == "binary"
    assert known.submission.id_column == "PassengerId" and known.submission.columns == ["Transported"]
    assert known.answers == "test.csv"
    assert known.tags.modality == "tabular"  # the `.jpg` link in the description is prose, not data
    assert {"split:low", "split:lite"} <= set(known.tags.keywords)
    assert known.sources[0].model_dump() == {"name": "raw", "kaggle": "spaceship-titanic"}
    # MLE-bench counts the unscored row as a team: the leaderboard is kept as it is
    assert (out / "spaceship-titanic" / "leaderboard.csv").read_bytes() == (
        checkout / "mlebench/competitions/spaceship-titanic/leaderboard.csv"
    ).read_bytes()
    assert sorted(path.name for path in (out / "spaceship-titanic").iterdir()) == [
        "checksums.yaml", "description.md", "description_obfuscated.md", "leaderboard.csv",
    ]  # fmt: skip
    assert known.description == "spaceship-titanic/description.md"

    alpha = load_task(out / "alpha-comp.yaml").manifest
    assert isinstance(alpha, CompetitionTask)
    assert alpha.version == "1.0.0" and alpha.title == "Competition alpha-comp"
    assert alpha.metric.higher_is_better is False  # not in the table: MLE-bench's reading of the leaderboard
    assert alpha.submission.id_column == "PassengerId" and alpha.submission.columns == ["Transported"]
    assert alpha.answers == "answers.jsonl" and alpha.tags.modality == "image"
    assert alpha.leaderboard is not None and alpha.leaderboard.provenance == "kaggle"
    assert alpha.provenance.origin == "imported" and alpha.provenance.by == "runner import mlebench"
    assert alpha.provenance.upstream == "openai/mle-bench:mlebench/competitions/alpha-comp"
    assert "Kaggle" in alpha.license

    beta = load_task(out / "beta-comp.yaml").manifest
    assert isinstance(beta, CompetitionTask)
    assert beta.leaderboard is None and beta.awards_medals is False
    assert beta.extensions["x-leaderboard-lfs"] == {"oid": LFS_OID, "size": 1234}
    assert beta.metric.higher_is_better is False  # from the grader's name, reported as a guess
    assert beta.sources[0].model_dump() == {"name": "raw", "kaggle": "BetaComp"}
    assert "split:high" in beta.tags.keywords and "split:lite" not in beta.tags.keywords
    warnings = " ".join(issue.message for issue in report.warnings if issue.upstream.endswith("BetaComp"))
    assert "Git LFS pointer" in warnings and "grader's name" in warnings and "id_column 'id'" in warnings

    validation = validate_paths([out])
    assert validation.ok, [problem for task in validation.tasks for problem in task.problems]


def test_mlebench_import_installed_and_obfuscated(tmp_path: Path) -> None:
    checkout, out = build_mlebench(tmp_path / "mle-bench"), tmp_path / "out"
    import_mlebench(checkout, out, installed=True, obfuscated=True)
    task = load_task(out / "spaceship-titanic.yaml").manifest
    assert isinstance(task, CompetitionTask)
    assert (
        task.metric.model_dump()["import_path"] is None
        and task.extensions["x-mlebench"]["code"] == "installed mlebench package"
    )
    assert task.description == "spaceship-titanic/description_obfuscated.md"
    assert (out / "spaceship-titanic" / "description.md").is_file()  # both kept


def test_mlebench_leaderboard_direction_is_read_as_mlebench_reads_it() -> None:
    assert leaderboard_lower_is_better([0.1, 0.2, 0.3]) is True
    assert leaderboard_lower_is_better([0.9, 0.5, 0.1]) is False
    assert leaderboard_lower_is_better([0.1, 0.2, None]) is False  # a trailing unscored row: MLE-bench's comparison
    assert leaderboard_lower_is_better([0.5, 0.5]) is None and leaderboard_lower_is_better([0.5]) is None


def test_mlebench_modality_from_served_files() -> None:
    assert served_modality("shutil.copy(raw / f'{i}.jpg', public)") == "image"
    assert served_modality("wav = raw / 'clip.WAV'") == "audio"
    assert served_modality("videos = sorted(raw.glob('*.mp4')); frames = raw / 'x.png'") == "video"
    assert served_modality("pd.read_csv(raw / 'train.csv'); json.load(open('meta.json'))") is None


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
    assert statuses == {
        "alpha-comp": ("updated", "1.0.1"),
        "beta-comp": ("unchanged", "1.0.0"),
        "spaceship-titanic": ("unchanged", "1.0.0"),
    }
    assert b"New rules." in (out / "alpha-comp" / "description.md").read_bytes()
    assert (out / "beta-comp.yaml").read_bytes() == before["beta-comp.yaml"]


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
    assert "gamma-comp" in done.stdout and "3 skipped" in done.stdout  # competitions, not errors

    trial = _runner(
        "exec", str(out / "alpha-comp.yaml"), "--agent", "sample", "--backend", "local",
        "--runs-dir", str(tmp_path / "runs"), cwd=tmp_path,
    )  # fmt: skip
    assert trial.returncode in (1, 2), trial.stdout + trial.stderr
    assert "Kaggle API credentials" in trial.stdout + trial.stderr and "--raw" in trial.stdout + trial.stderr


def test_cli_suites_select_the_imported_splits(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from runner.cli import app

    tasks = tmp_path / "tasks"
    import_mlebench(build_mlebench(tmp_path / "mle-bench"), tasks / "imported" / "mlebench")

    def listed(*selection: str) -> list[str]:
        done = CliRunner().invoke(app, ["list", "--tasks-dir", str(tasks), "--format", "json", *selection])
        assert done.exit_code == 0, done.output
        return sorted(row["id"] for row in json.loads(done.stdout))

    assert listed("--suite", "mlebench-lite") == ["alpha-comp", "spaceship-titanic"]
    assert listed("--suite", "mlebench-low") == listed("--tag", "split=lite") == ["alpha-comp", "spaceship-titanic"]
    assert listed("--suite", "mlebench-high") == ["beta-comp"]
    assert listed("--suite", "mlebench") == ["alpha-comp", "beta-comp", "spaceship-titanic"]
    assert listed("--suite", "mlebench-lite", "--tag", "modality=image") == ["alpha-comp"]
    unknown = CliRunner().invoke(app, ["list", "--tasks-dir", str(tasks), "--suite", "nonsense"])
    assert unknown.exit_code == 2 and "no such suite" in unknown.output

    empty = CliRunner().invoke(app, ["exec", "--suite", "mlebench-medium", "--tasks-dir", str(tasks)])
    assert empty.exit_code == 2 and "no task in" in empty.output and "split=medium" in empty.output
    nothing = CliRunner().invoke(app, ["exec", "--agent", "sample"])
    assert nothing.exit_code == 2 and "--suite" in nothing.output
    selected = _runner(
        "exec", "--suite", "mlebench-high", "--tasks-dir", str(tasks), "--agent", "sample", "--backend", "local",
        "--runs-dir", str(tmp_path / "runs"), cwd=tmp_path,
    )  # fmt: skip
    assert "cannot prepare beta-comp" in selected.stdout + selected.stderr  # selected, then needs Kaggle data
