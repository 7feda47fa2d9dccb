"""Import MLGym tasks (a checkout of facebookresearch/MLGym) as runnable `kind: research` manifests.

Each task config under `configs/tasks/` becomes one manifest, its id taken from the config's file name (two
configs may share an upstream `id`). The task folder gets what the checkout ships for it: the starter code
(`starter/`), the data files of local datasets (`data/`, pinned by sha256), and MLGym's sample submission. Three
generic scripts from `mlgym_scripts/` make it run under benchsmith's research contract without per-task code:

- `mlgym_adapter.py`, the evaluator: runs MLGym's own evaluation script the way MLGym's task class does
  (CSVSubmissionTasks, PythonSubmissionTasks, ModelSubmissionTasks, ...), seeded, on a scratch workspace;
- `mlgym_baseline.py`, the baseline: MLGym's baseline script when there is one, else the starter as shipped;
- `mlgym_prepare.py`: copies the dataset files, those MLGym's evaluation script opens by name (its answers) into
  private/, the rest into public/.

Their per-task settings are in the task's `mlgym.json`. Hub datasets become `huggingface:` sources. A task whose
local dataset the checkout does not ship (MLGym's repository leaves several out) cannot be prepared anywhere and
is reported instead of imported, naming the checkout's `_helpers/` script that writes it when there is one (the
importer never runs upstream code). A starter file identical to a hidden answers file (MLGym's Titanic sample
submission is its ground truth) is withheld from the agent. MLGym's budgets are kept: `training_timeout` limits
each command, the agent's total time is MLGym's step budget times that, and the step and cost budgets become the
manifest's `agent_budget`, which `runner exec` enforces for agents that use a model.
"""

from __future__ import annotations

import ast
import hashlib
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from runner.metrics import get_metric, metric_names

from ._common import (
    ImportReport,
    UpstreamError,
    check_manifest,
    claim_id,
    duration,
    inside,
    read_config,
    read_yaml,
    relative,
    slugify,
)

REPOSITORY = "facebookresearch/MLGym"
BY = "runner import mlgym"
LICENSE = (
    "MLGym task definitions, starter code and evaluation scripts under the licence of facebookresearch/MLGym "
    "(CC BY-NC 4.0, see its LICENSE); each dataset under its own terms"
)
TASKS_DIR = Path("configs/tasks")
CONFIGS_DIR = Path("configs")
SCRIPTS = Path(__file__).with_name("mlgym_scripts")
ADAPTER, BASELINE, PREPARE, SETTINGS = "mlgym_adapter.py", "mlgym_baseline.py", "mlgym_prepare.py", "mlgym.json"
STARTER, DATA = "starter", "data"
SKIPPED_PARTS = {"__pycache__", ".git", ".ipynb_checkpoints"}
DATA_NOTE = (
    "(benchsmith) The dataset files are in `$BENCHSMITH_DATA`, read-only. The scripts here read them from `data/` "
    'in the working folder, as MLGym lays it out: `ln -s "$BENCHSMITH_DATA" data` makes that so.'
)

MLGYM_MAX_STEPS = 50
"""MLGym's per-run step budget (`--max_steps 50` in every script of scripts/experiments/)."""
MLGYM_MAX_COST_USD = 4.0
"""MLGym's per-run model cost budget in dollars (`--per_instance_cost_limit 4.00` there)."""
MLGYM_TRAINING_TIMEOUT_S = 3600
"""MLGym's default per-command timeout (AGENT_LONG_ACTION_TIMEOUT) when a task sets no `training_timeout`."""
GENERIC_TOLERANCE = 0.01
"""Relative tolerance of a baseline reproduction when MLGYM_TASKS says nothing more precise."""


@dataclass(frozen=True)
class MlgymTask:
    """What the importer knows about one MLGym task that its config does not say."""

    metric: str  # key of `baseline_scores` that is the task's primary metric
    higher_is_better: bool
    modality: str = "tabular"
    problem: str = "other"
    domain: str = "research"
    registry_metric: str | None = None  # benchsmith metric of the same definition, when there is one
    tolerance: float | None = None  # absolute tolerance of reproducing MLGym's baseline score, when known


