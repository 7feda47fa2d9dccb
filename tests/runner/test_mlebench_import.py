"""`runner import mlebench` on the real checkout (../shared/upstream/mle-bench.tar.gz).

82 manifests, no static error, every entry point importable with the checkout on the path, and every direction of
the grader table confirmed by the graders themselves wherever synthetic answers can be built for them.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from ruamel.yaml import YAML

from runner.importers import MLEBENCH_COMPETITIONS, ClassList, ImportReport, import_mlebench
from spec import CompetitionTask, load_task
from tests.conftest import upstream_checkout
from validators import validate_paths

COMPETITIONS = "mlebench/competitions"


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, ImportReport]:
    root = tmp_path_factory.mktemp("mlebench")
    checkout = upstream_checkout("mle-bench", root / "upstream")
    out = root / "tasks"
    return checkout, out, import_mlebench(checkout, out)


def _configs(checkout: Path) -> dict[str, dict[str, Any]]:
    configs = {}
    for path in sorted((checkout / COMPETITIONS).glob("*/config.yaml")):
        config = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))
        configs[config["id"]] = config
    return configs


def _tasks(out: Path) -> dict[str, CompetitionTask]:
    tasks = {}
    for path in sorted(out.glob("*.yaml")):
        manifest = load_task(path).manifest
        assert isinstance(manifest, CompetitionTask)
        tasks[manifest.sources[0].model_dump()["kaggle"]] = manifest
    return tasks


def test_all_82_competitions_import_without_static_errors(imported: tuple[Path, Path, ImportReport]) -> None:
    _, out, report = imported
    assert report.errors == [] and report.skipped == []
    assert len(report.tasks) == 82 and len(list(out.glob("*.yaml"))) == 82
    assert "3d-object-detection-for-autonomous-vehicles" in {task.id for task in report.tasks}
    validation = validate_paths([out])
    errors = [problem for task in validation.tasks for problem in task.problems if problem.severity == "error"]
    assert errors == []
    codes = {problem.code for task in validation.tasks for problem in task.problems}
    assert codes <= {"leaderboard.missing"}  # the snapshot's leaderboards are Git LFS pointers


def test_the_grader_table_covers_exactly_the_checkout(imported: tuple[Path, Path, ImportReport]) -> None:
    checkout, _, _ = imported
    assert set(MLEBENCH_COMPETITIONS) == set(_configs(checkout))


def test_manifests_carry_what_mlebench_defines(imported: tuple[Path, Path, ImportReport]) -> None:
    checkout, out, _ = imported
    configs, tasks = _configs(checkout), _tasks(out)
    assert set(tasks) == set(configs)  # the Kaggle slug is the competition id, spelt as Kaggle spells it
    assert tasks["AI4Code"].id == "ai4-code"
    for cid, task in tasks.items():
        config, known = configs[cid], MLEBENCH_COMPETITIONS[cid]
        assert task.metric.model_dump()["entrypoint"] == config["grader"]["grade_fn"]
        assert task.prepare.model_dump()["entrypoint"] == config["preparer"]
        assert task.metric.model_dump()["import_path"] == str(checkout.resolve())
        assert task.answers == Path(config["dataset"]["answers"]).name
        assert task.metric.higher_is_better is known.higher_is_better
        assert task.awards_medals is config["awards_medals"]
        assert task.submission.id_column == known.id_column and task.submission.columns
        folder = out / task.id
        for name in ("checksums.yaml", "description_obfuscated.md"):
            assert (folder / name).read_bytes() == (checkout / COMPETITIONS / cid / name).read_bytes()
    assert sum(not task.metric.higher_is_better for task in tasks.values()) == 22
    assert tasks["spaceship-titanic"].tags.modality == "tabular"  # a `.jpg` link in its description is not data
    assert tasks["dog-breed-identification"].submission.columns[:2] == ["affenpinscher", "afghan_hound"]
    assert len(tasks["dog-breed-identification"].submission.columns) == 120
    assert tasks["new-york-city-taxi-fare-prediction"].metric.higher_is_better is False
    splits = {
        name: {cid for cid, task in tasks.items() if f"split:{name}" in task.tags.keywords}
        for name in ("lite", "low", "medium", "high")
    }
    for name in ("low", "medium", "high"):
        listed = (checkout / "experiments" / "splits" / f"{name}.txt").read_text().split()
        assert splits[name] == set(listed), name
    assert splits["lite"] == splits["low"] and len(splits["lite"]) == 22


def test_every_declared_column_is_named_by_the_competitions_code(imported: tuple[Path, Path, ImportReport]) -> None:
    """The submission columns of the table are quoted in the competition's prepare.py or grader (or, for class
    lists, read from the module that defines them): none is invented."""
    checkout, _, _ = imported
    unnamed = []
    for cid, known in MLEBENCH_COMPETITIONS.items():
        source = "".join(path.read_text(encoding="utf-8") for path in (checkout / COMPETITIONS / cid).glob("*.py"))
        columns = [known.id_column, *([] if isinstance(known.columns, ClassList) else known.columns)]
        unnamed += [
            f"{cid}: {column}" for column in columns if f'"{column}"' not in source and f"'{column}'" not in source
        ]
    assert unnamed == []


def test_every_entry_point_imports_with_the_checkout_on_the_path(imported: tuple[Path, Path, ImportReport]) -> None:
    _, out, _ = imported
    # A child process: importing MLE-bench's modules must not leak into the other tests' interpreter.
    program = (
        "import json, sys\nfrom pathlib import Path\nfrom spec import import_entrypoint, load_task\nfailed = []\n"
        "count = 0\nfor path in sorted(Path(sys.argv[1]).glob('*.yaml')):\n    task = load_task(path).manifest\n"
        "    for entry in (task.metric, task.prepare):\n        count += 1\n        try:\n"
        "            import_entrypoint(entry.entrypoint, entry.import_path, path)\n"
        "        except Exception as error:\n            failed.append(f'{entry.entrypoint}: {error!r}')\n"
        "print(json.dumps({'count': count, 'failed': failed}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program, str(out)], capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"count": 164, "failed": []}


# Columns some graders read from the answers beyond the submission's, with values that keep them valid.
_EXTRA_ANSWERS: dict[str, dict[str, Callable[[int], Any]]] = {
    "ventilator-pressure-prediction": {"u_out": lambda n: np.zeros(n, dtype=int)},
    "stanford-covid-vaccine": {"keep": lambda n: np.ones(n, dtype=bool)},
    "osic-pulmonary-fibrosis-progression": {"Patient": lambda n: [f"p{i % 4}" for i in range(n)]},
    "champs-scalar-coupling": {"type": lambda n: ["1JHC" if i % 2 else "2JHH" for i in range(n)]},
}
_ROWS = 40


def _candidates(columns: list[str]) -> Iterator[dict[str, Any]]:
    """Answer columns of several kinds; the first a grader accepts (and scores apart from a perturbed copy) is used."""
    rows = np.arange(_ROWS)
    rng = np.random.default_rng(0)
    yield {column: (rows + offset) % 2 for offset, column in enumerate(columns)}
    yield {column: np.round(rng.uniform(1, 100, _ROWS), 3) for column in columns}
    yield {column: (rows * (offset + 1)) % 5 for offset, column in enumerate(columns)}
    onehot = np.zeros((_ROWS, len(columns)))
    onehot[rows, rows % len(columns)] = 1
    yield {column: onehot[:, offset] for offset, column in enumerate(columns)}
    yield {column: [" ".join(f"w{(row + word) % 7}" for word in range(3)) for row in rows] for column in columns}
    yield {column: [" ".join(f"c{cell}" for cell in range(5))] * _ROWS for column in columns}


def _perturbed(answers: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Predictions moved to other rows, or (when that changes nothing) each row's tokens reversed."""
    result = answers.copy()
    order = np.roll(np.arange(_ROWS), _ROWS // 3)
    for column in columns:
        moved = answers[column].to_numpy()[order]
        if (moved == answers[column].to_numpy()).all() and answers[column].dtype == object:
            moved = np.array([" ".join(reversed(str(value).split())) for value in answers[column]], dtype=object)
        result[column] = moved
    return result


def _direction_evidence(
    grade: Callable[..., Any], id_column: str, columns: list[str], extra: dict[str, Any]
) -> bool | None:
    """True/False when the grader scores the answers above/below a perturbed copy of them; None when no synthetic
    answers suit it."""
    for values in _candidates(columns):
        answers = pd.DataFrame({id_column: [f"{row:04d}" for row in range(_ROWS)], **values})
        for name, make in extra.items():
            answers[name] = make(_ROWS)
        submission = answers[[id_column, *columns]]
        try:
            best = float(grade(submission.copy(), answers.copy()))
            worse = float(grade(_perturbed(submission, columns), answers.copy()))
        except Exception:  # an unsuitable synthetic format: try the next kind
            continue
        if math.isfinite(best) and math.isfinite(worse) and best != worse:
            return best > worse
    return None


@pytest.fixture
def mlebench_importable(imported: tuple[Path, Path, ImportReport], monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    checkout, _, _ = imported
    monkeypatch.syspath_prepend(str(checkout))
    yield checkout
    for name in [name for name in sys.modules if name == "mlebench" or name.startswith("mlebench.")]:
        del sys.modules[name]


def test_every_direction_agrees_with_its_grader(
    mlebench_importable: Path, imported: tuple[Path, Path, ImportReport]
) -> None:
    from spec import import_entrypoint

    checkout = mlebench_importable
    _, out, _ = imported
    checked, disagree = 0, []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for cid, task in _tasks(out).items():
            grade = import_entrypoint(task.metric.model_dump()["entrypoint"], None, out / f"{task.id}.yaml")
            known = MLEBENCH_COMPETITIONS[cid]
            assert isinstance(known.columns, ClassList) or list(known.columns) == task.submission.columns
            evidence = _direction_evidence(
                grade, task.submission.id_column, task.submission.columns, _EXTRA_ANSWERS.get(cid, {})
            )
            if evidence is None:
                continue
            checked += 1
            if evidence is not task.metric.higher_is_better:
                disagree.append(cid)
    assert disagree == []
    assert checked >= 68, checked  # the rest need answer formats too specific to synthesise (RLE masks, boxes, …)
    assert checkout.is_dir()
