"""Run the shortcut, target, test-size, group-split and duplicate checks over a catalogue and list what each one flags.

    python scripts/audit_catalogue.py tasks/generated [--significance] [--json flags.json] [--reject]
    python scripts/audit_catalogue.py tasks/generated --reject-from flags.json

For pruning a generated catalogue: it calls the registered execution checks by name on the prepared data (the
preparation cache makes a re-run cheap), without the slow ones that run reference solutions unless
`--significance` asks for the bootstrap of the reference score. Prints per-check counts of flagged tasks (those
with an error from the check) and their ids; `--json` writes {check: {task id: [messages]}}. `--reject` (or
`--reject-from` an earlier `--json`) then moves every flagged task of a generated catalogue to its generation log's
rejections (code and message of its first error), deletes its files and rewrites the README.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections import defaultdict
from pathlib import Path

from spec import find_manifests, load_task
from validators import CheckContext, catalogue_checks, task_checks

TASK_CHECKS = ("shortcuts", "target-sanity", "test-size", "group-split")
CATALOGUE_CHECKS = ("duplicate-tasks",)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path, help="manifests or folders of them")
    parser.add_argument("--significance", action="store_true", help="also bootstrap the reference score (slow)")
    parser.add_argument("--json", type=Path, help="write the flags here as JSON")
    parser.add_argument("--cache-root", type=Path, help="preparation cache (default: the runner's)")
    parser.add_argument("--checks", help="comma-separated subset of the checks to run (default: all listed above)")
    parser.add_argument("--reject", action="store_true", help="reject the flagged tasks from the generated catalogue")
    parser.add_argument("--reject-from", type=Path, help="reject the tasks flagged in this --json file (no audit)")
    args = parser.parse_args(argv)
    if args.reject_from is not None:
        return _reject(args.paths, json.loads(args.reject_from.read_text(encoding="utf-8")))

    wanted: tuple[str, ...] = (*TASK_CHECKS, "test-significance") if args.significance else TASK_CHECKS
    catalogue_wanted: tuple[str, ...] = CATALOGUE_CHECKS
    if args.checks:
        chosen = {name.strip() for name in args.checks.split(",")}
        wanted = tuple(name for name in (*TASK_CHECKS, "test-significance") if name in chosen)
        catalogue_wanted = tuple(name for name in CATALOGUE_CHECKS if name in chosen)
    checks = [check for check in task_checks("execute") if check.name in wanted]
    context = CheckContext(cache_root=args.cache_root)
    tasks = [task for task in (load_task(path) for path in find_manifests(args.paths)) if task.manifest is not None]
    flags: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    started = time.monotonic()
    warnings.simplefilter("ignore")  # library chatter (convergence, undefined scores) is not a finding
    for number, task in enumerate(tasks, 1):
        for check in checks:
            try:
                problems = list(check.run(task, context))
            except Exception as error:  # one broken task must not stop an audit of hundreds
                problems = [task.problem("validator.check-crashed", f"{type(error).__name__}: {error}")]
            for problem in problems:
                if problem.severity == "error":
                    flags[check.name][task.id].append(f"{problem.code}: {problem.message}")
        if number % 50 == 0:
            print(f"... {number}/{len(tasks)} tasks, {time.monotonic() - started:.0f}s", file=sys.stderr, flush=True)
    for catalogue in catalogue_checks("execute"):
        if catalogue.name in catalogue_wanted:
            by_path = {str(task.path): task.id for task in tasks}
            for problem in catalogue.run(tasks, context):
                if problem.severity == "error":
                    task_id = by_path.get(problem.file or "", problem.file or "?")
                    flags[catalogue.name][task_id].append(f"{problem.code}: {problem.message}")

    flagged = {task_id for per_check in flags.values() for task_id in per_check}
    print(f"{len(tasks)} tasks audited in {time.monotonic() - started:.0f}s; {len(flagged)} flagged by any check")
    for name in (*wanted, *catalogue_wanted):
        ids = sorted(flags.get(name, {}))
        print(f"\n{name}: {len(ids)} task(s)")
        codes: dict[str, int] = defaultdict(int)
        for task_id in ids:
            for message in flags[name][task_id]:
                codes[message.split(":", 1)[0]] += 1
        for code, count in sorted(codes.items()):
            print(f"  {code}: {count}")
        for task_id in ids:
            print(f"  - {task_id}")
    if args.json:
        payload = {name: dict(sorted(per_check.items())) for name, per_check in flags.items()}
        args.json.write_text(json.dumps(payload, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return _reject(args.paths, flags) if args.reject else 0


def _reject(paths: list[Path], flags: dict[str, dict[str, list[str]]]) -> int:
    """Reject every flagged task from the one generated catalogue folder in `paths` (first error wins)."""
    from generators import reject_tasks

    if len(paths) != 1 or not paths[0].is_dir():
        print("--reject takes one generated catalogue folder", file=sys.stderr)
        return 2
    verdicts: dict[str, tuple[str, str]] = {}
    for per_check in flags.values():
        for task_id, messages in per_check.items():
            code, _, message = messages[0].partition(": ")
            verdicts.setdefault(task_id, (code, message))
    print(f"rejected {reject_tasks(paths[0], verdicts)} task(s) from {paths[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
