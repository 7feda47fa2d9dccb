"""`runner import mlgym`: the real MLGym snapshot (../shared/upstream) into runnable research tasks, and edge cases
on a small checkout built here."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from runner.environments import EnvironmentError_, EnvironmentSpec, ensure_environment
from runner.importers import ImportReport, import_mlgym
from runner.trials import RunSettings, TrialRequest, run_trial
from spec import ResearchTask, load_task
from tests.conftest import REPO, require, require_bwrap, upstream_checkout
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
Imported = tuple[Path, Path, ImportReport]


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Imported:
    root = tmp_path_factory.mktemp("mlgym")
    checkout = upstream_checkout("MLGym", root)
    out = root / "out"
    return checkout, out, import_mlgym(checkout, out)


def test_every_task_config_is_a_manifest_or_a_located_reason(imported: Imported) -> None:
    checkout, out, report = imported
    configs = {path.name for path in (checkout / "configs" / "tasks").glob("*.yaml")}
    assert len(configs) == 19
    assert {task.id for task in report.tasks} == IMPORTED
    errors = {issue.upstream.rsplit("/", 1)[-1]: issue.message for issue in report.errors}
    assert set(errors) == NOT_SHIPPED | NO_DATASET_CONFIG
    assert len(IMPORTED) + len(errors) == len(configs)
    assert all("is not in the checkout (MLGym's repository does not ship it)" in errors[name] for name in NOT_SHIPPED)
    # the house-price configs point at the helper that writes their data; the importer never runs upstream code
    helper = "ships data/regressionKaggleHousePrice/_helpers/_generate_split.py to write it"
    assert {name for name, message in errors.items() if helper in message} == {
        "regressionKaggleHousePrice.yaml", "regressionKaggleHousePriceL1.yaml"
    }  # fmt: skip
    assert all("does not exist" in errors[name] for name in NO_DATASET_CONFIG)
    validation = validate_paths([out])
    assert validation.ok and validation.error_count == 0, [p for task in validation.tasks for p in task.problems]


def test_ids_placeholders_budgets_and_files(imported: Imported) -> None:
    _, out, report = imported
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
    # MLGym's sample submission is its ground truth byte for byte: withheld, and no baseline can reproduce 0.76555
    assert settings["sample_submission"] is None
    assert not (out / "titanic" / "starter" / "sample_submission.csv").exists()
    assert titanic.baselines["reference"].script is None and titanic.baselines["reference"].score == 0.76555
    warnings = {issue.message for issue in report.warnings if issue.upstream.endswith("titanic.yaml")}
    assert (
        "starter file sample_submission.csv is byte for byte the hidden answers file ground_truth.csv: "
        "withheld from the agent" in warnings
    )

    rl = load_task(out / "rl-meta-maze.yaml").manifest
    assert isinstance(rl, ResearchTask) and (out / "rl-meta-maze" / "starter" / "src" / "train.py").is_file()


def test_reimport_is_idempotent(imported: Imported) -> None:
    checkout, out, _ = imported
    before = {path: path.read_bytes() for path in out.rglob("*") if path.is_file()}
    assert {task.status for task in import_mlgym(checkout, out).tasks} == {"unchanged"}
    assert {path: path.read_bytes() for path in out.rglob("*") if path.is_file()} == before


@pytest.mark.parametrize("task_id", ["battle-of-sexes", "prisoners-dilemma", "blotto"])
def test_game_baselines_run_offline_and_reproduce_mlgyms_scores(
    imported: Imported, tmp_path: Path, task_id: str
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


def _pandas2_python(root: Path) -> Path:
    """A Python with pandas < 3: MLGym's house-price helper calls `drop(columns=..., axis=1)`, refused by pandas 3."""
    ci_uv = REPO / ".venv" / "bin" / "uv"  # where .ci/run installs it
    uv = shutil.which("uv") or (str(ci_uv) if ci_uv.is_file() else None)
    if uv is not None:  # seconds from uv's cache
        folder = root / "pandas2"
        venv = [uv, "venv", "-q", "-p", sys.executable, str(folder)]
        created = subprocess.run(venv, capture_output=True, check=False)
        installed = subprocess.run(
            [uv, "pip", "install", "-q", "--python", str(folder / "bin" / "python"), "pandas<3", "scikit-learn"],
            capture_output=True,
            check=False,
        )
        if created.returncode == installed.returncode == 0:
            return folder / "bin" / "python"
    try:  # the project's own offline environment builder (its first build downloads a wheelhouse)
        return ensure_environment(EnvironmentSpec(("pandas<3",))) / "bin" / "python"
    except EnvironmentError_ as error:
        require(f"no Python with pandas<3: {error}", "provide uv or a package index for the environment builder")
        raise