_MONTE_CARLO = 0.03
"""The game evaluators average 10,000 unseeded simulated matches; reruns spread by about 0.005 (1 sd)."""

_DETERMINISTIC = 1e-6
"""A ridge regression on MLGym's seeded split: reruns differ by floating-point rounding only (about 1e-14)."""

MLGYM_TASKS: dict[str, MlgymTask] = {
    # upstream task id → primary metric, direction, facets. Tasks not listed fall back to `fallback_metric`.
    "titanicSurvival": MlgymTask("Accuracy", True, "tabular", "binary", "history", "accuracy", 0.0),
    "regressionKaggleHousePrice": MlgymTask("r2", True, "tabular", "regression", "real-estate", "r2", _DETERMINISTIC),
    "regressionKaggleHousePriceL1": MlgymTask("r2", True, "tabular", "regression", "real-estate", "r2", _DETERMINISTIC),
    "imageClassificationCifar10": MlgymTask("accuracy", True, "image", "multiclass", "vision", "accuracy"),
    "imageClassificationFMnist": MlgymTask("accuracy", True, "image", "multiclass", "vision", "accuracy"),
    "imageCaptioningCOCO": MlgymTask("BLEU Score", True, "multimodal", "generation", "vision"),
    "languageModelingFineWeb": MlgymTask("val_loss", False, "text", "language-modelling", "nlp"),
    "naturalLanguageInferenceMNLI": MlgymTask("validation_accuracy", True, "text", "multiclass", "nlp"),
    "battleOfSexes": MlgymTask("Score", True, "code", "game", "game-theory", None, _MONTE_CARLO),
    "prisonersDilemma": MlgymTask("Score", True, "code", "game", "game-theory", None, _MONTE_CARLO),
    "blotto": MlgymTask("Score", True, "code", "game", "game-theory", None, _MONTE_CARLO),
    "rlMetaMazeMisc": MlgymTask("Reward Mean", True, "code", "game", "reinforcement-learning"),
    "rlMountainCarContinuous": MlgymTask("Reward Mean", True, "code", "game", "reinforcement-learning"),
    "rlMountainCarContinuousReinforce": MlgymTask("Reward Mean", True, "code", "game", "reinforcement-learning"),
    "rlBreakoutMinAtar": MlgymTask("Reward Mean", True, "code", "game", "reinforcement-learning"),
    "3SATTime": MlgymTask("Time", False, "code", "optimisation", "algorithms"),
}
"""Known MLGym tasks by upstream id (the config's `id`)."""

LOWER_IS_BETTER_WORDS = ("loss", "rmse", "mse", "mae", "error", "time", "perplexity", "regret", "distance")
HIGHER_IS_BETTER_WORDS = ("accuracy", "acc", "f1", "auc", "score", "reward", "r2", "bleu", "precision", "recall")
"""Fallback: the first baseline score key is the primary metric; its direction from these words (lower first)."""


def fallback_metric(key: str) -> tuple[bool, bool]:
    """(higher_is_better, known) for a baseline-score key by the word rule; unknown keys count as higher."""
    lowered = key.lower()
    if any(word in lowered for word in LOWER_IS_BETTER_WORDS):
        return False, True
    if any(word in lowered for word in HIGHER_IS_BETTER_WORDS):
        return True, True
    return True, False


