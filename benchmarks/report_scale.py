"""How `runner report` grows with the number of trials: 1,000 and 10,000 synthetic results.

    .venv/bin/python benchmarks/report_scale.py [--sizes 1000 10000] [--repeat 3] [--rounds 1000] [--keep DIR]

For each size, writes that many runner-format results (`write_result`, as the runner records them) for a grid of
agents x tasks x seeds (competition and research tasks, some invalid trials, two digests of one task), then times
the whole `runner report RUNS` process (text to /dev/null, `--rounds` bootstrap rounds) and, in this process, its
phases: loading the results, computing the report, rendering the text (as written to a file or a pipe: aligned
plain text; a terminal gets rich tables). The whole process is timed in wall and CPU seconds. The baseline,
measured in the same run, is the floor of any report: reading every result.json and parsing it as JSON.

Target (issue 16): the 10,000-trial report in under 3 s.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from runner.reports import build_report, load_trials, render_text
from runner.results import CompetitionDetails, Lock, ResearchDetails, TrialResult, result_files, write_result

REPO = Path(__file__).resolve().parent.parent
# The report process uses (and its first run writes) bytecode caches, as an installed package does.
CHILD_ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
TARGET_10K_S = 3.0


def grid(size: int) -> tuple[int, int, int]:
    """(agents, tasks, seeds) with agents x tasks x seeds == size: 10 agents, 5 or 10 seeds, the rest tasks."""
    agents, seeds = 10, (10 if size >= 10_000 else 5)
    tasks, left = divmod(size, agents * seeds)
    if left or tasks < 2:
        raise SystemExit(f"--sizes {size}: use a multiple of {agents * seeds} (at least {2 * agents * seeds})")
    return agents, tasks, seeds


def write_runs(root: Path, size: int, seed: int) -> int:
    pick = random.Random(seed)
    agents, tasks, seeds = grid(size)
    quality = {f"agent-{a}": pick.random() for a in range(agents)}
    written = 0
    for t in range(tasks):
        task = f"task-{t:04d}"
        research = t % 5 == 4
        higher = t % 3 != 0
        for agent, mean in quality.items():
            label = f"{agent}-{t % 7:08x}"
            for s in range(seeds):
                digest = ("a" if t == 0 and s % 2 else "b") * 8 + f"{t:056x}"
                valid = pick.random() > 0.05
                q = min(1.0, max(0.0, pick.gauss(mean, 0.1)))
                score = (0.5 + 0.5 * q if higher else 10.0 * (1.5 - q)) if valid else None
                details = ResearchDetails(baseline_score=0.7 if higher else 9.0) if research else CompetitionDetails()
                medal = None if research or not valid else ("gold" if q > 0.9 else "bronze" if q > 0.7 else None)
                result = TrialResult(
                    trial_id=f"{task}@{digest[:12]}/{label}/seed-{s}", task_id=task, task_version="1.0.0",
                    task_digest=digest, kind="research" if research else "competition", agent=agent,
                    agent_label=label, seed=s, backend="local", status="ok" if valid else "timeout",
                    reason=None if valid else "time limit", score=score, higher_is_better=higher, medal=medal,
                    above_median=valid and q > 0.5, percentile=q if valid else None,
                    normalized_score=q if valid else None, started_at=datetime(2025, 1, 1, tzinfo=UTC),
                    duration_s=60.0 * q, details=details, lock=Lock(backend="local", benchsmith="0.1.0"),
                )  # fmt: skip
                write_result(root / result.trial_id, result)
                written += 1
    return written


def timed(action: Callable[[], object], repeat: int) -> float:
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def bare_read(runs: Path) -> int:
    """The floor: every result.json found, read and parsed as JSON."""
    return sum(bool(json.loads(path.read_bytes())) for _, path in result_files(runs))


def report_process(runs: Path, rounds: int) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one `runner report RUNS` process, text to /dev/null."""
    runner = shutil.which("runner", path=str(Path(sys.executable).parent))
    argv = [runner] if runner else [sys.executable, "-m", "runner"]
    started = time.perf_counter()
    process = subprocess.Popen([*argv, "report", str(runs), "--rounds", str(rounds)], cwd=REPO, env=CHILD_ENV,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"`runner report {runs}` failed")
    return elapsed, usage.ru_utime + usage.ru_stime


def measure(root: Path, size: int, args: argparse.Namespace) -> tuple[float, float]:
    runs = root / f"runs-{size}"
    started = time.perf_counter()
    count = write_runs(runs, size, args.seed)
    agents, tasks, seeds = grid(size)
    print(f"\n{count} results ({agents} agents x {tasks} tasks x {seeds} seeds), written in "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    baseline = timed(lambda: bare_read(runs), args.repeat)
    loaded = load_trials(runs)
    load_s = timed(lambda: load_trials(runs), args.repeat)
    built = build_report(loaded.frame, rounds=args.rounds, seed=0, runs_dir=runs, warnings=loaded.warnings)
    build_s = timed(
        lambda: build_report(loaded.frame, rounds=args.rounds, seed=0, runs_dir=runs, warnings=loaded.warnings),
        args.repeat,
    )
    render_s = timed(lambda: render_text(built, Console(file=io.StringIO(), width=200)), args.repeat)
    report_process(runs, args.rounds)  # untimed: writes the bytecode caches
    processes = [report_process(runs, args.rounds) for _ in range(args.repeat)]
    whole = statistics.median(wall for wall, _ in processes)
    cpu = statistics.median(cpu for _, cpu in processes)
    print(f"  bare read + json parse (baseline): {baseline:7.3f} s")
    print(f"  load_trials:                       {load_s:7.3f} s  ({load_s / baseline:.1f}x baseline)")
    print(f"  build_report ({args.rounds} rounds):       {build_s:7.3f} s")
    print(f"  render_text:                       {render_s:7.3f} s")
    print(f"  `runner report` (whole process):   {whole:7.3f} s  ({whole / baseline:.1f}x baseline; CPU {cpu:.3f} s)")
    return baseline, whole


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000], help="trial counts (default 1k 10k)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each measurement (default 3, median)")
    parser.add_argument("--rounds", type=int, default=1000, help="bootstrap rounds, as `runner report` (1000)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic results")
    parser.add_argument("--keep", type=Path, default=None, help="write the runs folders into DIR and keep them")
    args = parser.parse_args(argv)
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; medians of {args.repeat} runs")
    scratch = args.keep or Path(tempfile.mkdtemp(prefix="benchsmith-report-"))
    failed = False
    try:
        for size in args.sizes:
            _, whole = measure(scratch, size, args)
            if size == 10_000:
                failed = whole >= TARGET_10K_S
                print(f"  target: < {TARGET_10K_S:g} s for 10,000 trials: {'MISSES' if failed else 'meets'}")
    finally:
        if args.keep is None:
            shutil.rmtree(scratch, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
