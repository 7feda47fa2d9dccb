"""Import MLE-bench competitions (a checkout of openai/mle-bench) as `kind: competition` manifests.

Only data is taken: each competition's config, descriptions, checksums and leaderboard. Upstream code (preparers,
graders) is referenced by entry point, never copied: the manifest names the entry point verbatim (MLE-bench's
module paths hold hyphens, and one starts with a digit; `importlib` imports them as MLE-bench itself does) and,
unless the installed `mlebench` package is asked for, the checkout as the entry points' `import_path`.
Direction, problem type and submission columns come from `COMPETITIONS`, a table written by reading every
grader; the source is `kaggle: <competition id>`, spelt as Kaggle spells it.
"""

from __future__ import annotations

import ast
import csv
import io
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
from ._mlebench_table import COMPETITIONS, ClassList, Competition

REPOSITORY = "openai/mle-bench"
BY = "runner import mlebench"
LICENSE = "Kaggle competition rules (redistribution may be forbidden)"
COMPETITIONS_DIR = Path("mlebench/competitions")
SPLITS_DIR = Path("experiments/splits")
LITE_SPLIT = "low"
"""MLE-bench's README calls its low-complexity split the Lite set; tasks in it also get `split:lite`."""
SPLIT_KEYWORD = "split:"
"""Keywords `split:<name>`: the MLE-bench splits a competition is in, matched by `--tag split=<name>`."""
BENCHMARK_KEYWORD = "mle-bench"

GRADER_DIRECTIONS: dict[str, tuple[bool, str]] = {
    # For a competition missing from COMPETITIONS (a newer checkout): grader name (lower case, `_` read as `-`)
    # → (higher_is_better, problem type). Used only when no leaderboard orders the scores; reported as a guess.
    "accuracy": (True, "multiclass"),
    "auc-roc": (True, "binary"),
    "roc-auc": (True, "binary"),
    "mean-column-wise-roc-auc": (True, "multilabel"),
    "f1-score": (True, "binary"),
    "macro-f1-score": (True, "multiclass"),
    "micro-f1-score": (True, "multiclass"),
    "quadratic-weighted-kappa": (True, "multiclass"),
    "mean-average-precision": (True, "detection"),
    "dice-coefficient": (True, "segmentation"),
    "pearson-correlation-coefficient": (True, "regression"),
    "log-loss": (False, "binary"),
    "multi-class-log-loss": (False, "multiclass"),
    "rmse": (False, "regression"),
    "root-mean-squared-error": (False, "regression"),
    "rmsle": (False, "regression"),
    "mean-absolute-error": (False, "regression"),
    "levenshtein-distance": (False, "generation"),
}
"""Grader names of MLE-bench configs whose direction the name alone settles."""

_IMAGE = (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".dcm", ".dicom", ".bmp")
_AUDIO = (".wav", ".flac", ".mp3", ".ogg", ".aif", ".aiff")
_VIDEO = (".mp4", ".avi", ".mov")
MODALITY_BY_EXTENSION: tuple[tuple[str, tuple[str, ...]], ...] = (("video", _VIDEO), ("audio", _AUDIO),
                                                                   ("image", _IMAGE))  # fmt: skip
"""Modality from the media files a competition's `prepare.py` handles: the first kind whose extension it names."""
_EXTENSION = re.compile(r"\.([A-Za-z0-9]{2,5})\b")

DEFAULT_SUBMISSION: dict[str, Any] = {"id_column": "id", "columns": ["prediction"]}


def _entrypoint(value: Any, what: str, upstream: str, report: ImportReport) -> str | None:
    """The upstream entry point, verbatim, when it is `module:function`; else None after reporting it."""
    if not isinstance(value, str) or not re.fullmatch(ENTRYPOINT_PATTERN, value):
        report.error(upstream, f"{what} is missing or not a `module:function` entry point (got {value!r})")
        return None
    return value


def served_modality(prepare_source: str) -> str | None:
    """The modality the media files named in `prepare.py` show (video, audio, image), or None when none is named."""
    extensions = {f".{match.lower()}" for match in _EXTENSION.findall(prepare_source)}
    return next((kind for kind, known in MODALITY_BY_EXTENSION if extensions & set(known)), None)


