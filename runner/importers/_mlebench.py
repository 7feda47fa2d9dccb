"""Import MLE-bench competitions (a checkout of openai/mle-bench) as `kind: competition` manifests.

Only data is taken: each competition's config, its description and its leaderboard. Upstream code (preparers,
graders) is referenced by entry point, never copied; running a task needs the `mlebench` package and Kaggle
credentials, which is why its source is `kaggle: <id>`.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import re
from pathlib import Path
from typing import Any

from spec._fields import ENTRYPOINT_PATTERN

from ._common import (
    ImportReport,
    UpstreamError,
    check_manifest,
    claim_id,
    csv_header,
    inside,
    lfs_pointer,
    read_config,
    relative,
)

REPOSITORY = "openai/mle-bench"
BY = "runner import mlebench"
LICENSE = "Kaggle competition rules (redistribution may be forbidden)"
COMPETITIONS_DIR = Path("mlebench/competitions")

GRADER_DIRECTIONS: dict[str, tuple[bool, str]] = {
    # grader name (lower case, `_` read as `-`) → (higher_is_better, problem type). Used when the leaderboard
    # cannot tell the direction. Names not listed fall back to higher_is_better: true with a warning.
    "accuracy": (True, "multiclass"),
    "auc": (True, "binary"),
    "auc-roc": (True, "binary"),
    "roc-auc": (True, "binary"),
    "mean-column-wise-roc-auc": (True, "multilabel"),
    "column-wise-roc-auc": (True, "multilabel"),
    "f1": (True, "binary"),
    "f1-score": (True, "binary"),
    "macro-f1": (True, "multiclass"),
    "micro-f1": (True, "multiclass"),
    "quadratic-weighted-kappa": (True, "multiclass"),
    "qwk": (True, "multiclass"),
    "map": (True, "ranking"),
    "map@k": (True, "ranking"),
    "mean-average-precision": (True, "ranking"),
    "ndcg": (True, "ranking"),
    "dice": (True, "segmentation"),
    "dice-coefficient": (True, "segmentation"),
    "iou": (True, "segmentation"),
    "jaccard": (True, "segmentation"),
    "r2": (True, "regression"),
    "spearman": (True, "regression"),
    "pearson": (True, "regression"),
    "bleu": (True, "generation"),
    "log-loss": (False, "binary"),
    "logloss": (False, "binary"),
    "binary-log-loss": (False, "binary"),
    "multi-class-log-loss": (False, "multiclass"),
    "multiclass-log-loss": (False, "multiclass"),
    "rmse": (False, "regression"),
    "rmsle": (False, "regression"),
    "mse": (False, "regression"),
    "mae": (False, "regression"),
    "mean-absolute-error": (False, "regression"),
    "mape": (False, "regression"),
    "smape": (False, "forecasting"),
    "mcrmse": (False, "regression"),
    "wrmsse": (False, "forecasting"),
    "levenshtein": (False, "generation"),
    "word-error-rate": (False, "generation"),
    "wer": (False, "generation"),
}
"""Known MLE-bench grader names: direction and problem type."""

MODALITY_HINTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("image", ("image", ".jpg", ".jpeg", ".png", ".tif", "x-ray", "photograph")),
    ("audio", ("audio", ".wav", ".mp3", "sound", "speech")),
    ("video", ("video", ".mp4")),
    ("text", ("text", "sentence", "tweet", "nlp", "language")),
)
"""Modality guessed from the description: the first kind with a hint word in it; else tabular."""

DEFAULT_SUBMISSION: dict[str, Any] = {"id_column": "id", "columns": ["prediction"]}
_RANK_COLUMNS = ("rank", "position", "place")


def _entrypoint(value: Any, what: str, upstream: str, report: ImportReport) -> tuple[str, str] | None:
    """(entry point valid in a manifest, verbatim upstream value); hyphens in module names become underscores."""
    if not isinstance(value, str) or ":" not in value:
        report.error(upstream, f"{what} is missing or not `module:function` (got {value!r})")
        return None
    module, _, function = value.partition(":")
    fixed = f"{module.replace('-', '_')}:{function}"
    if not re.fullmatch(ENTRYPOINT_PATTERN, fixed):
        report.error(upstream, f"{what} {value!r} is not a Python entry point")
        return None
    return fixed, value


def _scores(rows: list[dict[str, str]]) -> list[float] | None:
    values: list[float] = []
    for row in rows:
        try:
            number = float(row.get("score") or "nan")
        except ValueError:
            return None
        if math.isfinite(number):
            values.append(number)
    return values


def _direction_from_leaderboard(header: list[str], rows: list[dict[str, str]]) -> bool | None:
    """True/False when the rank column orders scores descending/ascending; None when it does not say."""
    rank_column = next((name for name in header if name.lower() in _RANK_COLUMNS), None)
    if rank_column is None:
        return None
    ranked: list[tuple[float, float]] = []
    for row in rows:
        try:
            rank, score = float(row[rank_column]), float(row.get("score") or "nan")
        except (KeyError, ValueError):
            return None
        if math.isfinite(rank) and math.isfinite(score):
            ranked.append((rank, score))
    scores = [score for _, score in sorted(ranked)]
    if len(set(scores)) < 2:
        return None
    if all(a >= b for a, b in itertools.pairwise(scores)):
        return True
    if all(a <= b for a, b in itertools.pairwise(scores)):
        return False
    return None


def _leaderboard(
    path: Path, task_id: str, upstream: str, report: ImportReport
) -> tuple[bytes | None, dict[str, Any] | None, bool | None]:
    """(CSV bytes to keep, LFS pointer, direction from the rank column)."""
    if not path.is_file():
        report.warning(upstream, "no leaderboard.csv: the task has no leaderboard, so no medals")
        return None, None, None
    pointer = lfs_pointer(path)
    if pointer is not None:
        report.warning(
            upstream,
            f"leaderboard.csv is a Git LFS pointer (sha256 {pointer['oid'][:12]}…, {pointer.get('size', '?')} bytes); "
            "run `git lfs pull` in the checkout and import again to get the scores",
        )
        return None, pointer, None
    try:
        data = path.read_bytes()
        text = data.decode("utf-8-sig")
        reader = csv.DictReader(io.StringIO(text))
        rows = list(reader)
        header = list(reader.fieldnames or [])
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        report.warning(upstream, f"leaderboard.csv is not readable CSV ({error}); left out")
        return None, None, None
    if "score" not in header or not rows:
        report.warning(upstream, "leaderboard.csv has no `score` column or no rows; left out")
        return None, None, None
    if _scores(rows) is None:
        report.warning(upstream, "leaderboard.csv has scores that are not numbers; left out")
        return None, None, None
    kept = [row for row in rows if _is_finite(row.get("score"))]
    if not kept:
        report.warning(upstream, "leaderboard.csv has no scored entries; left out")
        return None, None, None
    if len(kept) < len(rows):
        report.warning(upstream, f"leaderboard.csv: {len(rows) - len(kept)} entries without a score dropped")
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(kept)
        data = buffer.getvalue().encode("utf-8")
    return data, None, _direction_from_leaderboard(header, kept)


def _is_finite(value: str | None) -> bool:
    try:
        return math.isfinite(float(value or "nan"))
    except ValueError:
        return False


def _modality(description: str) -> str:
    lowered = description.lower()
    return next((kind for kind, hints in MODALITY_HINTS if any(hint in lowered for hint in hints)), "tabular")


def _submission(
    config: dict[str, Any], checkout: Path, folder: Path, upstream: str, report: ImportReport
) -> dict[str, Any]:
    dataset = config.get("dataset") if isinstance(config.get("dataset"), dict) else {}
    sample = dataset.get("sample_submission") if isinstance(dataset, dict) else None
    candidates: list[Path] = []
    if isinstance(sample, str):
        for root in (checkout, folder):
            found = inside(root, sample)
            if found is not None:
                candidates.append(found)
        candidates.append(folder / Path(sample).name)
    for candidate in candidates:
        if candidate.is_file():
            try:
                header = csv_header(candidate)
            except UpstreamError as error:
                report.warning(upstream, f"sample submission: {error}")
                continue
            if len(header) >= 2 and len(set(header)) == len(header):
                name = candidate.name if re.fullmatch(r"[A-Za-z0-9_.-]+", candidate.name) else "submission.csv"
                return {"file": "submission.csv" if name.startswith("sample_") else name,
                        "id_column": header[0], "columns": header[1:]}  # fmt: skip
            report.warning(upstream, f"sample submission header {header!r} needs an id and a prediction column")
    report.warning(
        upstream,
        f"sample submission {sample!r} is not in the checkout (MLE-bench makes it when preparing the data); "
        f"submission set to id_column {DEFAULT_SUBMISSION['id_column']!r}, columns {DEFAULT_SUBMISSION['columns']}",
    )
    return dict(DEFAULT_SUBMISSION)


def _one(folder: Path, checkout: Path, report: ImportReport, seen: dict[str, str]) -> None:
    upstream = relative(folder, checkout)
    config_path = folder / "config.yaml"
    if not config_path.is_file():
        report.error(upstream, "no config.yaml")
        return
    config = read_config(config_path, upstream, report, ("id", "name", "grader", "preparer"))
    if config is None:
        return
    upstream_id = str(config["id"])
    task_id = claim_id(upstream_id, upstream, report, seen)
    if task_id is None:
        return
    if task_id != upstream_id:
        report.warning(upstream, f"id {upstream_id!r} normalised to {task_id!r}")
    if upstream_id != folder.name:
        report.warning(upstream, f"id {upstream_id!r} differs from the folder name {folder.name!r}")
    grader = config["grader"] if isinstance(config["grader"], dict) else {}
    grade = _entrypoint(grader.get("grade_fn"), "grader.grade_fn", upstream, report)
    prepare = _entrypoint(config.get("preparer"), "preparer", upstream, report)
    if grade is None or prepare is None:
        return
    described = config.get("description")
    description_path = inside(checkout, described) if isinstance(described, str) else None
    if description_path is None or not description_path.is_file():
        if isinstance(described, str):
            report.error(upstream, f"description {described!r} does not exist in the checkout")
            return
        description_path = folder / "description.md"
        if not description_path.is_file():
            report.error(upstream, "no description (config.description unset and no description.md)")
            return
    description = description_path.read_bytes()
    leaderboard, pointer, direction = _leaderboard(folder / "leaderboard.csv", task_id, upstream, report)
    grader_name = str(grader.get("name") or "").lower().replace("_", "-")
    known = GRADER_DIRECTIONS.get(grader_name)
    if direction is None:
        if known is not None:
            direction = known[0]
        else:
            direction = True
            report.warning(
                upstream, f"direction of grader {grader_name or '(unnamed)'!r} unknown; higher_is_better: true"
            )
    awards = config.get("awards_medals")
    if not isinstance(awards, bool):
        report.warning(upstream, "awards_medals missing or not true/false; true assumed")
        awards = True
    metric: dict[str, Any] = {"entrypoint": grade[0], "higher_is_better": direction}
    if grade[0] != grade[1]:
        metric["x-upstream-entrypoint"] = grade[1]
    prepare_entry: dict[str, Any] = {"entrypoint": prepare[0]}
    if prepare[0] != prepare[1]:
        prepare_entry["x-upstream-entrypoint"] = prepare[1]
    files = {"description.md": description}
    manifest: dict[str, Any] = {
        "schema_version": 1,
        "id": task_id,
        "kind": "competition",
        "title": " ".join(str(config["name"]).split())[:200],
        "description": f"{task_id}/description.md",
        "tags": {
            "modality": _modality(description.decode("utf-8", errors="replace")),
            "problem": known[1] if known is not None else "other",
            "domain": "kaggle",
            "keywords": ["mle-bench", *([str(config["competition_type"])] if config.get("competition_type") else [])],
        },
        "license": LICENSE,
        "sources": [{"name": "raw", "kaggle": task_id}],
        "prepare": prepare_entry,
        "submission": _submission(config, checkout, folder, upstream, report),
        "metric": metric,
        "awards_medals": awards,
    }
    if leaderboard is not None:
        files["leaderboard.csv"] = leaderboard
        manifest["leaderboard"] = {"path": f"{task_id}/leaderboard.csv", "provenance": "kaggle"}
    manifest["resources"] = {"cpus": 2, "memory_gb": 4, "gpu": "optional", "time_limit": "24h"}
    manifest["provenance"] = {"origin": "imported", "by": BY, "upstream": f"{REPOSITORY}:{upstream}"}
    if pointer is not None:
        manifest["x-leaderboard-lfs"] = pointer
    manifest["x-data-terms"] = (
        "Data are downloaded from Kaggle under the competition's rules; accept them on kaggle.com first."
    )
    invalid = check_manifest(manifest)
    if invalid is not None:
        report.error(upstream, f"the manifest would be invalid: {invalid}")
        return
    seen[task_id] = upstream
    report.add(task_id, manifest, files, upstream)


def import_mlebench(checkout: Path, out: Path) -> ImportReport:
    """Import every competition of an openai/mle-bench checkout into `out`; broken ones are reported, not fatal.

    Raises FileNotFoundError when `checkout` has no `mlebench/competitions/` folder.
    """
    competitions = checkout / COMPETITIONS_DIR
    if not competitions.is_dir():
        raise FileNotFoundError(f"{checkout} is not an openai/mle-bench checkout: no {COMPETITIONS_DIR}/")
    report = ImportReport("mlebench", out)
    seen: dict[str, str] = {}
    for folder in sorted(
        item for item in competitions.iterdir() if item.is_dir() and not item.name.startswith((".", "_"))
    ):
        _one(folder, checkout, report, seen)
    header = (
        f"Imported from {REPOSITORY} by `{BY}`; re-run the importer instead of editing.\n"
        "Upstream code is referenced by entry point, not copied."
    )
    report.write(header)
    return report
