"""`runner import mlgym`: the real MLGym snapshot (../shared/upstream) into runnable research tasks, and edge cases
on a small checkout built here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from runner.importers import import_mlgym
from runner.trials import RunSettings, TrialRequest, run_trial
from spec import ResearchTask, load_task
from tests.conftest import require_bwrap, upstream_checkout
from validators import validate_paths

IMPORTED = {
    "battle-of-sexes", "blotto", "image-classification-cifar10", "image-classification-cifar10-l1",
    "image-classification-f-mnist", "natural-language-inference-mnli", "prisoners-dilemma", "rl-breakout-min-atar",
    "rl-meta-maze", "rl-mountain-car-continuous", "rl-mountain-car-continuous-reinforce", "titanic",
}  # fmt: skip
NOT_SHIPPED = {  # local datasets MLGym's repository leaves out: no manifest could ever be prepared
    "3SATTime.yaml", "imageCaptioningCOCO.yaml", "languageModelingFineWeb.yaml", "regressionKaggleHousePrice.yaml",
    "regressionKaggleHousePriceL1.yaml",
}  # fmt: skip
NO_DATASET_CONFIG = {"regressionHousePrice.yaml", "regressionHousingPrice.yaml"}


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, object]:
    root = tmp_path_factory.mktemp("mlgym")
    checkout = upstream_checkout("MLGym", root)
    out = root / "out"
    return checkout, out, import_mlgym(checkout, out)


def test_every_task_config_is_a_manifest_or_a_located_reason(imported: tuple[Path, Path, object]) -> None:
    checkout, out, report = imported
    configs = {path.name for path in (checkout / "configs" / "tasks").glob("*.yaml")}
    assert len(configs) == 19
    assert {task.id for task in report.tasks} == IMPORTED  # type: ignore[attr-defined]
    errors = {issue.upstream.rsplit("/", 1)[-1]: issue.message for issue in report.errors}  # type: ignore[attr-defined]
    assert set(errors) == NOT_SHIPPED | NO_DATASET_CONFIG
    assert len(IMPORTED) + len(errors) == len(configs)
    assert all("is not in the checkout (MLGym's repository does not ship it)" in errors[name] for name in NOT_SHIPPED)
    assert all("does not exist" in errors[name] for name in NO_DATASET_CONFIG)
    validation = validate_paths([out])
    assert validation.ok and validation.error_count == 0, [p for task in validation.tasks for p in task.problems]


def test_ids_placeholders_budgets_and_files(imported: tuple[Path, Path, object]) -> None:
    _, out, _ = imported
    # ids from file names: the L1 variant reuses its sibling's upstream id and is imported beside it
    l1 = load_task(out / "image-classification-cifar10-l1.yaml").manifest
    assert l1 is not None
    assert l1.extensions["x-mlgym"]["id"] == "imageClassificationCifar10"
    assert l1.sources[1].model_dump()["dataset"] == "huggingface:uoft-cs/cifar10"
    for task_id in IMPORTED:
        assert "{dataset_docs}" not in (out / task_id / "description.md").read_text()
    assert (
        "CIFAR10:\nThe CIFAR-10 dataset consists"
        in (out / "image-classification-cifar10" / "description.md").read_text()
    )

    game = load_task(out / "battle-of-sexes.yaml").manifest
    assert isinstance(game, ResearchTask)
    assert game.training_timeout == "30m" and game.resources.time_limit == "25h"  # 50 steps of 30 minutes
    assert game.agent_budget is not None and (game.agent_budget.max_steps, game.agent_budget.max_cost_usd) == (50, 4.0)
    assert game.artefact is not None and game.artefact.model_dump(exclude_none=True) == {
        "type": "module", "path": "strategy.py", "function": "row_strategy"
    }  # fmt: skip
    assert game.protected == [
        "battle-of-sexes/mlgym.json", "battle-of-sexes/starter/evaluate.py", "battle-of-sexes/starter/target.py"
    ]  # fmt: skip
    assert (out / "battle-of-sexes" / "starter" / "strategy.py").is_file()
    assert game.metric.model_dump(exclude_defaults=True) == {"name": "score", "higher_is_better": True}

    titanic = load_task(out / "titanic.yaml").manifest
    assert isinstance(titanic, ResearchTask)
    assert titanic.metric.model_dump()["name"] == "accuracy" and titanic.training_timeout == "1h"
    files = {source.name: source.model_dump().get("file") for source in titanic.sources}
    assert files["ground-truth"] == "titanic/data/ground_truth.csv"
    settings = json.loads((out / "titanic" / "mlgym.json").read_text())
    assert settings["private"] == {"ground-truth.csv": "ground_truth.csv"}  # the answers never reach the agent
    assert set(settings["public"].values()) == {"train.csv", "test.csv"}
    assert titanic.evaluation is not None and titanic.evaluation.dev_split is False

    rl = load_task(out / "rl-meta-maze.yaml").manifest
    assert isinstance(rl, ResearchTask) and (out / "rl-meta-maze" / "starter" / "src" / "train.py").is_file()


def test_reimport_is_idempotent(imported: tuple[Path, Path, object]) -> None:
    checkout, out, _ = imported
    before = {path: path.read_bytes() for path in out.rglob("*") if path.is_file()}
    assert {task.status for task in import_mlgym(checkout, out).tasks} == {"unchanged"}
    assert {path: path.read_bytes() for path in out.rglob("*") if path.is_file()} == before


@pytest.mark.parametrize("task_id", ["battle-of-sexes", "prisoners-dilemma"])
def test_game_baselines_run_offline_and_reproduce_mlgyms_scores(
    imported: tuple[Path, Path, object], tmp_path: Path, task_id: str
) -> None:
    require_bwrap()
    _, out, _ = imported
    loaded = load_task(out / f"{task_id}.yaml")
    result = run_trial(TrialRequest(loaded, "baseline"), RunSettings(runs_dir=tmp_path / "runs", backend="local"))
    assert result.status == "ok", result.reason
    assert loaded.manifest is not None
    reference = loaded.manifest.baselines["reference"]
    assert reference.score is not None and result.score is not None
    # MLGym's evaluators average 10,000 simulated matches of unseeded strategies: reruns spread by about 0.005
    assert abs(result.score - reference.score) <= reference.tolerance == 0.03


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _small_checkout(root: Path) -> Path:
    """A good game task, an unknown one (fallback metric), one with a missing starter file."""
    game = (
        "id: {id}\nname: {name}\ndescription: |-\n  Edit `strategy.py`.\n  {{dataset_docs}}\n"
        "task_entrypoint: PythonSubmissionTasks\ntraining_timeout: 60\nstarter_code:\n"
        "  - data/g/evaluate.py\n  - data/g/strategy.py\n  - data/g/{extra}\nbaseline_paths:\n  - evaluate.py\n"
        "baseline_scores:\n  - {metric}: 0.5\nevaluation_paths:\n  - evaluate.py\n"
    )
    _write(
        root / "data/g/evaluate.py", "import json\nfrom strategy import move\nprint(json.dumps({'Score': move()}))\n"
    )
    _write(root / "data/g/strategy.py", "def move():\n    return 0.5\n")
    _write(root / "data/g/helper.py", "X = 1\n")
    tasks = root / "configs" / "tasks"
    _write(tasks / "gameA.yaml", game.format(id="gameA", name="Game", extra="helper.py", metric="Score"))
    _write(tasks / "gameB.yaml", game.format(id="gameA", name="Game again", extra="helper.py", metric="Regret"))
    _write(tasks / "broken.yaml", game.format(id="broken", name="B", extra="missing.py", metric="Score"))
    return root


def test_small_checkout_ids_fallbacks_and_errors(tmp_path: Path) -> None:
    checkout = _small_checkout(tmp_path / "MLGym")
    report = import_mlgym(checkout, tmp_path / "out")
    assert sorted(task.id for task in report.tasks) == ["game-a", "game-b"]  # same upstream id, two files
    assert "starter file 'data/g/missing.py' is not in the checkout" in report.errors[0].message
    regret = load_task(tmp_path / "out" / "game-b.yaml").manifest
    assert regret is not None
    assert regret.metric.model_dump(exclude_defaults=True) == {"name": "regret", "higher_is_better": False}
    assert any("not in MLGYM_TASKS" in issue.message for issue in report.warnings)
    assert (tmp_path / "out" / "game-a" / "description.md").read_text() == "Edit `strategy.py`.\n"


def _runner(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "runner", *arguments],
        cwd=cwd, capture_output=True, text=True, timeout=300, env=environment, check=False,
    )  # fmt: skip


def test_cli_import_mlgym_and_failures(tmp_path: Path) -> None:
    checkout = _small_checkout(tmp_path / "MLGym")
    done = _runner("import", "mlgym", str(checkout), "--out", str(tmp_path / "gym"), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "gym" / "game-a.yaml").is_file() and "1 skipped" in done.stdout
    not_a_checkout = _runner("import", "mlgym", str(tmp_path / "gym"), cwd=tmp_path)
    assert not_a_checkout.returncode == 2
    only_broken = tmp_path / "broken"
    _write(only_broken / "configs" / "tasks" / "x.yaml", "id: x\nname: X\n")
    nothing = _runner("import", "mlgym", str(only_broken), "--out", str(tmp_path / "none"), cwd=tmp_path)
    assert nothing.returncode == 1 and "nothing could be imported" in nothing.stderr


def test_the_budget_caps_model_using_agents_only(imported: tuple[Path, Path, object]) -> None:
    from runner.cli._exec import _with_task_budget
    from runner.llm import Limits, ModelAccess, resolve_settings

    _, out, _ = imported
    task = load_task(out / "battle-of-sexes.yaml")
    llm = _with_task_budget(TrialRequest(task, "llm", args=("drafts=1", "max_steps=100")))
    assert llm.args == ("drafts=1", "max_steps=50", "max_cost=4")
    tighter = _with_task_budget(TrialRequest(task, "llm", args=("max_cost=1.5",)))
    assert tighter.args == ("max_steps=50", "max_cost=1.5")
    access = ModelAccess(resolve_settings({"model": "m"}), Limits(max_steps=20, max_cost_usd=9.0, max_tokens=7))
    proxied = _with_task_budget(TrialRequest(task, "command", model_access=access))
    assert proxied.model_access is not None
    assert proxied.model_access.limits == Limits(max_steps=20, max_cost_usd=4.0, max_tokens=7)
    plain = TrialRequest(task, "baseline")
    assert _with_task_budget(plain) is plain