def test_house_price_from_the_checkouts_helper_runs_offline_and_reproduces_mlgyms_baseline(tmp_path: Path) -> None:
    require_bwrap()
    checkout = upstream_checkout("MLGym", tmp_path)
    # what the importer's error tells the user to do: run the checkout's helper, which writes the data folder
    helpers = checkout / "data" / "regressionKaggleHousePrice" / "_helpers"
    python = _pandas2_python(tmp_path)
    done = subprocess.run([python, "_generate_split.py"], cwd=helpers, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "out"
    report = import_mlgym(checkout, out)
    assert {"regression-kaggle-house-price", "regression-kaggle-house-price-l1"} <= {task.id for task in report.tasks}
    validation = validate_paths([out / "regression-kaggle-house-price.yaml"])
    assert validation.ok and validation.error_count == 0
    settings = json.loads((out / "regression-kaggle-house-price" / "mlgym.json").read_text())
    assert set(settings["public"].values()) == {"train.csv", "validation.csv", "test.csv"}
    assert list(settings["private"].values()) == ["answer.csv"]  # the file MLGym's evaluator opens by name

    loaded = load_task(out / "regression-kaggle-house-price.yaml")
    result = run_trial(TrialRequest(loaded, "baseline"), RunSettings(runs_dir=tmp_path / "runs", backend="local"))
    assert result.status == "ok", result.reason
    assert loaded.manifest is not None
    reference = loaded.manifest.baselines["reference"]
    assert reference.score == 0.8799891474739243 and result.score is not None
    # a ridge regression on MLGym's seeded split: only floating-point rounding differs (about 3e-15 here)
    assert abs(result.score - reference.score) <= reference.tolerance == 1e-6
    # the L1 variant ships no baseline script: MLGym's score is kept, nothing claims to reproduce it
    l1 = load_task(out / "regression-kaggle-house-price-l1.yaml").manifest
    assert l1 is not None and l1.baselines["reference"].script is None


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


def test_small_checkout_answers_stay_hidden_and_missing_data_names_its_helper(tmp_path: Path) -> None:
    checkout = tmp_path / "MLGym"
    task = (
        "id: {id}\nname: T\ndescription: |-\n  Predict `y`.\n  {{dataset_docs}}\ntask_entrypoint: CSVSubmissionTasks\n"
        "dataset_configs:\n  - datasets/{id}.yaml\nstarter_code:\n  - data/{id}/evaluate.py\n"
        "baseline_scores:\n  - accuracy: 0.5\nevaluation_paths:\n  - evaluate.py\n"
        "sample_submission: data/{id}/sample_submission.csv\n"
    )
    dataset = "name: {id}\ndescription: Rows of x and y.\ndata_path: data/{id}/data\nis_local: true\n"
    for name in ("c", "m"):
        _write(checkout / "configs" / "tasks" / f"{name}.yaml", task.format(id=name))
        _write(checkout / "configs" / "datasets" / f"{name}.yaml", dataset.format(id=name))
        _write(checkout / "data" / name / "evaluate.py", "ANSWERS = 'data/answers.csv'\n")
        _write(checkout / "data" / name / "sample_submission.csv", "id,y\n1,0\n")
    _write(checkout / "data" / "c" / "data" / "train.csv", "id,x,y\n0,1,1\n")
    _write(checkout / "data" / "c" / "data" / "test.csv", "id,x\n1,2\n")
    _write(checkout / "data" / "c" / "data" / "answers.csv", "id,y\n1,0\n")  # the sample, byte for byte
    _write(checkout / "data" / "m" / "_helpers" / "split.py", "# writes ../data\n")

    report = import_mlgym(checkout, tmp_path / "out")
    assert [task.id for task in report.tasks] == ["c"]
    settings = json.loads((tmp_path / "out" / "c" / "mlgym.json").read_text())
    assert settings["private"] == {"answers.csv": "answers.csv"}  # the file the evaluator opens by name
    assert settings["public"] == {"train.csv": "train.csv", "test.csv": "test.csv"}
    assert (
        settings["sample_submission"] is None
        and not (tmp_path / "out" / "c" / "starter" / "sample_submission.csv").exists()
    )
    manifest = load_task(tmp_path / "out" / "c.yaml").manifest
    assert manifest is not None and manifest.baselines["reference"].script is None
    assert "`$BENCHSMITH_DATA`" in (tmp_path / "out" / "c" / "description.md").read_text()
    [missing] = report.errors
    assert missing.upstream == "configs/tasks/m.yaml"
    assert "data/m/data is not in the checkout" in missing.message
    assert "the checkout ships data/m/_helpers/split.py to write it: run that script in its folder" in missing.message


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


def test_the_budget_caps_model_using_agents_only(imported: Imported) -> None:
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
