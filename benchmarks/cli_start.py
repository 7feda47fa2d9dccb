"""How long the `runner` command takes to answer, as whole processes, against a bare `python -c pass`.

    .venv/bin/python benchmarks/cli_start.py [--repeat 5] [--tasks tasks]

Runs `runner --help`, `runner --version`, `runner list` (with its catalogue index in the cache, and cold: the
index removed before each run), `runner validate TASKS` (static) and the baseline `python -c pass`, alternating
them `--repeat` times (so a busy moment hurts every command alike), and prints each one's median and best wall
time, its median CPU time (user + system: what a busy machine inflates least), its peak memory (max RSS), and the
ratio of its median to the baseline's median measured in the same run. Output goes to /dev/null: the figure is
the command's work, not the terminal's. The children run with bytecode caches (PYTHONDONTWRITEBYTECODE is dropped
for them), as an installed package does, and a cache folder of their own (BENCHSMITH_CACHE_DIR), removed at the
end.

Targets (issue 16): `--help` <= 0.3 s, `list` < 0.5 s, `validate tasks/` < 2 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Children use (and the untimed warm-up run writes) bytecode caches, as an installed package does: with
# PYTHONDONTWRITEBYTECODE set, every process would compile every module it imports from source, every time.
CHILD_ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


@dataclass
class Command:
    label: str
    argv: list[str]
    target_s: float | None = None
    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    peak_mb: list[float] = field(default_factory=list)
    codes: set[int] = field(default_factory=set)
    before: Callable[[], None] | None = None
    """Run, untimed, before each timed run."""


def _runner() -> list[str]:
    """The installed console script, as users run it; else the module."""
    script = shutil.which("runner", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "runner"]


def measure(argv: list[str]) -> tuple[float, float, float, int]:
    """Wall seconds, CPU seconds (user + system), peak RSS in MB and exit code of one run of `argv`."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, cwd=REPO, env=CHILD_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return elapsed, cpu, usage.ru_maxrss / 1024, process.returncode  # ru_maxrss is in KiB on Linux


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="runs of each command (default 5)")
    parser.add_argument("--tasks", type=Path, default=REPO / "tasks", help="catalogue to list and validate")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    runner = _runner()
    cache = Path(tempfile.mkdtemp(prefix="benchsmith-cli-start-"))
    CHILD_ENV["BENCHSMITH_CACHE_DIR"] = str(cache)
    try:
        return _run(runner, args.repeat, args.tasks, cache)
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def _run(runner: list[str], repeat: int, tasks: Path, cache: Path) -> int:
    def drop_index() -> None:
        shutil.rmtree(cache / "catalogue", ignore_errors=True)

    baseline = Command("python -c pass", [sys.executable, "-c", "pass"])
    commands = [
        baseline,
        Command("runner --help", [*runner, "--help"], 0.3),
        Command("runner --version", [*runner, "--version"]),
        Command("runner list", [*runner, "list", "--tasks-dir", str(tasks)], 0.5),
        Command("runner list (cold index)", [*runner, "list", "--tasks-dir", str(tasks)], before=drop_index),
        Command(f"runner validate {tasks.name}/", [*runner, "validate", str(tasks)], 2.0),
    ]
    for command in commands:  # warm the file cache and the bytecode, untimed
        measure(command.argv)
    for _ in range(repeat):
        for command in commands:
            if command.before is not None:
                command.before()
            seconds, cpu, peak, code = measure(command.argv)
            command.seconds.append(seconds)
            command.cpu.append(cpu)
            command.peak_mb.append(peak)
            command.codes.add(code)

    base = statistics.median(baseline.seconds)
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; {repeat} alternating runs each")
    print(f"{'command':<28} {'median s':>9} {'best s':>8} {'cpu s':>7} {'peak MB':>8} {'x baseline':>11}  target")
    failed = False
    for command in commands:
        median = statistics.median(command.seconds)
        verdict = ""
        if command.target_s is not None:
            met = median <= command.target_s
            failed |= not met
            verdict = f"<= {command.target_s:g} s: {'meets' if met else 'MISSES'}"
        codes = "" if command.codes <= {0, 1} else f"  (exit {sorted(command.codes)})"
        print(
            f"{command.label:<28} {median:>9.3f} {min(command.seconds):>8.3f} {statistics.median(command.cpu):>7.3f} "
            f"{max(command.peak_mb):>8.0f} "
            f"{median / base:>10.1f}x  {verdict}{codes}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
