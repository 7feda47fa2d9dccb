"""MLE-bench competitions end to end: synthetic files in Kaggle's layout → their real prepare.py → trials.

The tasks come from `runner import mlebench` on the real checkout (../shared/upstream/); each competition's raw files
are made here, shaped as Kaggle serves them (the same names, columns and zips its `prepare.py` reads), prepared with
`runner prepare --raw`, and run with the sample agent and a baseline-style command agent.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from runner.results import TrialResult, iter_results
from tests.conftest import REPO, RUNNER, require_bwrap, upstream_checkout


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode()


def _zipped(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr(name, data)
    return buffer.getvalue()


def _spaceship_titanic(rng: np.random.Generator) -> dict[str, bytes]:
    n = 400
    frame = pd.DataFrame(
        {
            "PassengerId": [f"{group:04d}_01" for group in range(1, n + 1)],
            "HomePlanet": rng.choice(["Earth", "Europa", "Mars"], n),
            "CryoSleep": rng.choice([True, False], n),
            "Cabin": [f"B/{i}/{'PS'[i % 2]}" for i in range(n)],
            "Destination": rng.choice(["TRAPPIST-1e", "55 Cancri e", "PSO J318.5-22"], n),
            "Age": rng.integers(1, 80, n).astype(float),
            "VIP": rng.choice([True, False], n, p=[0.05, 0.95]),
            **{column: rng.exponential(300, n).round() for column in ("RoomService", "FoodCourt", "Spa", "VRDeck")},
            "ShoppingMall": rng.exponential(300, n).round(),
            "Name": [f"Passenger {i}" for i in range(n)],
        }
    )
    # Learnable, not trivial: cryosleepers were transported, plus noise.
    frame["Transported"] = frame["CryoSleep"] ^ (rng.random(n) < 0.1)
    test = frame.drop(columns=["Transported"]).head(50)
    return {
        "train.csv": _csv(frame),
        "test.csv": _csv(test),
        "sample_submission.csv": _csv(test[["PassengerId"]].assign(Transported=False)),
    }


def _tabular_playground_dec_2021(rng: np.random.Generator) -> dict[str, bytes]:
    n = 300
    frame = pd.DataFrame(
        {
            "Id": np.arange(n),
            "Elevation": rng.integers(2000, 4000, n),
            "Aspect": rng.integers(0, 360, n),
            "Slope": rng.integers(0, 60, n),
        }
    )
    frame["Cover_Type"] = np.where(frame["Elevation"] > 3000, 2, 1) + (rng.random(n) < 0.1)
    test = frame.drop(columns=["Cover_Type"]).head(30)
    return {
        "train.csv": _csv(frame),
        "test.csv": _csv(test),
        "sample_submission.csv": _csv(test[["Id"]].assign(Cover_Type=2)),
    }


def _spooky_author_identification(rng: np.random.Generator) -> dict[str, bytes]:
    n = 300
    words = {"EAP": "raven nevermore chamber", "HPL": "eldritch cyclopean abyss", "MWS": "creature frankenstein lake"}
    authors = rng.choice(list(words), n)
    texts = [f"the {words[author].split()[i % 3]} was there" for i, author in enumerate(authors)]
    train = pd.DataFrame({"id": [f"id{i:05d}" for i in range(n)], "text": texts, "author": authors})
    test = train.drop(columns=["author"]).head(20)
    sample = test[["id"]].assign(EAP=0.403493538995863, HPL=0.287808366106543, MWS=0.308698094897594)
    return {
        "train.zip": _zipped("train.csv", _csv(train)),
        "test.zip": _zipped("test.csv", _csv(test)),
        "sample_submission.zip": _zipped("sample_submission.csv", _csv(sample)),
    }


_TOXIC = ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"]


def _jigsaw_toxic_comments(rng: np.random.Generator) -> dict[str, bytes]:
    def comments(prefix: str, n: int) -> pd.DataFrame:
        labels = {name: (rng.random(n) < 0.3).astype(int) for name in _TOXIC}
        for name in _TOXIC:  # every class needs both values among the scored rows for a column-wise AUC
            labels[name][:2] = [0, 1]
        text = [" ".join(["comment", *(name for name in _TOXIC if labels[name][i])]) for i in range(n)]
        return pd.DataFrame({"id": [f"{prefix}{i:06x}" for i in range(n)], "comment_text": text, **labels})

    train, test = comments("a", 200), comments("b", 80)
    test.loc[test.index[-10:], _TOXIC] = -1  # Kaggle marks rows that were not scored with -1
    sample = test[["id"]].assign(**dict.fromkeys(_TOXIC, 0.5))
    return {
        "train.csv.zip": _zipped("train.csv", _csv(train)),
        "test.csv.zip": _zipped("test.csv", _csv(test[["id", "comment_text"]])),
        "test_labels.csv.zip": _zipped("test_labels.csv", _csv(test[["id", *_TOXIC]])),
        "sample_submission.csv.zip": _zipped("sample_submission.csv", _csv(sample)),
    }


def _nyc_taxi_fares(rng: np.random.Generator) -> dict[str, bytes]:
    n = 10_500  # its prepare.py holds out exactly 9,914 rows, as many as Kaggle's test set
    distance = rng.exponential(3, n)
    frame = pd.DataFrame(
        {
            "key": [f"2015-01-01 00:00:{i // 1000:02d}.{i:07d}" for i in range(n)],
            "fare_amount": (2.5 + 2.0 * distance + rng.normal(0, 1, n)).round(2),
            "pickup_datetime": "2015-01-01 00:00:00 UTC",
            "pickup_longitude": -73.98,
            "pickup_latitude": 40.75,
            "dropoff_longitude": -73.98 + distance / 85,
            "dropoff_latitude": 40.75,
            "passenger_count": rng.integers(1, 5, n),
        }
    )
    return {
        "train.csv": _csv(frame),
        "test.csv": _csv(frame.drop(columns=["fare_amount"]).head(20)),
        "sample_submission.csv": _csv(frame[["key"]].head(20).assign(fare_amount=11.35)),
        "GCP-Coupons-Instructions.rtf": b"{\\rtf1 coupons}",
    }


COMPETITIONS: dict[str, Callable[[np.random.Generator], dict[str, bytes]]] = {
    "spaceship-titanic": _spaceship_titanic,  # accuracy
    "tabular-playground-series-dec-2021": _tabular_playground_dec_2021,  # accuracy, integer classes
    "spooky-author-identification": _spooky_author_identification,  # multiclass log loss, zipped raw
    "jigsaw-toxic-comment-classification-challenge": _jigsaw_toxic_comments,  # column-wise AUC, four zips
    "new-york-city-taxi-fare-prediction": _nyc_taxi_fares,  # RMSE, lower is better
}

# Baseline-style solutions, as an agent would write them: fit on the public training data, predict /data/test.csv,
# write the sample submission's columns. One program serves the five competitions, told apart by those columns.
SOLUTION = """python - <<'EOF'
import os
import pandas as pd
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.tree import DecisionTreeClassifier