def leaderboard_lower_is_better(scores: list[float | None]) -> bool | None:
    """MLE-bench's reading of a leaderboard's direction: lower is better when the first row beats the last.

    `Grader.is_lower_better` compares the first and the last row as the file lists them; rows without a score make
    that comparison false. None when there are fewer than two rows or the first and last scores tie.
    """
    if len(scores) < 2:
        return None
    first, last = scores[0], scores[-1]
    if first is None or last is None:
        return False
    return None if first == last else first < last


def _score(value: str | None) -> float | None:
    """A leaderboard cell: a finite number, None when empty (an unscored entry); raises ValueError otherwise."""
    text = (value or "").strip()
    if not text:
        return None
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(text)
    return number


def _leaderboard(
    path: Path, upstream: str, report: ImportReport
) -> tuple[bytes | None, dict[str, Any] | None, bool | None]:
    """(the CSV's bytes, kept verbatim; the LFS pointer when it is one; MLE-bench's direction reading)."""
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
        reader = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
        rows = list(reader)
        header = list(reader.fieldnames or [])
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        report.warning(upstream, f"leaderboard.csv is not readable CSV ({error}); left out")
        return None, None, None
    if "score" not in header or not rows:
        report.warning(upstream, "leaderboard.csv has no `score` column or no rows; left out")
        return None, None, None
    try:
        scores = [_score(row.get("score")) for row in rows]
    except ValueError as error:
        report.warning(upstream, f"leaderboard.csv has a score that is not a number ({error}); left out")
        return None, None, None
    if all(score is None for score in scores):
        report.warning(upstream, "leaderboard.csv has no scored entries; left out")
        return None, None, None
    unscored = sum(score is None for score in scores)
    if unscored:
        report.warning(
            upstream,
            f"leaderboard.csv: {unscored} of {len(rows)} entries have no score; kept, since MLE-bench counts every "
            "row as a team when it sets the medal thresholds",
        )
    lower = leaderboard_lower_is_better(scores)
    return data, None, None if lower is None else not lower


_STRING_METHODS = frozenset({"strip", "split", "splitlines"})


def _evaluate(node: ast.expr, names: dict[str, Any]) -> Any:
    """A literal, a name bound to one, or `.strip()` / `.split(…)` of those; ValueError for anything else."""
    if isinstance(node, ast.Name):
        if node.id in names:
            return names[node.id]
        raise ValueError(node.id)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _STRING_METHODS:
        target = _evaluate(node.func.value, names)
        arguments = [ast.literal_eval(argument) for argument in node.args]
        if not isinstance(target, str) or node.keywords:
            raise ValueError(node.func.attr)
        return getattr(target, node.func.attr)(*arguments)
    return ast.literal_eval(node)


def _class_list(folder: Path, reference: ClassList) -> list[str]:
    """The list of strings `reference.name` is assigned in `reference.module`, read without running the module.

    Literals are evaluated, and so are the string methods a class list is commonly built with: a block of names,
    one a line, then `.strip().split(...)`.
    """
    path = folder / reference.module
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, UnicodeDecodeError, SyntaxError) as error:
        raise UpstreamError(f"cannot read {reference.module}: {error}") from None
    names: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                names[node.targets[0].id] = _evaluate(node.value, names)
            except (ValueError, TypeError, SyntaxError):
                continue
    value = names.get(reference.name)
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return value
    raise UpstreamError(f"{reference.module} assigns no list of column names to {reference.name}")


def _sample_header(
    config: dict[str, Any], checkout: Path, folder: Path, report: ImportReport, upstream: str
) -> list[str] | None:
    """The sample submission's header when the file is at hand (it rarely is: MLE-bench writes it when preparing)."""
    dataset = config.get("dataset") if isinstance(config.get("dataset"), dict) else {}
    sample = dataset.get("sample_submission") if isinstance(dataset, dict) else None
    if not isinstance(sample, str):
        return None
    candidates = [found for root in (checkout, folder) if (found := inside(root, sample)) is not None]
    for candidate in [*candidates, folder / Path(sample).name]:
        if candidate.is_file():
            try:
                header = csv_header(candidate)
            except UpstreamError as error:
                report.warning(upstream, f"sample submission: {error}")
                continue
            if len(header) >= 2 and len(set(header)) == len(header):
                return header
    return None