def metric_key(name: str) -> str:
    """The key the adapter prints for an MLGym metric name (`Reward Mean` -> `reward_mean`)."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def _strings(value: Any) -> list[str] | None:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    return None


def _baseline_scores(value: Any) -> list[dict[str, float]]:
    entries = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
    scores: list[dict[str, float]] = []
    for entry in entries:
        if isinstance(entry, dict):
            kept = {
                str(key): float(number)
                for key, number in entry.items()
                if isinstance(number, int | float) and not isinstance(number, bool) and math.isfinite(float(number))
            }
            if kept:
                scores.append(kept)
    return scores


def _dataset(reference: str, checkout: Path, upstream: str, report: ImportReport) -> dict[str, Any] | None:
    path = next(
        (
            found
            for root in (checkout / CONFIGS_DIR, checkout)
            if (found := inside(root, reference)) and found.is_file()
        ),
        None,
    )
    if path is None:
        report.error(upstream, f"dataset config {reference!r} does not exist (looked in configs/ and the checkout)")
        return None
    try:
        config = read_yaml(path)
    except UpstreamError as error:
        report.error(upstream, f"dataset config {reference!r}: {error}")
        return None
    if not isinstance(config, dict) or not config.get("name") or not config.get("data_path"):
        report.error(upstream, f"dataset config {reference!r} lacks name or data_path")
        return None
    return {
        "config": relative(path, checkout),
        "name": str(config["name"]),
        "data_path": str(config["data_path"]),
        "is_local": bool(config.get("is_local", False)),
        "description": str(config.get("description") or ""),
    }


def _files_under(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted(
        item for item in path.rglob("*") if item.is_file() and not SKIPPED_PARTS & set(item.relative_to(path).parts)
    )


def _dataset_docs(datasets: list[dict[str, Any]]) -> str:
    """What MLGym puts in place of `{dataset_docs}`: each dataset's upper-cased name and its description."""
    return "".join(f"{dataset['name'].upper()}:\n{dataset['description']}\n\n" for dataset in datasets)


def _evaluated_imports(script: bytes) -> list[tuple[str, str]]:
    """(module, name) of each `from module import name` at the top level of an evaluation script."""
    try:
        tree = ast.parse(script)
    except (SyntaxError, ValueError):
        return []
    return [
        (node.module, alias.name)
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
        for alias in node.names
    ]


def _artefact(
    task_class: str, evaluation: bytes | None, starter: dict[str, bytes], description: str
) -> tuple[dict[str, Any], list[str], str | None]:
    """The artefact, the starter files the evaluator imports besides it (to protect), and a guess to report."""
    if task_class == "CSVSubmissionTasks":
        return {"type": "csv", "path": "submission.csv"}, [], None
    imports = _evaluated_imports(evaluation or b"")
    local = [(module, name) for module, name in imports if f"{module}.py" in starter]
    if task_class == "PythonSubmissionTasks":
        # the module the description tells the agent to edit, among those the evaluator imports from the workspace
        chosen = next(((m, n) for m, n in local if f"`{m}.py`" in description), local[0] if local else None)
        if chosen is not None:
            module, function = chosen
            others = sorted({f"{m}.py" for m, _ in local if m != module})
            return {"type": "module", "path": f"{module}.py", "function": function}, others, None
    others = sorted({f"{m}.py" for m, _ in local})
    guess = f"{task_class}: the artefact is taken to be the `checkpoints` folder the evaluation script loads"
    return {"type": "checkpoint", "path": "checkpoints"}, others, guess


def _requirements(path: Path | None) -> tuple[list[str], list[str]]:
    """(kept, refused) requirement lines of an upstream requirements file."""
    if path is None or not path.is_file():
        return [], []
    lines = [line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines if line]
    kept, refused = [], []
    for line in lines:
        try:
            Requirement(line)
        except InvalidRequirement:
            refused.append(line)
        else:
            kept.append(line)
    return kept, refused


def _primary(upstream: str, upstream_id: str, scores: list[dict[str, float]], report: ImportReport) -> MlgymTask:
    known = MLGYM_TASKS.get(upstream_id)
    if known is not None:
        return known
    if scores:
        key = next(iter(scores[0]))
        higher, recognised = fallback_metric(key)
        report.warning(
            upstream,
            f"task not in MLGYM_TASKS: primary metric {key!r} taken from baseline_scores, higher_is_better: "
            f"{str(higher).lower()}{'' if recognised else ' (word not recognised; assumed)'}",
        )
        return MlgymTask(key, higher)
    report.warning(upstream, "task not in MLGYM_TASKS and no baseline_scores: metric `score`, higher is better")
    return MlgymTask("score", True)


