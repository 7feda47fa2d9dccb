"""Research manifests: the model's rules (evaluation with artefact, module function, budget) and the static
`research.*` checks, located where the author must fix them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from spec import ResearchTask, load_task
from tests.conftest import FIXTURES, line_of, replace_in, require_bwrap
from validators import validate_paths

RESEARCH = FIXTURES / "research"


@pytest.fixture
def research(tmp_path: Path) -> Path:
    """A copy of the research fixtures that a test may break."""
    root = tmp_path / "research"
    shutil.copytree(RESEARCH, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def _problems(manifest: Path) -> list[tuple[str, str, str, int | None]]:
    report = validate_paths([manifest])
    return [
        (problem.code, problem.severity, Path(problem.file or "").name, problem.line)
        for task in report.tasks
        for problem in task.problems
    ]


def test_research_fixtures_are_valid_without_warnings() -> None:
    report = validate_paths([RESEARCH])
    assert report.ok and len(report.tasks) == 2
    assert [problem for task in report.tasks for problem in task.problems] == []


def test_task_and_workspace_locations() -> None:
    task = load_task(RESEARCH / "diabetes-ridge.yaml").manifest
    assert isinstance(task, ResearchTask)
    assert task.protected_files == ["diabetes-ridge/evaluate.py", "diabetes-ridge/starter/features.py"]
    assert task.task_location("diabetes-ridge/evaluate.py").as_posix() == "evaluate.py"
    assert task.task_location("diabetes-ridge/starter/features.py").as_posix() == "features.py"
    assert task.workspace_location("diabetes-ridge/evaluate.py") is None
    assert task.training_timeout_s == 120 and task.evaluation is not None and task.evaluation.time_limit_s == 60


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("artefact: {type: module, path: strategy.py, function: move}\n", "", "give both or neither"),
        ("function: move}", "}", "needs `function`"),
        ("path: strategy.py", "path: ../strategy.py", "no leading /, no .."),
        ("path: strategy.py", "path: strategy.txt", "is a .py file"),
        ("metric: {name: score, higher_is_better: true}", "metric: {name: score, higher_is_better: true, "
         "params: {k: 1}}", "metric.params are not used"),
        ("resources: {cpus: 1, memory_gb: 2, time_limit: 5m}",
         "training_timeout: 10m\nresources: {cpus: 1, memory_gb: 2, time_limit: 5m}", "exceeds the total budget"),
    ],
)  # fmt: skip
def test_model_rules_are_schema_errors(research: Path, old: str, new: str, message: str) -> None:
    manifest = research / "pennies-duel.yaml"
    replace_in(manifest, old, new)
    problems = load_task(manifest).problems
    assert problems and any(message in problem.message for problem in problems), problems


def test_non_registry_metric_is_fine_only_with_an_evaluator(research: Path) -> None:
    manifest = research / "pennies-duel.yaml"
    replace_in(manifest, "evaluation: {script: pennies-duel/starter/evaluate.py, time_limit: 1m}\n", "")
    replace_in(manifest, "artefact: {type: module, path: strategy.py, function: move}\n", "")
    codes = [code for code, *_ in _problems(manifest)]
    assert "metric.unknown" in codes and "research.no-evaluation" in codes


def test_evaluator_syntax_and_arguments(research: Path) -> None:
    evaluator = research / "diabetes-ridge" / "evaluate.py"
    text = evaluator.read_text()
    evaluator.write_text(text.replace('parser.add_argument("--private")\n', ""))
    assert _problems(research / "diabetes-ridge.yaml") == [
        ("research.evaluator-arguments", "warning", "diabetes-ridge.yaml", line_of(research / "diabetes-ridge.yaml",
                                                                                   "evaluation:")),
    ]  # fmt: skip
    evaluator.write_text(text + "\ndef broken(:\n")
    assert _problems(research / "diabetes-ridge.yaml") == [
        ("research.evaluator-syntax", "error", "evaluate.py", len(text.splitlines()) + 2)
    ]


def test_protected_clash_and_protected_artefact(research: Path) -> None:
    manifest = research / "diabetes-ridge.yaml"
    (research / "diabetes-ridge" / "features.py").write_text("# a second features.py outside the starter code\n")
    (research / "diabetes-ridge" / "starter" / "model.npz").write_bytes(b"")
    replace_in(manifest, "protected: [diabetes-ridge/starter/features.py]",
               "protected: [diabetes-ridge/starter/features.py, diabetes-ridge/features.py, "
               "diabetes-ridge/starter/model.npz]")  # fmt: skip
    assert sorted(_problems(manifest)) == [
        ("research.artefact-protected", "error", "diabetes-ridge.yaml", line_of(manifest, "artefact:")),
        ("research.protected-clash", "error", "diabetes-ridge.yaml", line_of(manifest, "protected:")),
    ]


def test_module_function_and_baseline_warnings(research: Path) -> None:
    manifest = research / "pennies-duel.yaml"
    replace_in(research / "pennies-duel" / "starter" / "strategy.py", "def move(", "def other(")
    replace_in(manifest, "reference: {script: pennies-duel/baseline.py, score: 0.375", "reference: {score: 0.375")
    assert sorted((code, severity) for code, severity, *_ in _problems(manifest)) == [
        ("research.baseline-not-runnable", "warning"),
        ("research.module-function-missing", "warning"),
    ]
    replace_in(manifest, "  reference: {score: 0.375, tolerance: 0.0}", "  trivial: {score: 0.0}")
    assert ("research.no-baseline", "warning") in [(code, severity) for code, severity, *_ in _problems(manifest)]


def _executed(manifest: Path, cache: Path) -> list[tuple[str, str]]:
    require_bwrap()
    report = validate_paths([manifest], layers=("static", "execute"), cache_root=cache)
    return sorted((problem.code, problem.message) for task in report.tasks for problem in task.problems)


def test_execution_layer_accepts_the_fixtures_and_skips_competition_checks(research: Path, tmp_path: Path) -> None:
    assert _executed(research / "diabetes-ridge.yaml", tmp_path / "cache") == []


def test_execution_layer_catches_visible_answers_and_an_unreproduced_baseline(research: Path, tmp_path: Path) -> None:
    # MLGym's hole: test labels left where the agent can read them.
    written = 'table.iloc[352:].to_csv(Path(private) / "test.csv", index=False)'
    leaked = '\n    table.iloc[340:].to_csv(Path(public) / "extra.csv", index=False)'
    replace_in(research / "diabetes-ridge" / "prepare.py", written, written + leaked)
    replace_in(research / "diabetes-ridge.yaml", "score: 0.32225, tolerance: 0.001", "score: 0.5, tolerance: 0.001")
    problems = _executed(research / "diabetes-ridge.yaml", tmp_path / "cache")
    assert [code for code, _ in problems] == ["research.answers-visible", "research.baseline-not-reproduced"]
    assert "public/extra.csv holds 90 of the 90 rows of private/test.csv" in problems[0][1]
    assert "scored 0.32225" in problems[1][1]


def test_execution_layer_warns_about_a_rounded_baseline_score(research: Path, tmp_path: Path) -> None:
    # the baseline reproduces 0.32225 exactly; 0.3222 is that rounded, which AUP would count as a different score
    replace_in(research / "diabetes-ridge.yaml", "score: 0.32225, tolerance: 0.001", "score: 0.3222, tolerance: 0.001")
    problems = _executed(research / "diabetes-ridge.yaml", tmp_path / "cache")
    assert [code for code, _ in problems] == ["research.baseline-imprecise"], problems
    assert "0.32225" in problems[0][1] and "full precision" in problems[0][1]


def test_execution_layer_reports_a_failing_baseline(research: Path, tmp_path: Path) -> None:
    replace_in(research / "pennies-duel" / "baseline.py", "import os", "import os\nraise SystemExit('broken baseline')")
    problems = _executed(research / "pennies-duel.yaml", tmp_path / "cache")
    assert [code for code, _ in problems] == ["research.baseline-failed"]
    assert "agent_error" in problems[0][1] and "broken baseline" in problems[0][1]


def test_answer_rows_are_read_from_tab_separated_files_too(tmp_path: Path) -> None:
    from validators.execute._research import _rows

    (tmp_path / "answers.tsv").write_text("id\ty\n1\t0.5\n2\t0.7\n")
    (tmp_path / "answers.csv").write_text("id,y\n1,0.5\n")
    assert _rows(tmp_path / "answers.tsv") == {b"1\t0.5", b"2\t0.7"}
    assert _rows(tmp_path / "answers.csv") == {b"1,0.5"}
