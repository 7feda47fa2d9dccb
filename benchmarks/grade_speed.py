"""Benchmark `runner grade` against MLE-bench's own graders, whole processes, on 10^4 to 10^6 rows.

    .nox/tests/bin/python benchmarks/grade_speed.py [--rows 10000 100000 1000000] [--repeat 3] [--keep DIR]

For each metric — accuracy (spaceship-titanic's format), ROC AUC (random-acts-of-pizza's) and RMSE
(new-york-city-taxi-fare-prediction's) — it writes one answers file and one shuffled submission in that
competition's exact format, then times two processes on the very same files, alternating their order:

- MLE-bench: its checkout (extracted from `../shared/upstream/mle-bench.tar.gz`, or `--mlebench DIR`) on the
  path of a scratch virtualenv that `uv` creates with the grader's dependencies (pandas, scikit-learn, scipy,
  pyyaml, py7zr, tqdm, appdirs; from uv's cache or PyPI). The process does what `mlebench grade` does for
  one submission: read both CSVs with `mlebench.utils.read_csv` and call the competition's `grade`.
- benchsmith: `runner grade --task <manifest> <submission> --answers <answers>`, with a manifest using the
  same columns and the registered metric.

Each figure is the median over `--repeat` runs of wall time, CPU time (user + system) and peak resident
memory (the child's own `ru_maxrss`); the ratios are MLE-bench's time over benchsmith's and benchsmith's
memory over MLE-bench's, all measured in this run. On a quiet machine wall time is what users wait for; on
a loaded one (other processes queueing for the cores) wall time mostly measures the queue, and the CPU
ratio is the one to read. Each tool runs once untimed first, so that both have their bytecode written
(as installed packages do) and the files are in the page cache.

Goal (issue 16): at 10^6 rows, at least 4x faster and at most 1.5x the memory.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np

REPO = Path(__file__).resolve().parent.parent
UPSTREAM = REPO.parent / "shared" / "upstream" / "mle-bench.tar.gz"
GRADER_PACKAGES = ["pandas", "scikit-learn", "scipy", "pyyaml", "py7zr", "tqdm", "appdirs"]
SPEEDUP_GOAL, MEMORY_GOAL = 4.0, 1.5
T = TypeVar("T")


@dataclass(frozen=True)
class Case:
    """One metric: the MLE-bench competition whose format and grader it borrows, and benchsmith's metric."""

    metric: str
    competition: str
    id_column: str
    target: str
    higher_is_better: bool


CASES = [
    Case("accuracy", "spaceship-titanic", "PassengerId", "Transported", True),
    Case("roc_auc", "random-acts-of-pizza", "request_id", "requester_received_pizza", True),
    Case("rmse", "new-york-city-taxi-fare-prediction", "key", "fare_amount", False),
]

MANIFEST = """schema_version: 1
id: grade-speed-{slug}
version: 1.0.0
kind: competition
title: Grading speed benchmark ({metric})
description: grade-speed-{slug}/description.md
tags: {{modality: tabular, problem: other, domain: benchmark}}
license: CC0-1.0
sources:
  - {{name: penguins, dataset: "palmerpenguins:penguins"}}
prepare:
  split: {{method: random, target: species, test_size: 0.25, seed: 0}}
submission: {{id_column: {id_column}, columns: [{target}]}}
metric: {{name: {metric}, higher_is_better: {higher}}}
environment:
  python: "3.11"
  packages: [pandas]
resources: {{cpus: 1, memory_gb: 1, gpu: none, time_limit: 5m, network: false}}
provenance: {{origin: hand-written, by: benchsmith maintainers}}
"""

MLEBENCH_GRADE = """
import importlib, sys
from pathlib import Path
from mlebench.utils import read_csv
grade = importlib.import_module("mlebench.competitions." + sys.argv[1] + ".grade").grade
print(grade(read_csv(Path(sys.argv[2])), read_csv(Path(sys.argv[3]))))
"""


