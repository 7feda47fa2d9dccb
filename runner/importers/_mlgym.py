"""Import MLGym tasks (a checkout of facebookresearch/MLGym) as `kind: research` manifests.

Only the task definitions are taken: the description becomes the task folder's `description.md`; starter code,
evaluation scripts, baselines and dataset configs stay upstream and are listed, as upstream locations that are
*not* task-folder paths, under the manifest's `x-upstream-files` extension key.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from runner.metrics import get_metric, metric_names
from spec._fields import ENTRYPOINT_PATTERN
from spec._sources import PACKAGED_DATASET_PATTERN

from ._common import (
    ImportReport,
    UpstreamError,
    check_manifest,
    claim_id,
    csv_header,
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
    "MLGym task definitions under the licence of facebookresearch/MLGym (see its LICENSE); "
    "each dataset under its own terms"
)
TASKS_DIR = Path("configs/tasks")
CONFIGS_DIR = Path("configs")
TASK_MODULE = "mlgym.environment.tasks"


@dataclass(frozen=True)
class MlgymTask:
    """What the importer knows about one MLGym task that its config does not say."""

    metric: str  # key of `baseline_scores` that is the task's primary metric
    higher_is_better: bool
    modality: str = "tabular"
    problem: str = "other"
    domain: str = "research"
    registry_metric: str | None = None  # benchsmith metric of the same definition, when there is one


MLGYM_TASKS: dict[str, MlgymTask] = {
    # upstream task id → primary metric, direction, facets. Tasks not listed fall back to `fallback_metric`.
    "titanicSurvival": MlgymTask("Accuracy", True, "tabular", "binary", "history", "accuracy"),
    "regressionKaggleHousePrice": MlgymTask("r2", True, "tabular", "regression", "real-estate", "r2"),
    "imageClassificationCifar10": MlgymTask("accuracy", True, "image", "multiclass", "vision", "accuracy"),
    "imageClassificationFMnist": MlgymTask("accuracy", True, "image", "multiclass", "vision", "accuracy"),
    "imageCaptioningCOCO": MlgymTask("BLEU Score", True, "multimodal", "generation", "vision"),
    "languageModelingFineWeb": MlgymTask("val_loss", False, "text", "language-modelling", "nlp"),
    "naturalLanguageInferenceMNLI": MlgymTask("validation_accuracy", True, "text", "multiclass", "nlp"),
    "battleOfSexes": MlgymTask("Score", True, "code", "game", "game-theory"),
    "prisonersDilemma": MlgymTask("Score", True, "code", "game", "game-theory"),
    "blotto": MlgymTask("Score", True, "code", "game", "game-theory"),
    "rlMetaMazeMisc": MlgymTask("Reward Mean", True, "code", "game", "reinforcement-learning"),
    "rlMountainCarContinuous": MlgymTask("Reward Mean", True, "code", "game", "reinforcement-learning"),
    "rlBreakoutMinAtar": MlgymTask("Reward Mean", True, "code", "game", "reinforcement-learning"),
    "3SATHeuristic": MlgymTask("Time", False, "code", "optimisation", "algorithms"),
}
"""Known MLGym tasks by upstream id."""

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
        "description": " ".join(str(config.get("description") or "").split()),
    }


def _source(dataset: dict[str, Any], used: set[str]) -> dict[str, Any]:
    provider = "mlgym" if dataset["is_local"] else "huggingface"
    location = re.sub(r"[^A-Za-z0-9_./-]+", "-", dataset["data_path"]).strip("-/") or "data"
    name = slugify(dataset["name"]) or "data"
    base, counter = name, 2
    while name in used:
        name, counter = f"{base[:60]}-{counter}", counter + 1
    used.add(name)
    value = f"{provider}:{location}"
    return {"name": name, "dataset": value if re.fullmatch(PACKAGED_DATASET_PATTERN, value) else f"{provider}:data"}


def _workspace_known(name: str, starter: list[str]) -> bool:
    """Whether a workspace-relative path (evaluation, baseline) is provided by the starter code."""
    wanted = PurePosixPath(name)
    for item in starter:
        path = PurePosixPath(item)
        if path.name == wanted.name or wanted.parts[0] == path.name:
            return True
    return False


def _one(config_path: Path, checkout: Path, report: ImportReport, seen: dict[str, str]) -> None:
    upstream = relative(config_path, checkout)
    config = read_config(config_path, upstream, report, ("id", "name", "description", "task_entrypoint"))
    if config is None:
        return
    upstream_id = str(config["id"])
    task_id = claim_id(upstream_id, upstream, report, seen)
    if task_id is None:
        return
    entry = f"{TASK_MODULE}:{config['task_entrypoint']}"
    if not re.fullmatch(ENTRYPOINT_PATTERN, entry):
        report.error(upstream, f"task_entrypoint {config['task_entrypoint']!r} is not a Python name")
        return
    lists = {key: _strings(config.get(key)) for key in ("dataset_configs", "starter_code", "baseline_paths",
                                                        "evaluation_paths")}  # fmt: skip
    bad = [key for key, value in lists.items() if value is None]
    if bad:
        report.error(upstream, f"{', '.join(bad)} must be a list of paths")
        return
    starter, evaluation = lists["starter_code"] or [], lists["evaluation_paths"] or []
    baseline_paths = lists["baseline_paths"] or []
    datasets = []
    for reference in lists["dataset_configs"] or []:
        dataset = _dataset(reference, checkout, upstream, report)
        if dataset is None:
            return
        datasets.append(dataset)
    dangling = [item for item in starter if (found := inside(checkout, item)) is None or not found.exists()]
    dangling += [item for item in [*evaluation, *baseline_paths] if not _workspace_known(item, starter)
                 and ((found := inside(checkout, item)) is None or not found.exists())]  # fmt: skip
    for item in dangling:
        report.warning(upstream, f"referenced file {item!r} is not in the checkout (nor in the starter code)")

    known = MLGYM_TASKS.get(upstream_id)
    scores = _baseline_scores(config.get("baseline_scores"))
    if known is not None:
        key, higher, registry = known.metric, known.higher_is_better, known.registry_metric
    elif scores:
        key = next(iter(scores[0]))
        higher, recognised = fallback_metric(key)
        normalised = re.sub(r"[^a-z0-9]+", "_", key.lower()).strip("_")
        registry = normalised if normalised in metric_names() else None
        report.warning(
            upstream,
            f"task not in MLGYM_TASKS: primary metric {key!r} taken from baseline_scores, higher_is_better: "
            f"{str(higher).lower()}{'' if recognised else ' (word not recognised; assumed)'}",
        )
    else:
        key, higher, registry = "score", True, None
        report.warning(upstream, "task not in MLGYM_TASKS and no baseline_scores: metric `score`, higher is better")
    metric: dict[str, Any]
    if registry is not None:
        higher = get_metric(registry).higher_is_better  # the registry's direction is the definition
        metric = {"name": registry, "higher_is_better": higher}
    else:
        metric = {"entrypoint": entry, "higher_is_better": higher}
    metric["x-upstream-metric"] = {"key": key, "evaluated_by": f"{entry} (runs the evaluation files in the workspace)"}
    baselines: dict[str, Any] = {}
    score = next((entry_scores[key] for entry_scores in scores if key in entry_scores), None)
    if score is not None:
        baselines["reference"] = {"score": score}
    else:
        report.warning(upstream, f"no baseline score for {key!r}; no reference baseline")

    timeout = config.get("training_timeout")
    resources: dict[str, Any] = {}
    training_timeout: str | None = None
    if isinstance(timeout, int | float) and not isinstance(timeout, bool) and timeout > 0:
        # MLGym's training_timeout limits each command; the total budget must at least hold one such command.
        training_timeout = duration(float(timeout))
        resources["time_limit"] = training_timeout
    else:
        report.warning(upstream, "no training_timeout; default time limit")

    submission: dict[str, Any] | None = None
    sample = config.get("sample_submission")
    if isinstance(sample, str):
        found = inside(checkout, sample)
        if found is not None and found.is_file():
            try:
                header = csv_header(found)
                if len(header) >= 2 and len(set(header)) == len(header):
                    submission = {"id_column": header[0], "columns": header[1:]}
            except UpstreamError as error:
                report.warning(upstream, f"sample submission: {error}")
        else:
            report.warning(upstream, f"sample submission {sample!r} is not in the checkout")

    used: set[str] = set()
    sources = [_source(dataset, used) for dataset in datasets] or [
        {"name": "upstream", "dataset": f"mlgym:{upstream_id}"}
    ]
    if not re.fullmatch(PACKAGED_DATASET_PATTERN, sources[0]["dataset"]):
        sources[0]["dataset"] = "mlgym:task"
    read_only = bool(config.get("evaluation_read_only", False))
    upstream_files: dict[str, Any] = {
        "repository": REPOSITORY,
        "note": "upstream locations, not task-folder paths: starter_code, sample_submission, requirements and "
        "dataset_configs are relative to the checkout; evaluation, protected and baseline to the agent's workspace",
        "starter_code": starter,
        "evaluation": evaluation,
        "protected": evaluation if read_only else [],
        "baseline": baseline_paths,
    }
    for key_name, field in (("sample_submission", "sample_submission"), ("memory_path", "memory_path"),
                            ("requirements", "requirements_path")):  # fmt: skip
        if isinstance(config.get(field), str):
            upstream_files[key_name] = config[field]
    upstream_files["dataset_configs"] = [dataset["config"] for dataset in datasets]
    if dangling:
        upstream_files["missing"] = dangling

    problem = known.problem if known is not None else "other"
    manifest: dict[str, Any] = {
        "schema_version": 1,
        "id": task_id,
        "kind": "research",
        "title": " ".join(str(config["name"]).split())[:200],
        "description": f"{task_id}/description.md",
        "tags": {
            "modality": known.modality if known is not None else "tabular",
            "problem": problem,
            "domain": known.domain if known is not None else "research",
            "keywords": ["mlgym"],
        },
        "license": LICENSE,
        "sources": sources,
        "prepare": {"entrypoint": entry, "x-upstream-task-entrypoint": str(config["task_entrypoint"])},
    }
    if submission is not None:
        manifest["submission"] = submission
    manifest["metric"] = metric
    if baselines:
        manifest["baselines"] = baselines
    if training_timeout is not None:
        manifest["training_timeout"] = training_timeout
    if resources:
        manifest["resources"] = resources
    manifest["provenance"] = {"origin": "imported", "by": BY, "upstream": f"{REPOSITORY}:{upstream}"}
    manifest["x-upstream-files"] = upstream_files
    if datasets:
        manifest["x-upstream-datasets"] = datasets
    if scores:
        manifest["x-upstream-baseline-scores"] = scores
    manifest["x-upstream-settings"] = {
        "use_generic_conda": bool(config.get("use_generic_conda", False)),
        "evaluation_read_only": read_only,
    }
    manifest["x-data-terms"] = "Each dataset under its own licence; see x-upstream-datasets and the dataset cards."
    invalid = check_manifest(manifest)
    if invalid is not None:
        report.error(upstream, f"the manifest would be invalid: {invalid}")
        return
    description = str(config["description"]).strip() + "\n"
    seen[task_id] = upstream
    report.add(task_id, manifest, {"description.md": description.encode("utf-8")}, upstream)


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
        "Starter code, evaluation and baselines stay upstream: see x-upstream-files."
    )
    return report