sample, test = pd.read_csv("/data/sample_submission.csv"), pd.read_csv("/data/test.csv")
id_column, *targets = sample.columns
submission = test[[id_column]].copy()
if targets == ["fare_amount"]:
    train = pd.read_csv("/data/labels.csv")
    distance = lambda frame: (frame["dropoff_longitude"] - frame["pickup_longitude"]).to_frame()
    submission["fare_amount"] = LinearRegression().fit(distance(train), train["fare_amount"]).predict(distance(test))
elif targets == ["Transported"]:
    train = pd.read_csv("/data/train.csv")
    features = lambda frame: frame[["CryoSleep", "VIP"]].astype(float).fillna(0)
    model = LogisticRegression().fit(features(train), train["Transported"])
    submission["Transported"] = model.predict(features(test))
elif targets == ["Cover_Type"]:
    train = pd.read_csv("/data/train.csv")
    model = DecisionTreeClassifier(max_depth=2).fit(train[["Elevation"]], train["Cover_Type"])
    submission["Cover_Type"] = model.predict(test[["Elevation"]])
elif "EAP" in targets:
    train = pd.read_csv("/data/train.csv")
    model = make_pipeline(CountVectorizer(), LogisticRegression(max_iter=1000)).fit(train["text"], train["author"])
    for index, author in enumerate(model.classes_):
        submission[author] = model.predict_proba(test["text"])[:, index]
else:
    train = pd.read_csv("/data/train.csv")
    for label in targets:
        model = make_pipeline(CountVectorizer(), LogisticRegression(max_iter=1000))
        submission[label] = model.fit(train["comment_text"], train[label]).predict_proba(test["comment_text"])[:, 1]
submission.to_csv(os.environ["BENCHSMITH_SUBMISSION"], index=False)
EOF"""


def _runner(*arguments: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [*RUNNER, *arguments], capture_output=True, text=True, cwd=REPO, env=environment, timeout=900, check=False
    )


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real checkout's competitions, imported; and Kaggle-layout raw files for those tested, one folder each."""
    root = tmp_path_factory.mktemp("mlebench")
    checkout = upstream_checkout("mle-bench", root / "upstream")
    completed = _runner("import", "mlebench", str(checkout), "--out", str(root / "tasks"))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    rng = np.random.default_rng(0)
    for competition, make in COMPETITIONS.items():
        folder = root / "raw" / competition
        folder.mkdir(parents=True)
        for name, data in make(rng).items():
            (folder / name).write_bytes(data)
    return root


def _results(runs: Path) -> dict[str, TrialResult]:
    return {result.task_id: result for _, result in iter_results(runs)}


