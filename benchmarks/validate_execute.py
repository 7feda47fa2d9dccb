"""Execution-validation speed: one tabular task from a cold cache, and the whole catalogue re-validated warm.

Prints, in one run:
- the median time to execution-validate a tabular task with an empty cache (target < 15 s on 2 cores);
- the time to re-validate the whole catalogue when nothing changed (records hit; target < 2 s);
- as a bare baseline, the time of static validation alone of the same catalogue.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from validators import validate_paths

REPO = Path(__file__).resolve().parent.parent


def _timed(paths: list[Path], cache: Path, execute: bool) -> tuple[float, bool]:
    started = time.perf_counter()
    report = validate_paths(paths, layers=("static", "execute") if execute else ("static",), cache_root=cache)
    elapsed = time.perf_counter() - started
    if not report.ok:
        for task in report.tasks:
            for problem in task.problems:
                if problem.severity == "error":
                    print(f"  {problem.where()} {problem.code} {problem.message}")
    return elapsed, report.ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--task", type=Path, default=REPO / "tasks" / "curated" / "penguins-species.yaml")
    parser.add_argument("--catalogue", type=Path, default=REPO / "tasks")
    parser.add_argument("--repeats", type=int, default=3)
    arguments = parser.parse_args()

    cold = []
    for _ in range(arguments.repeats):
        with tempfile.TemporaryDirectory(prefix="benchsmith-bench-") as scratch:
            seconds, ok = _timed([arguments.task], Path(scratch), execute=True)
            cold.append(seconds)
    print(f"task: {arguments.task.relative_to(REPO) if arguments.task.is_relative_to(REPO) else arguments.task}")
    median = statistics.median(cold)
    verdict = "meets" if median < 15 else "MISSES"
    print(f"execution validation, cold cache: median {median:.2f} s over {len(cold)} runs "
          f"(min {min(cold):.2f}, max {max(cold):.2f}); target < 15 s: {verdict}")  # fmt: skip

    with tempfile.TemporaryDirectory(prefix="benchsmith-bench-") as scratch:
        cache = Path(scratch)
        first, ok = _timed([arguments.catalogue], cache, execute=True)
        print(f"catalogue, first execution validation: {first:.1f} s ({'ok' if ok else 'PROBLEMS'})")
        warm = [_timed([arguments.catalogue], cache, execute=True)[0] for _ in range(arguments.repeats)]
        static = [_timed([arguments.catalogue], cache, execute=False)[0] for _ in range(arguments.repeats)]
    print(f"catalogue, cached re-validation: median {statistics.median(warm):.2f} s; target < 2 s: "
          f"{'meets' if statistics.median(warm) < 2 else 'MISSES'}")  # fmt: skip
    print(f"baseline, static validation only: median {statistics.median(static):.2f} s "
          f"(cached execution adds {statistics.median(warm) - statistics.median(static):+.2f} s)")  # fmt: skip


if __name__ == "__main__":
    main()