def _submission(
    known: Competition | None, config: dict[str, Any], checkout: Path, folder: Path, upstream: str, report: ImportReport
) -> dict[str, Any] | None:
    header = _sample_header(config, checkout, folder, report, upstream)
    if known is not None:
        try:
            columns = (
                _class_list(folder, known.columns) if isinstance(known.columns, ClassList) else list(known.columns)
            )
        except UpstreamError as error:
            report.error(upstream, f"submission columns: {error}")
            return None
        if header is not None and set(header) != {known.id_column, *columns}:
            report.warning(upstream, f"sample submission header {header} differs from the grader's columns {columns}")
        return {"file": "submission.csv", "id_column": known.id_column, "columns": columns}
    if header is not None:
        return {"file": "submission.csv", "id_column": header[0], "columns": header[1:]}
    report.warning(
        upstream,
        "competition unknown to the importer's grader table and no sample submission in the checkout: submission "
        f"set to id_column {DEFAULT_SUBMISSION['id_column']!r}, columns {DEFAULT_SUBMISSION['columns']}",
    )
    return dict(DEFAULT_SUBMISSION)


def _answers(config: dict[str, Any], upstream: str, report: ImportReport) -> str:
    """The answers file's name in the private folder (`dataset.answers`), `answers.csv` when the config lacks it."""
    dataset = config.get("dataset") if isinstance(config.get("dataset"), dict) else {}
    answers = dataset.get("answers") if isinstance(dataset, dict) else None
    name = Path(answers).name if isinstance(answers, str) else ""
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        report.warning(upstream, f"dataset.answers {answers!r} names no file; answers.csv assumed")
        return "answers.csv"
    return name


def read_splits(checkout: Path) -> dict[str, list[str]]:
    """Competition id → names of the `experiments/splits/*.txt` lists it is in (plus `lite` for the low split)."""
    splits: dict[str, list[str]] = {}
    folder = checkout / SPLITS_DIR
    for path in sorted(folder.glob("*.txt")) if folder.is_dir() else []:
        names = [path.stem, *(["lite"] if path.stem == LITE_SPLIT else [])]
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if competition := line.strip():
                splits.setdefault(competition, []).extend(names)
    return splits


def _direction(
    known: Competition | None, grader_name: str, leaderboard: bool | None, upstream: str, report: ImportReport
) -> tuple[bool, str] | None:
    if known is not None:
        if leaderboard is not None and leaderboard != known.higher_is_better:
            report.warning(
                upstream,
                f"leaderboard.csv orders scores as if {'higher' if leaderboard else 'lower'} were better, unlike "
                f"the grader ({known.metric}); the grader's direction is kept",
            )
        return known.higher_is_better, known.problem
    guess = GRADER_DIRECTIONS.get(grader_name)
    if leaderboard is not None:
        return leaderboard, guess[1] if guess is not None else "other"
    if guess is not None:
        report.warning(
            upstream, f"competition not in the grader table: direction taken from the grader's name {grader_name!r}"
        )
        return guess
    report.error(
        upstream,
        f"direction of grader {grader_name or '(unnamed)'!r} unknown (not in the grader table, no readable "
        "leaderboard): add the competition to runner/importers/_mlebench_table.py",
    )
    return None


