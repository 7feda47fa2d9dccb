"""Time-series classification from the UCR/UEA problems packaged in aeon: the `aeon:` provider and the series
generator, on the real packaged files (GunPoint: 50 training and 150 test series of length 150, two classes)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from generators import LOG_FILE, design_series, write_task
from generators._series import MIN_PAIR_TEST_SERIES, close_pairs
from runner.datasets import list_datasets, load_dataset
from spec import NamedMetric, load_task
from validators import validate_paths

REPO = Path(__file__).resolve().parents[2]


def _runner(*arguments: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", "from runner.cli import main; main()", *arguments]
    return subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=600, check=False)


def test_the_provider_reads_a_packaged_problem_with_its_series_classes_and_split() -> None:
    names = list_datasets("aeon")
    assert "aeon:GunPoint" in names and "aeon:ArrowHead" in names
    assert "aeon:Covid3Month" not in names  # a regression problem (`@targetLabel`), not classification
    table = load_dataset("aeon:GunPoint")
    assert table.shape == (200, 1 + 150 + 1)
    assert list(table.columns[:2]) == ["split", "t0"] and table.columns[-1] == "label"
    assert table["split"].value_counts().to_dict() == {"test": 150, "train": 50}
    assert sorted(table["label"].astype(str).unique()) == ["1", "2"]
    assert not table.filter(like="t").isna().any().any()  # equal-length series: no padding
    # Several channels, series of different lengths: channel-major columns, shorter series padded with NaN.
    vowels = load_dataset("aeon:JapaneseVowels")
    assert len(vowels) == 640 and vowels["label"].nunique() == 9 and "d11_t0" in vowels.columns
    assert vowels.filter(like="d0_t").notna().sum(axis=1).nunique() > 1
    # Labels written `0.0` become `0`, the class a CSV reader of the answers sees.
    assert sorted(load_dataset("aeon:Covid3Month_disc")["label"].unique()) == ["0", "1", "2"]


def test_generate_writes_a_time_series_task_that_validates(tmp_path: Path) -> None:
    out, cache = tmp_path / "tasks", tmp_path / "cache"
    made = _runner("generate", "aeon:GunPoint", "--no-llm", "--out", str(out), "--cache-dir", str(cache))
    assert made.returncode == 0, made.stdout + made.stderr
    assert "accepted 1" in made.stdout
    manifest = load_task(out / "ucr-gunpoint.yaml").manifest
    assert manifest is not None
    assert manifest.tags.modality == "time-series" and manifest.tags.problem == "binary"
    assert isinstance(manifest.metric, NamedMetric) and manifest.metric.name == "log_loss"
    assert manifest.submission is not None and manifest.submission.columns == ["1", "2"]
    reference = manifest.baselines["reference"].score
    assert reference is not None and 0.0 < reference < 0.6  # the prior's log loss is ln 2 = 0.69
    log = json.loads((out / LOG_FILE).read_text(encoding="utf-8"))
    assert log["datasets"]["aeon:GunPoint"]["accepted"] == ["ucr-gunpoint"]
    assert "accepted tasks: 1" in (out / "README.md").read_text(encoding="utf-8")
    checked = _runner("validate", str(out), "--execute", "--cache-dir", str(cache))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # A second run finds the task done and leaves it.
    again = _runner("generate", "aeon:GunPoint", "--no-llm", "--out", str(out), "--cache-dir", str(cache))
    assert again.returncode == 0 and "skipped 1" in again.stdout, again.stdout + again.stderr


def test_a_problem_of_many_classes_gives_its_closest_pairs_as_binary_tasks() -> None:
    table = load_dataset("aeon:OSULeaf")
    pairs = close_pairs(table, 3)
    assert len(pairs) == 3 and len({label for pair in pairs for label in pair}) == 6  # no class twice
    test = table.loc[table["split"] == "test", "label"]
    assert all(test.isin(pair).sum() >= MIN_PAIR_TEST_SERIES for pair in pairs)
    task, prepare = design_series("aeon:OSULeaf", pairs[0])
    assert task.id == f"ucr-osuleaf-{pairs[0][0]}-vs-{pairs[0][1]}"
    assert task.manifest["tags"]["problem"] == "binary" and task.manifest["submission"]["columns"] == list(pairs[0])
    assert repr(list(pairs[0])) in prepare  # prepare.py keeps the pair's series only


LEAKY_PREPARE = """from pathlib import Path

import pandas as pd


def prepare(raw: Path, public: Path, private: Path) -> None:
    table = pd.read_csv(Path(raw) / "series.csv", dtype={"label": str})
    test = table[table["split"] == "test"].drop(columns=["split"])
    train = table.drop(columns=["split"])  # every series, the test ones too, under ids of their own
    train.insert(0, "id", range(1, len(train) + 1))
    test.insert(0, "id", range(len(train) + 1, len(train) + 1 + len(test)))
    train.to_csv(Path(public) / "train.csv", index=False)
    test.drop(columns=["label"]).to_csv(Path(public) / "test.csv", index=False)
    test[["id", "label"]].to_csv(Path(private) / "answers.csv", index=False)
    test[["id"]].assign(**{"1": 0.5, "2": 0.5}).to_csv(Path(public) / "sample_submission.csv", index=False)
"""


def test_test_series_also_in_train_are_caught_as_leakage(tmp_path: Path) -> None:
    task, _ = design_series("aeon:GunPoint")
    path = write_task(task, tmp_path)
    (tmp_path / task.id / "prepare.py").write_text(LEAKY_PREPARE, encoding="utf-8")
    report = validate_paths([path], layers=("static", "execute"), cache_root=tmp_path / "cache")
    codes = {problem.code for entry in report.tasks for problem in entry.problems if problem.severity == "error"}
    assert not report.ok
    assert "leakage.answers-reproducible" in codes, codes


def test_time_series_problems_need_the_no_llm_generator(tmp_path: Path) -> None:
    refused = _runner("generate", "aeon:GunPoint", "--out", str(tmp_path / "tasks"))
    assert refused.returncode == 2
    assert "time-series problems are generated from with --no-llm only" in refused.stdout + refused.stderr
    assert not (tmp_path / "tasks").exists()