@pytest.mark.slow
def test_spaceship_titanic_from_raw_files_to_a_scored_trial(imported: Path, tmp_path: Path) -> None:
    require_bwrap()
    task = str(imported / "tasks" / "spaceship-titanic.yaml")
    cache = str(tmp_path / "cache")
    prepared = _runner("prepare", task, "--raw", str(imported / "raw" / "spaceship-titanic"), "--cache-dir", cache)
    assert prepared.returncode == 0, prepared.stderr
    assert prepared.stdout.startswith("spaceship-titanic (prepared)")
    public = Path(prepared.stdout.split("public:", 1)[1].split()[0])
    assert sorted(path.name for path in public.iterdir()) == ["sample_submission.csv", "test.csv", "train.csv"]
    # The synthetic files are not Kaggle's: the checksums MLE-bench keeps cannot match, and the user is told so.
    assert "differ from MLE-bench's checksums" in prepared.stderr

    runs = tmp_path / "runs"
    sample = _runner(
        "exec", task, "--agent", "sample", "--backend", "local", "--runs-dir", str(runs), "--cache-dir", cache
    )
    assert sample.returncode == 0, sample.stdout + sample.stderr
    baseline = _runner(
        "exec", task, "--agent", "command", "--agent-arg", SOLUTION, "--backend", "local",
        "--runs-dir", str(tmp_path / "baseline-runs"), "--cache-dir", cache,
    )  # fmt: skip
    assert baseline.returncode == 0, baseline.stdout + baseline.stderr
    [null] = _results(runs).values()
    [solved] = _results(tmp_path / "baseline-runs").values()
    assert null.status == "ok" and null.score is not None, null.reason
    assert solved.status == "ok" and solved.score is not None, solved.reason
    assert solved.score > null.score + 0.2  # the learnable signal is found; the all-False sample is near chance

    # The same folders as an MLE-bench data folder leaves them, used in place: no cache, nothing prepared.
    prepared_dir = tmp_path / "mle-data" / "spaceship-titanic" / "prepared"
    shutil.copytree(public, prepared_dir / "public")
    shutil.copytree(public.parent / "private", prepared_dir / "private")
    reused = _runner(
        "exec", task, "--agent", "sample", "--backend", "local", "--runs-dir", str(tmp_path / "reused-runs"),
        "--cache-dir", str(tmp_path / "empty-cache"), "--mlebench-data", str(tmp_path / "mle-data"),
    )  # fmt: skip
    assert reused.returncode == 0, reused.stdout + reused.stderr
    [again] = _results(tmp_path / "reused-runs").values()
    assert again.status == "ok" and again.score == null.score
    assert not (tmp_path / "empty-cache" / "prepared").exists()


@pytest.mark.slow
def test_five_competitions_prepare_with_their_own_preparers_and_run(imported: Path, tmp_path: Path) -> None:
    require_bwrap()
    tasks = [str(imported / "tasks" / f"{competition}.yaml") for competition in COMPETITIONS]
    cache = str(tmp_path / "cache")
    # One folder with a <competition>/ subfolder each serves every task at once.
    prepared = _runner("prepare", *tasks, "--raw", str(imported / "raw"), "--cache-dir", cache, "--format", "json")
    assert prepared.returncode == 0, prepared.stderr
    rows = json.loads(prepared.stdout)
    assert [row["id"] for row in rows] == list(COMPETITIONS)
    for row in rows:
        assert any(Path(row["public"]).iterdir()) and any(Path(row["private"]).iterdir()), row
        assert (
            not (Path(row["public"]) / "test.csv").is_file()
            or "fare_amount" not in (Path(row["public"]) / "test.csv").read_text().splitlines()[0]
        )
    runs = tmp_path / "runs"
    completed = _runner(
        "exec", *tasks, "--agent", "sample", "--backend", "local", "--runs-dir", str(runs), "--cache-dir", cache
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    results = _results(runs)
    assert sorted(results) == sorted(COMPETITIONS)
    for competition, result in results.items():
        assert result.status == "ok" and result.score is not None, (competition, result.reason)
    assert results["jigsaw-toxic-comment-classification-challenge"].score == pytest.approx(0.5)  # constant 0.5s

    solved = _runner(
        "exec", *tasks, "--agent", "command", "--agent-arg", SOLUTION, "--backend", "local",
        "--runs-dir", str(tmp_path / "baseline-runs"), "--cache-dir", cache,
    )  # fmt: skip
    assert solved.returncode == 0, solved.stdout + solved.stderr
    for competition, result in _results(tmp_path / "baseline-runs").items():
        null = results[competition]
        assert result.status == "ok" and result.score is not None and null.score is not None, (competition, result)
        gain = result.score - null.score if result.higher_is_better else null.score - result.score
        assert gain > 0.1, (competition, null.score, result.score)  # each solution beats the sample submission


def test_without_raw_files_or_credentials_one_line_says_what_to_do(imported: Path, tmp_path: Path) -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith("KAGGLE_")}
    env.update(HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / ".config"))
    completed = subprocess.run(
        [*RUNNER, "prepare", str(imported / "tasks" / "spaceship-titanic.yaml"), "--cache-dir", str(tmp_path / "c")],
        capture_output=True, text=True, cwd=REPO, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert completed.returncode == 1
    [line] = completed.stderr.strip().splitlines()
    assert "--raw" in line and "kaggle.json" in line and "Traceback" not in completed.stderr
