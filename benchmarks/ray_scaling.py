"""Benchmark the Ray executor's scaling: trials per minute with 1 and 2 workers for a CPU-bound trial.

    .venv/bin/python benchmarks/ray_scaling.py [--workers 1 2] [--trials 8] [--work 3e7] [--local]

Each trial is the `command` agent on the fixture penguins task (local bubblewrap backend, `cpus: 1`) spinning a
pure-Python loop of `--work` additions (about 2-3 s on one core here) before it submits the sample file, so
the work is CPU-bound and the same in every trial. For each worker count a local Ray cluster is started with that
many CPUs, warmed (workers import the runner once), then timed on `--trials` fresh trials; the time to start the
cluster is not counted. Prints trials per minute per worker count and the ratio of the largest to 1 worker, then
the same ratio for bare Python loops outside any executor: the ceiling the machine's free cores allow right now.
`--local` times the local (thread) executor with the same numbers of jobs, for comparison.

Target: >= 1.8x with 2 workers on 2 otherwise idle cores (more workers on a bigger machine). Other processes on
the machine take cores from the trials, so run it when the machine is quiet.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import ray

from runner.executors import get_executor
from runner.preparation import prepare_task
from runner.trials import RunSettings, TrialRequest
from spec import load_task

MANIFEST = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "tasks" / "curated" / "penguins-species.yaml"


def requests(count: int, work: int, first_seed: int) -> list[TrialRequest]:
    task = load_task(MANIFEST)
    assert task.manifest is not None
    task.manifest.resources = task.manifest.resources.model_copy(update={"cpus": 1, "memory_gb": 0.5})
    spin = f"python -c 'x = 0\nfor i in range({work}): x += i'"
    command = f'{spin} && cp /data/sample_submission.csv "$BENCHSMITH_SUBMISSION"'
    return [TrialRequest(task, "command", seed=first_seed + seed, args=(command,)) for seed in range(count)]


def raw_ratio(workers: int, work: int) -> float:
    """Throughput of `workers` bare spin loops at once over one alone: the most any executor can get right now."""
    spin = [sys.executable, "-c", f"x = 0\nfor i in range({work}): x += i"]
    started = time.monotonic()
    subprocess.run(spin, check=True)
    alone = time.monotonic() - started
    started = time.monotonic()
    for process in [subprocess.Popen(spin) for _ in range(workers)]:
        process.wait()
    together = time.monotonic() - started
    return workers * alone / together


def timed_batch(executor: str, workers: int, trials: int, work: int, root: Path) -> float:
    """Trials per minute of one batch on a warmed executor."""
    settings = RunSettings(runs_dir=root / "runs", backend="local", cache_root=root / "cache")
    batch = requests(trials, work, first_seed=1000)
    prepare_task(batch[0].task, cache_root=settings.cache_root)
    warm = requests(workers, work // 100, first_seed=0)
    jobs = workers if executor == "local" else None
    get_executor(executor).run(warm, settings, jobs=jobs, on_done=None)
    started = time.monotonic()
    report = get_executor(executor).run(batch, settings, jobs=jobs, on_done=None)
    elapsed = time.monotonic() - started
    failed = [result.trial_id for result in report.results if result.status != "ok"]
    if failed or len(report.results) != trials:
        raise SystemExit(f"{executor} with {workers}: {len(report.results)} results, failed: {failed}")
    return trials / elapsed * 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--work", type=float, default=3e7, help="loop iterations per trial")
    parser.add_argument("--local", action="store_true", help="also time the local executor")
    options = parser.parse_args()
    print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f} at start")
    rates: dict[tuple[str, int], float] = {}
    for executor in ("ray", "local") if options.local else ("ray",):
        for workers in options.workers:
            with tempfile.TemporaryDirectory(prefix="ray-scaling-") as root:
                if executor == "ray":
                    ray.init(
                        address="local",
                        num_cpus=workers,
                        include_dashboard=False,
                        log_to_driver=False,
                        logging_level=logging.ERROR,
                    )
                try:
                    rate = timed_batch(executor, workers, options.trials, int(options.work), Path(root))
                finally:
                    if executor == "ray":
                        ray.shutdown()
            rates[executor, workers] = rate
            print(f"{executor:5s} {workers} worker(s): {rate:6.1f} trials/min")
        low, high = min(options.workers), max(options.workers)
        print(f"{executor:5s} {high} vs {low} worker(s): {rates[executor, high] / rates[executor, low]:.2f}x")
    high = max(options.workers)
    print(f"bare loops, {high} at once vs 1 (this machine's ceiling now): {raw_ratio(high, int(options.work)):.2f}x")
    print(f"load average {os.getloadavg()[0]:.1f} at end")


if __name__ == "__main__":
    main()