def _one(config_path: Path, checkout: Path, report: ImportReport, seen: dict[str, str]) -> None:
    upstream = relative(config_path, checkout)
    config = read_config(config_path, upstream, report, ("id", "name", "description", "task_entrypoint"))
    if config is None:
        return
    upstream_id = str(config["id"])
    task_id = claim_id(config_path.stem, upstream, report, seen)  # ids from file names: two configs share an id
    if task_id is None:
        return
    task_class = str(config["task_entrypoint"])
    lists = {key: _strings(config.get(key)) for key in ("dataset_configs", "starter_code", "baseline_paths",
                                                        "evaluation_paths")}  # fmt: skip
    bad = [key for key, value in lists.items() if value is None]
    if bad:
        report.error(upstream, f"{', '.join(bad)} must be a list of paths")
        return
    starter_paths, evaluation_paths = lists["starter_code"] or [], lists["evaluation_paths"] or []
    baseline_paths = lists["baseline_paths"] or []
    datasets = []
    for reference in lists["dataset_configs"] or []:
        dataset = _dataset(reference, checkout, upstream, report)
        if dataset is None:
            return
        datasets.append(dataset)

    files: dict[str, bytes] = {}
    starter: dict[str, bytes] = {}  # workspace path -> bytes (MLGym copies each entry by its base name)
    for item in starter_paths:
        found = inside(checkout, item)
        if found is None or not found.exists():
            report.error(upstream, f"starter file {item!r} is not in the checkout")
            return
        for path in _files_under(found):
            name = (
                PurePosixPath(found.name, *path.relative_to(found).parts).as_posix() if found.is_dir() else found.name
            )
            starter[name] = path.read_bytes()
    if not evaluation_paths or evaluation_paths[0] not in starter:
        report.error(upstream, f"evaluation script {evaluation_paths[:1] or 'none'} is not among the starter files")
        return
    evaluation = evaluation_paths[0]
    evaluation_text = starter[evaluation]

    sample = config.get("sample_submission")
    sample_name: str | None = None
    if isinstance(sample, str):
        found = inside(checkout, sample)
        if found is not None and found.is_file():
            sample_name = found.name
            starter.setdefault(sample_name, found.read_bytes())
        else:
            report.warning(upstream, f"sample submission {sample!r} is not in the checkout")

    description = str(config["description"]).replace("{dataset_docs}", _dataset_docs(datasets).strip()).strip()
    sources: list[dict[str, Any]] = [{"name": "mlgym", "file": f"{task_id}/{SETTINGS}"}]
    public: dict[str, str] = {}
    private: dict[str, str] = {}
    used = {"mlgym"}
    for dataset in datasets:
        if dataset["is_local"]:
            folder = inside(checkout, dataset["data_path"])
            if folder is None or not folder.exists():
                report.error(upstream, _missing_data(checkout, dataset))
                return
            for path in _files_under(folder):
                inner = path.relative_to(folder).as_posix() if folder.is_dir() else path.name
                name = _unique(slugify(PurePosixPath(inner).stem) or "data", used)
                raw_name = name + "".join(PurePosixPath(inner).suffixes[-2:])
                files[f"{DATA}/{inner}"] = path.read_bytes()
                sources.append({"name": name, "file": f"{task_id}/{DATA}/{inner}"})
                # the files MLGym's evaluator opens by name are its answers; the agent gets the rest
                hidden = PurePosixPath(inner).name.encode() in evaluation_text
                (private if hidden else public)[raw_name] = inner
        else:
            name = _unique(slugify(dataset["name"]) or "dataset", used)
            sources.append({"name": name, "dataset": f"huggingface:{dataset['data_path']}"})
            public[f"{name}.csv"] = f"{name}.csv"
            report.warning(
                upstream, f"dataset {dataset['data_path']!r} comes from the Hugging Face hub: network needed"
            )

    answers = {files[f"{DATA}/{inner}"]: inner for inner in private.values()}
    for shipped in sorted(name for name, data in starter.items() if data and data in answers):
        # MLGym hands this file to its agent; here the answers never reach the agent
        report.warning(
            upstream,
            f"starter file {shipped} is byte for byte the hidden answers file {answers[starter.pop(shipped)]}: "
            "withheld from the agent",
        )
        sample_name = None if shipped == sample_name else sample_name
    primary = _primary(upstream, upstream_id, _baseline_scores(config.get("baseline_scores")), report)
    name = primary.registry_metric or metric_key(primary.metric)
    higher = get_metric(name).higher_is_better if name in metric_names() else primary.higher_is_better
    scores = _baseline_scores(config.get("baseline_scores"))
    score = next((entry[primary.metric] for entry in scores if primary.metric in entry), None)

    artefact, imported, guess = _artefact(task_class, starter.get(evaluation), starter, description)
    if guess is not None:
        report.warning(upstream, guess)
    protected = sorted({*evaluation_paths, *imported} & set(starter))
    # MLGym's baseline is its baseline script when one is named besides the evaluation script
    baseline_script = next((path for path in baseline_paths if path not in evaluation_paths and path in starter), None)
    settings = {
        "task_class": task_class,
        "evaluation": evaluation,
        "artefact": artefact["path"],
        "seed": 0,
        "baseline": baseline_script,
        "sample_submission": sample_name,
        "public": public,
        "private": private,
        "metric": primary.metric,
    }
    files[SETTINGS] = (json.dumps(settings, indent=1, sort_keys=True) + "\n").encode("utf-8")
    for script in (ADAPTER, BASELINE, PREPARE):
        files[script] = (SCRIPTS / script).read_bytes()
    if public:
        description += f"\n\n{DATA_NOTE}"
    files["description.md"] = (description + "\n").encode("utf-8")
    for name_in_workspace, data in starter.items():
        files[f"{STARTER}/{name_in_workspace}"] = data
    for source in sources:
        if "file" in source:
            source["sha256"] = hashlib.sha256(files[source["file"].split("/", 1)[1]]).hexdigest()

    timeout = config.get("training_timeout")
    if not (isinstance(timeout, int | float) and not isinstance(timeout, bool) and timeout > 0):
        timeout = MLGYM_TRAINING_TIMEOUT_S
        report.warning(upstream, f"no training_timeout; MLGym's default {duration(timeout)} per command")
    baselines: dict[str, Any] = {}
    if score is not None:
        tolerance = primary.tolerance if primary.tolerance is not None else GENERIC_TOLERANCE * abs(score)
        baselines["reference"] = {"script": f"{task_id}/{BASELINE}", "score": score, "tolerance": tolerance}
        if baseline_script is None and sample_name is None and artefact["type"] == "csv":
            del baselines["reference"]["script"]
            report.warning(
                upstream,
                f"MLGym's baseline score {score:g} is kept, but nothing the task ships produces its submission "
                "(no baseline script, no sample submission): `--agent baseline` cannot reproduce it",
            )
    else:
        report.warning(upstream, f"no baseline score for {primary.metric!r}; no reference baseline")
    requirements_path = config.get("requirements_path")
    kept, refused = _requirements(inside(checkout, requirements_path) if isinstance(requirements_path, str) else None)
    if refused:
        report.warning(upstream, f"requirements not in pip's plain form, left out: {', '.join(refused)}")

    known = MLGYM_TASKS.get(upstream_id)
    manifest: dict[str, Any] = {
        "schema_version": 1,
        "id": task_id,
        "kind": "research",
        "title": " ".join(str(config["name"]).split())[:200],
        "description": f"{task_id}/description.md",
        "tags": {
            "modality": known.modality if known is not None else "tabular",
            "problem": known.problem if known is not None else "other",
            "domain": known.domain if known is not None else "research",
            "keywords": ["mlgym"],
        },
        "license": LICENSE,
        "sources": sources,
        "prepare": {"script": f"{task_id}/{PREPARE}"},
        "metric": {"name": name, "higher_is_better": higher},
        "starter_code": f"{task_id}/{STARTER}",
        "evaluation": {
            "script": f"{task_id}/{ADAPTER}",
            "time_limit": duration(float(timeout)),
            "dev_split": not private,  # MLGym has no dev split: only data-free tasks can score one in the sandbox
        },
        "artefact": artefact,
        "training_timeout": duration(float(timeout)),
        "protected": [f"{task_id}/{SETTINGS}", *(f"{task_id}/{STARTER}/{path}" for path in protected)],
    }
    if baselines:
        manifest["baselines"] = baselines
    manifest["agent_budget"] = {"max_steps": MLGYM_MAX_STEPS, "max_cost_usd": MLGYM_MAX_COST_USD}
    if kept:
        manifest["environment"] = {"packages": kept}
    manifest["resources"] = {"time_limit": duration(float(timeout) * MLGYM_MAX_STEPS)}
    manifest["provenance"] = {"origin": "imported", "by": BY, "upstream": f"{REPOSITORY}:{upstream}"}
    manifest["x-mlgym"] = {
        "id": upstream_id,
        "task_class": task_class,
        "baseline_scores": scores,
        "datasets": [{key: value for key, value in d.items() if key != "description"} for d in datasets],
        "memory_path": config.get("memory_path"),
    }
    invalid = check_manifest(manifest)
    if invalid is not None:
        report.error(upstream, f"the manifest would be invalid: {invalid}")
        return
    seen[task_id] = upstream
    report.add(task_id, manifest, files, upstream)