def _ids(case: Case, rows: int) -> np.ndarray:
    numbers = np.arange(rows)
    if case.competition == "spaceship-titanic":  # gggg_pp: group and member, as Kaggle writes them
        return np.char.add(np.char.zfill((numbers // 3).astype(str), 7), np.char.add("_0", (numbers % 3).astype(str)))
    if case.competition == "random-acts-of-pizza":
        return np.char.add("t3_", (numbers * 7919 + 13).astype(str))  # of varying width, as Reddit's are
    stamps = np.datetime64("2015-01-01T00:00:00") + numbers.astype("timedelta64[s]")
    return np.char.add(np.datetime_as_string(stamps, unit="s").astype(str), ".0000002")


def write_case(case: Case, rows: int, folder: Path, seed: int) -> tuple[Path, Path]:
    """An answers file and a shuffled submission (about 80% right) in the competition's format."""
    rng = np.random.default_rng(seed)
    ids = _ids(case, rows)
    if case.metric == "accuracy":
        truth = rng.random(rows) < 0.5
        guess = np.where(rng.random(rows) < 0.8, truth, ~truth)
        answers, predictions = np.where(truth, "True", "False"), np.where(guess, "True", "False")
    elif case.metric == "roc_auc":
        truth = rng.random(rows) < 0.3
        answers = np.where(truth, "True", "False")
        predictions = np.char.mod("%.6f", np.clip(0.5 * rng.random(rows) + 0.3 * truth, 0, 1))
    else:
        fares = rng.gamma(2.0, 6.0, rows)
        answers = np.char.mod("%.2f", fares)
        predictions = np.char.mod("%.4f", fares + rng.normal(0, 3, rows))
    order = rng.permutation(rows)
    answers_path, submission_path = folder / f"{case.metric}-{rows}-answers.csv", folder / f"{case.metric}-{rows}.csv"
    header = f"{case.id_column},{case.target}\n"
    answers_path.write_text(header + "\n".join(np.char.add(np.char.add(ids, ","), answers)) + "\n")
    submission_path.write_text(header + "\n".join(np.char.add(np.char.add(ids[order], ","), predictions[order])) + "\n")
    return answers_path, submission_path


def write_manifest(case: Case, folder: Path) -> Path:
    slug = case.metric.replace("_", "-")
    manifest = folder / f"grade-speed-{slug}.yaml"
    (folder / f"grade-speed-{slug}").mkdir(exist_ok=True)
    (folder / f"grade-speed-{slug}" / "description.md").write_text(f"Grading speed benchmark: {case.metric}.\n")
    manifest.write_text(
        MANIFEST.format(
            slug=slug,
            metric=case.metric,
            id_column=case.id_column,
            target=case.target,
            higher=str(case.higher_is_better).lower(),
        )
    )
    return manifest


def mlebench_env(scratch: Path, checkout: Path | None) -> tuple[Path, Path]:
    """(python of a scratch virtualenv with the grader's dependencies, the MLE-bench checkout)."""
    if checkout is None:
        if not UPSTREAM.is_file():
            sys.exit(f"no MLE-bench snapshot at {UPSTREAM}; pass --mlebench DIR (a checkout)")
        with tarfile.open(UPSTREAM) as archive:
            archive.extractall(scratch / "upstream", filter="data")
        [checkout] = [path.parent.parent for path in (scratch / "upstream").glob("*/mlebench/__init__.py")]
    venv = scratch / "mlebench-venv"
    python = venv / "bin" / "python"
    if not python.exists():  # a kept scratch folder keeps its virtualenv
        subprocess.run(["uv", "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    subprocess.run(["uv", "pip", "install", "--quiet", "--python", str(python), *GRADER_PACKAGES], check=True)
    return python, checkout


def _in_child(function: Callable[..., T], *arguments: object) -> T:
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(function, *arguments).result()


@dataclass(frozen=True)
class Run:
    """One child process: wall and CPU (user + system) seconds, peak resident memory, what it printed."""

    wall: float
    cpu: float
    megabytes: float
    out: str


def run(command: list[str], env: dict[str, str]) -> Run:
    """Run one child process to completion."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    assert process.stdout is not None and process.stderr is not None
    out, err = process.stdout.read().decode(), process.stderr.read().decode()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({process.returncode}):\n{out}\n{err}")
    return Run(elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out.strip())


def _medians(runs: list[Run]) -> Run:
    return Run(
        statistics.median(r.wall for r in runs),
        statistics.median(r.cpu for r in runs),
        statistics.median(r.megabytes for r in runs),
        runs[-1].out,
    )


def _cell(median: Run) -> str:
    return f"{median.wall:>7.2f} s {median.cpu:>7.2f} s {median.megabytes:>6.0f} MB"


def _load() -> str:
    """The load averages: wall times mean little when other processes queue for the cores."""
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--metrics", nargs="+", default=[case.metric for case in CASES])
    parser.add_argument("--mlebench", type=Path, help="an MLE-bench checkout (default: extract the snapshot)")
    parser.add_argument("--keep", type=Path, help="keep the scratch folder here (default: a temporary one)")
    args = parser.parse_args()
    cases = [case for case in CASES if case.metric in args.metrics]

    scratch = args.keep or Path(tempfile.mkdtemp(prefix="grade-speed-"))
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        python, checkout = mlebench_env(scratch, args.mlebench)
        # Byte-compiled modules, as any installation has them: with PYTHONDONTWRITEBYTECODE set, every process
        # would compile both code bases afresh and the figures would measure the compiler.
        ours_env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
        theirs_env = {**ours_env, "PYTHONPATH": str(checkout)}
        runner = Path(sys.executable).with_name("runner")
        started_load = _load()
        print(f"{'':>19} {'MLE-bench (wall, CPU, peak)':>30} {'benchsmith (wall, CPU, peak)':>30} "
              f"{'speed-up':>17} {'memory':>8}")  # fmt: skip
        print(f"{'rows':>9} {'metric':<9} {'':>61} {'wall':>8} {'CPU':>8} {'ratio':>8}  score")
        for rows in args.rows:
            for case in cases:
                # Written by a child process: a child's peak memory counts what it inherited before exec, so
                # the parent must stay small for the grader processes' figures to be their own.
                answers, submission = _in_child(write_case, case, rows, scratch, rows + len(case.metric))
                manifest = write_manifest(case, scratch)
                ours = [str(runner), "grade", "--task", str(manifest), str(submission), "--answers", str(answers)]
                theirs = [str(python), "-c", MLEBENCH_GRADE, case.competition, str(submission), str(answers)]
                runs: dict[str, list[Run]] = {"mlebench": [], "benchsmith": []}
                run(theirs, theirs_env), run(ours, ours_env)  # untimed: writes the bytecode, warms the disk cache
                for attempt in range(args.repeat):
                    order = ["mlebench", "benchsmith"] if attempt % 2 == 0 else ["benchsmith", "mlebench"]
                    for tool in order:
                        command, env = (theirs, theirs_env) if tool == "mlebench" else (ours, ours_env)
                        runs[tool].append(run(command, env))
                scores = {tool: float(done[-1].out) for tool, done in runs.items()}
                if abs(scores["mlebench"] - scores["benchsmith"]) > 1e-9:
                    sys.exit(f"scores differ for {case.metric} at {rows} rows: {scores}")
                theirs_m, ours_m = (_medians(runs[tool]) for tool in ("mlebench", "benchsmith"))
                print(
                    f"{rows:>9} {case.metric:<9} {_cell(theirs_m)} {_cell(ours_m)} "
                    f"{theirs_m.wall / ours_m.wall:>7.1f}x {theirs_m.cpu / ours_m.cpu:>7.1f}x "
                    f"{ours_m.megabytes / theirs_m.megabytes:>7.2f}x  {scores['benchsmith']:.12g}",
                    flush=True,
                )
        print(f"goal at 10^6 rows: speed-up >= {SPEEDUP_GOAL}x, memory <= {MEMORY_GOAL}x MLE-bench's")
        print(f"load average at the start {started_load}, at the end {_load()} (1, 5, 15 min; {os.cpu_count()} cores)")
    finally:
        if args.keep is None:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
