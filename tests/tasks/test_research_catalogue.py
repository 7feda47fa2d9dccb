"""The catalogue's research tasks (tasks/research/): valid manifests, evaluators that reproduce the baselines'
scores, and evaluators that reject artefacts which break the rules or read the hidden test data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from runner.preparation import PreparedTask, prepare_task
from runner.trials._research import populate_task_dir
from spec import NamedMetric, ResearchTask, load_task
from validators import validate_paths

RESEARCH = Path(__file__).resolve().parents[2] / "tasks" / "research"
TASK_IDS = {"prisoners-dilemma", "mnist-cnn", "diamond-prices", "review-char-lm"}


def _manifest(task_id: str) -> ResearchTask:
    manifest = load_task(RESEARCH / f"{task_id}.yaml").manifest
    assert isinstance(manifest, ResearchTask)
    return manifest


def _prepared(task_id: str, cache: Path) -> PreparedTask:
    return prepare_task(load_task(RESEARCH / f"{task_id}.yaml"), cache_root=cache)


def _evaluate(
    task_id: str, split: str, artefact: Path, prepared: PreparedTask, cwd: Path
) -> subprocess.CompletedProcess[str]:
    """Run the evaluator from a /task folder laid out as the runner lays it out (with the runner's guard)."""
    task_dir = cwd / "task"
    populate_task_dir(_manifest(task_id), RESEARCH / f"{task_id}.yaml", task_dir)
    command = [sys.executable, str(task_dir / "evaluate.py"), "--split", split, "--artefact", str(artefact)]
    command += ["--public", str(prepared.public)]
    if split == "test":
        command += ["--private", str(prepared.private)]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600, check=False)


def _score(completed: subprocess.CompletedProcess[str], metric: str) -> float:
    assert completed.returncode == 0, completed.stderr
    return float(json.loads(completed.stdout.strip().splitlines()[-1])[metric])


def test_research_catalogue_is_valid() -> None:
    report = validate_paths([RESEARCH])
    assert report.ok, report.model_dump_json(indent=2)
    assert {task.id for task in report.tasks} >= TASK_IDS


@pytest.fixture(scope="module")
def tournament(tmp_path_factory: pytest.TempPathFactory) -> PreparedTask:
    return _prepared("prisoners-dilemma", tmp_path_factory.mktemp("cache"))


def test_tit_for_tat_reproduces_the_declared_test_score(tournament: PreparedTask, tmp_path: Path) -> None:
    manifest = _manifest("prisoners-dilemma")
    artefact = tmp_path / "strategy.py"
    env = {**os.environ, "BENCHSMITH_ARTEFACT": str(artefact)}
    subprocess.run([sys.executable, str(RESEARCH / "prisoners-dilemma/starter/baseline.py")], env=env, check=True)
    reference = manifest.baselines["reference"]
    assert reference.score is not None and isinstance(manifest.metric, NamedMetric)
    score = _score(_evaluate("prisoners-dilemma", "test", artefact, tournament, tmp_path), manifest.metric.name)
    assert abs(score - reference.score) <= reference.tolerance
    # The dev tournament is another draw of the same opponents: close to, but not, the test score.
    dev = _score(_evaluate("prisoners-dilemma", "dev", artefact, tournament, tmp_path), manifest.metric.name)
    assert dev != score and abs(dev - score) < 0.2


def test_a_strategy_that_opens_the_hidden_tournament_is_invalid(tournament: PreparedTask, tmp_path: Path) -> None:
    artefact = tmp_path / "strategy.py"
    artefact.write_text(
        f"SEEDS = open({str(tournament.private / 'test.json')!r}).read()\n\ndef strategy(history):\n    return 1\n"
    )
    completed = _evaluate("prisoners-dilemma", "test", artefact, tournament, tmp_path)
    assert completed.returncode != 0
    assert "invalid: the strategy opened the hidden test tournament" in completed.stderr


def test_an_illegal_move_is_invalid_with_the_reason(tournament: PreparedTask, tmp_path: Path) -> None:
    artefact = tmp_path / "strategy.py"
    artefact.write_text("def strategy(history):\n    return 'defect'\n")
    completed = _evaluate("prisoners-dilemma", "dev", artefact, tournament, tmp_path)
    assert completed.returncode != 0
    assert "invalid: strategy returned 'defect'" in completed.stderr


@pytest.mark.slow
def test_a_language_model_that_opens_the_hidden_text_is_invalid(tmp_path: Path) -> None:
    prepared = _prepared("review-char-lm", tmp_path / "cache")
    artefact = tmp_path / "lm"
    artefact.mkdir()
    (artefact / "model.py").write_text(
        "class Peeker:\n"
        "    def next_char_probs(self, context):\n"
        f"        open({str(prepared.private / 'test.txt')!r}).close()\n"
        "        return [1.0] * 96\n\n"
        "def load(folder):\n"
        "    return Peeker()\n"
    )
    completed = _evaluate("review-char-lm", "test", artefact, prepared, tmp_path)
    assert completed.returncode != 0
    assert "invalid: the model opened the hidden test data" in completed.stderr