def _one(
    folder: Path,
    checkout: Path,
    report: ImportReport,
    seen: dict[str, str],
    splits: dict[str, list[str]],
    import_path: str | None,
    obfuscated: bool,
) -> None:
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
    files = {"description.md": description_path.read_bytes()}
    hidden = folder / "description_obfuscated.md"
    if hidden.is_file():
        files["description_obfuscated.md"] = hidden.read_bytes()
    elif obfuscated:
        report.warning(upstream, "no description_obfuscated.md; the plain description is used")
    checksums = folder / "checksums.yaml"
    if checksums.is_file():
        files["checksums.yaml"] = checksums.read_bytes()
    known = COMPETITIONS.get(upstream_id)
    leaderboard, pointer, leaderboard_direction = _leaderboard(folder / "leaderboard.csv", upstream, report)
    grader_name = str(grader.get("name") or "").lower().replace("_", "-")
    direction = _direction(known, grader_name, leaderboard_direction, upstream, report)
    submission = _submission(known, config, checkout, folder, upstream, report)
    if direction is None or submission is None:
        return
    higher_is_better, problem = direction
    awards = config.get("awards_medals")
    if not isinstance(awards, bool):
        report.warning(upstream, "awards_medals missing or not true/false; true assumed")
        awards = True
    try:
        prepare_source = (folder / "prepare.py").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        prepare_source = ""
    modality = (known.modality if known is not None else None) or served_modality(prepare_source) or "tabular"
    metric: dict[str, Any] = {"entrypoint": grade, "higher_is_better": higher_is_better}
    prepare_entry: dict[str, Any] = {"entrypoint": prepare}
    if import_path is not None:
        metric["import_path"] = prepare_entry["import_path"] = import_path
    keywords = [BENCHMARK_KEYWORD]
    if config.get("competition_type"):
        keywords.append(str(config["competition_type"]))
    keywords += [f"{SPLIT_KEYWORD}{name}" for name in sorted(set(splits.get(upstream_id, [])))]
    description = (
        "description_obfuscated.md" if obfuscated and "description_obfuscated.md" in files else "description.md"
    )
    manifest: dict[str, Any] = {
        "schema_version": 1,
        "id": task_id,
        "kind": "competition",
        "title": " ".join(str(config["name"]).split())[:200],
        "description": f"{task_id}/{description}",
        "tags": {"modality": modality, "problem": problem, "domain": "kaggle", "keywords": keywords},
        "license": LICENSE,
        "sources": [{"name": "raw", "kaggle": upstream_id}],
        "prepare": prepare_entry,
        "submission": submission,
        "metric": metric,
        "awards_medals": awards,
        "answers": _answers(config, upstream, report),
    }
    if leaderboard is not None:
        files["leaderboard.csv"] = leaderboard
        manifest["leaderboard"] = {"path": f"{task_id}/leaderboard.csv", "provenance": "kaggle"}
    manifest["resources"] = {"cpus": 2, "memory_gb": 4, "gpu": "optional", "time_limit": "24h"}
    manifest["provenance"] = {"origin": "imported", "by": BY, "upstream": f"{REPOSITORY}:{upstream}"}
    manifest["x-mlebench"] = {
        "code": "checkout" if import_path is not None else "installed mlebench package",
        "grader": grader.get("name"),
        **({"metric": known.metric} if known is not None else {}),
    }
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


def import_mlebench(checkout: Path, out: Path, *, installed: bool = False, obfuscated: bool = False) -> ImportReport:
    """Import every competition of an openai/mle-bench checkout into `out`; broken ones are reported, not fatal.

    Entry points are imported from `checkout` (recorded as their `import_path`), or with `installed` from the
    `mlebench` package installed where the task runs. `obfuscated` makes the obfuscated description (MLE-bench's
    variant that hides the competition's identity) the one agents read; both are kept in the task folder.
    Raises FileNotFoundError when `checkout` has no `mlebench/competitions/` folder.
    """
    competitions = checkout / COMPETITIONS_DIR
    if not competitions.is_dir():
        raise FileNotFoundError(f"{checkout} is not an openai/mle-bench checkout: no {COMPETITIONS_DIR}/")
    report = ImportReport("mlebench", out)
    seen: dict[str, str] = {}
    splits = read_splits(checkout)
    import_path = None if installed else str(checkout.resolve())
    for folder in sorted(
        item for item in competitions.iterdir() if item.is_dir() and not item.name.startswith((".", "_"))
    ):
        _one(folder, checkout, report, seen, splits, import_path, obfuscated)
    header = (
        f"Imported from {REPOSITORY} by `{BY}`; re-run the importer instead of editing.\n"
        "Upstream code is referenced by entry point, not copied."
    )
    report.write(header)
    return report


SUITE_PREFIX = "mlebench"


def suite_tags(suite: str) -> dict[str, str] | None:
    """The tag filter (`runner list --tag` form) a suite name stands for, or None when it names no suite.

    `mlebench` is every imported MLE-bench competition; `mlebench-<split>` those in one of MLE-bench's splits
    (`experiments/splits/<split>.txt`, and `lite` for the low-complexity split).
    """
    if suite == SUITE_PREFIX:
        return {"keywords": BENCHMARK_KEYWORD}
    prefix = f"{SUITE_PREFIX}-"
    if suite.startswith(prefix) and re.fullmatch(r"[A-Za-z0-9_.-]+", suite.removeprefix(prefix)):
        return {"keywords": BENCHMARK_KEYWORD, SPLIT_KEYWORD.rstrip(":"): suite.removeprefix(prefix)}
    return None
