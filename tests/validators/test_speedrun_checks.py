"""Speedrun manifests: the model's rules and the static `speedrun.*` checks, located where the author must fix
them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from spec import SpeedrunTask, load_task
from tests.conftest import FIXTURES, line_of, replace_in
from validators import validate_paths

SPEEDRUN = FIXTURES / "speedrun"


@pytest.fixture
def chain(tmp_path: Path) -> Path:
    """A copy of the micro chain that a test may break; returns its manifest."""
    root = tmp_path / "speedrun"
    shutil.copytree(SPEEDRUN, root, ignore=shutil.ignore_patterns("__pycache__", "*.retime.json"))
    return root / "micro-chain.yaml"


def _problems(manifest: Path) -> list[tuple[str, str, int | None]]:
    report = validate_paths([manifest])
    return [(problem.code, problem.severity, problem.line) for task in report.tasks for problem in task.problems]


def test_micro_chain_is_valid_without_warnings() -> None:
    report = validate_paths([SPEEDRUN])
    assert report.ok and len(report.tasks) == 1
    assert [problem for task in report.tasks for problem in task.problems] == []
    task = load_task(SPEEDRUN / "micro-chain.yaml").manifest
    assert isinstance(task, SpeedrunTask)
    assert [r.id for r in task.records] == ["r0", "r1", "r2"]
    assert task.successor("r1") is not None and task.successor("r1").id == "r2"  # type: ignore[union-attr]
    assert task.successor("r2") is None
    assert task.records[1].hints.at_level(2) == "micro-chain/hints/r1/description.md"
    assert task.target.reached(1.0) and not task.target.reached(1.5)


def test_times_must_fall_and_hints_must_exist(chain: Path) -> None:
    replace_in(chain, "time_s: 0.174", "time_s: 1.5")
    replace_in(chain, "hints: {pseudocode: micro-chain/hints/r1/pseudocode.md, ", "hints: {")
    replace_in(chain, "paper: micro-chain/hints/r2/paper.md}", "paper: micro-chain/hints/r2/gone.md}")
    assert sorted(_problems(chain)) == sorted([
        ("path.missing", "error", line_of(chain, "gone.md")),
        ("speedrun.hint-missing", "error", line_of(chain, "hints: {description: micro-chain/hints/r1")),
        ("speedrun.time-not-decreasing", "error", line_of(chain, "time_s: 1.5")),
    ])  # fmt: skip


def test_insignificant_speedup_and_compute_problems(chain: Path) -> None:
    replace_in(chain, "time_s: 1.13\n    time_std_s: 0.02", "time_s: 1.13\n    time_std_s: 0.7")
    replace_in(chain, "threads: 1,", "threads: 4,")
    replace_in(chain, "    sha256: 36afd8bb1f98a1b85de20f009687459f84be6d4053334da8e96fcb1941006b1a\n", "")
    problems = _problems(chain)
    assert ("speedrun.not-significant", "warning", line_of(chain, "time_s: 1.13")) in problems
    assert ("speedrun.not-significant", "warning", line_of(chain, "time_s: 0.174")) in problems
    assert ("speedrun.threads-exceed-cpus", "error", line_of(chain, "protocol:")) in problems
    assert ("speedrun.cpu-clock-threads", "warning", line_of(chain, "protocol:")) in problems
    assert ("speedrun.validation-unpinned", "warning", line_of(chain, "  validation:")) in problems


def test_metric_must_be_the_evaluator_script_and_url_scripts_need_a_source(chain: Path) -> None:
    replace_in(chain, "metric: {script: micro-chain/evaluate.py, higher_is_better: false}",
               "metric: {name: log_loss, higher_is_better: false}")  # fmt: skip
    digest = "a" * 64
    replace_in(chain, "script: micro-chain/records/r2.py",
               f"script_url: {{url: 'https://example.org/r2.py', sha256: {digest}}}")  # fmt: skip
    problems = _problems(chain)
    assert ("speedrun.metric-not-script", "error", line_of(chain, "metric: {name")) in problems
    assert ("speedrun.script-url-no-source", "error", line_of(chain, "script_url:")) in problems


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("    script: micro-chain/records/r0.py\n", "", "a record needs a script or a script_url"),
        ("target: {metric: val_loss, threshold: 1.02, higher_is_better: false}",
         "target: {metric: val_loss, threshold: 1.02, higher_is_better: true}", "target.higher_is_better"),
        ("  - id: r2\n", "  - id: r1\n", "record ids repeat"),
        ("preload: [torch, numpy, torch._dynamo]", "preload: [torch, 'no such']", "not Python module names"),
        ("causal_lm: {context: 256}", "causal_lm: {context: 1}", "causal_lm.context"),
    ],
)  # fmt: skip
def test_model_rules(chain: Path, old: str, new: str, message: str) -> None:
    replace_in(chain, old, new)
    loaded = load_task(chain)
    assert loaded.manifest is None
    assert any(message in problem.message for problem in loaded.problems), loaded.problems