def _missing_data(checkout: Path, dataset: dict[str, Any]) -> str:
    """Why a local dataset cannot be imported, and how to bring it in (MLGym's `_helpers/` convention)."""
    where = PurePosixPath(dataset["data_path"])
    reason = (
        f"dataset {dataset['name']!r}: {where} is not in the checkout (MLGym's repository does not ship it), "
        "so the task cannot be prepared"
    )
    helpers = inside(checkout, (where.parent / "_helpers").as_posix())
    scripts = sorted(path.name for path in helpers.glob("*.py")) if helpers is not None and helpers.is_dir() else []
    if scripts:
        # upstream code: the user runs it in their checkout, the importer never executes it
        return (
            f"{reason}; the checkout ships {where.parent / '_helpers'}/{scripts[0]} to write it: run that script "
            "in its folder, then import again"
        )
    return f"{reason}; put the data there and import again"


def _unique(name: str, used: set[str]) -> str:
    base, counter = name[:60], 2
    while name in used:
        name, counter = f"{base}-{counter}", counter + 1
    used.add(name)
    return name


def import_mlgym(checkout: Path, out: Path) -> ImportReport:
    """Import every task config of a facebookresearch/MLGym checkout into `out`; broken ones are reported.

    Raises FileNotFoundError when `checkout` has no `configs/tasks/` folder.
    """
    tasks = checkout / TASKS_DIR
    if not tasks.is_dir():
        raise FileNotFoundError(f"{checkout} is not a facebookresearch/MLGym checkout: no {TASKS_DIR}/")
    report = ImportReport("mlgym", out)
    seen: dict[str, str] = {}
    for config_path in sorted([*tasks.glob("*.yaml"), *tasks.glob("*.yml")]):
        _one(config_path, checkout, report, seen)
    report.write(
        f"Imported from {REPOSITORY} by `{BY}`; re-run the importer instead of editing.\n"
        "The task folder holds MLGym's starter code and data; the mlgym_*.py scripts are benchsmith's generic "
        "adapters."
    )
    return report
