"""Retime a speedrun chain on this machine and print, per record, mean, std and 3 sigma of its time and its speed-up.

    .venv/bin/python benchmarks/speedrun_chain.py [MANIFEST] [--seeds N] [--record ID ...] [--from-file]

Without --from-file it runs `runner speedrun retime`'s machinery (every record, every seed, one after the other:
about 8 minutes of CPU time for the tiny-GPT chain, longer on a busy machine), which also updates the retime file
beside the manifest. With --from-file it only prints what that file already holds for this machine. A record passes
when it beats the previous one by at least 3 * sqrt(std_prev**2 + std**2), as in `runner speedrun retime`.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from runner.preparation import prepare_task
from runner.speedrun import (
    RetimedRecord,
    machine_fingerprint,
    read_retime,
    retime_chain,
    significantly_faster,
)
from spec import SpeedrunTask, load_task

SIGMA = "\u03c3"  # escaped: the linter flags a literal Greek sigma as a look-alike
REPO = Path(__file__).resolve().parent.parent
DEFAULT = REPO / "tasks" / "speedrun" / "tiny-gpt.yaml"


def _times(
    manifest: Path, seeds: int | None, only: list[str], from_file: bool
) -> tuple[SpeedrunTask, dict[str, RetimedRecord]]:
    loaded = load_task(manifest)
    task = loaded.manifest
    if not isinstance(task, SpeedrunTask):
        raise SystemExit(f"{manifest} is not a valid speedrun manifest; run `runner validate {manifest}`")
    if not from_file:
        prepared = prepare_task(loaded)
        with tempfile.TemporaryDirectory(prefix="bench-speedrun-") as work:
            retime_chain(loaded, prepared, Path(work), seeds=seeds, only=only)
    stored = read_retime(manifest)
    machine = None if stored is None else stored.machines.get(machine_fingerprint(task).key)
    if machine is None:
        raise SystemExit(f"no times for this machine beside {manifest}; run without --from-file first")
    return task, machine.records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("manifest", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--seeds", type=int, default=None, help="timed runs per record (default: the protocol's)")
    parser.add_argument("--record", action="append", default=[], help="time only this record id (repeatable)")
    parser.add_argument("--from-file", action="store_true", help="print the stored times, measure nothing")
    arguments = parser.parse_args()
    task, records = _times(arguments.manifest, arguments.seeds, arguments.record, arguments.from_file)

    print(f"{task.id}: {task.protocol.clock} seconds on this machine; manifest times: {task.hardware.description}")
    print(f"{'record':<28}{'mean':>9}{'std':>8}{'3' + SIGMA:>8}{'manifest':>10}{'speed-up':>10}  verdict")
    previous: RetimedRecord | None = None
    failures = 0
    for record in task.records:
        entry = records.get(record.id)
        if entry is None:
            print(f"{record.id:<28}{'not timed':>9}")
            previous = None
            continue
        speedup, verdict = "", "first"
        if previous is not None:
            faster, margin = significantly_faster(previous, entry)
            speedup = f"{previous.mean_s / entry.mean_s:.2f}x"
            verdict = f"{'faster' if faster else 'NOT faster'} by {margin:.2f} s (3{SIGMA} of the difference)"
            failures += not faster
        if not entry.reached:
            verdict += "; MISSED the target"
            failures += 1
        print(f"{record.id:<28}{entry.mean_s:>9.2f}{entry.std_s:>8.2f}{entry.three_sigma_s:>8.2f}"
              f"{record.time_s:>10.2f}{speedup:>10}  {verdict}")  # fmt: skip
        previous = entry
    raise SystemExit(1 if failures else 0)


if __name__ == "__main__":
    main()
