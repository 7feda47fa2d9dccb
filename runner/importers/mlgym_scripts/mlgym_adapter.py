"""benchsmith's evaluator for tasks imported from MLGym: runs MLGym's own evaluation script as its task class does.

Generic: everything task-specific is in `mlgym.json` beside this file (written by `runner import mlgym`). Called as
`python mlgym_adapter.py --split dev|test --artefact PATH --public DIR [--private DIR]` (docs/research.md). It lays
out a scratch copy of MLGym's agent workspace (the pristine starter files from this folder, the artefact, the
dataset files under `data/`), runs the evaluation script there the way the task class does (CSVSubmissionTasks:
`--submission_file`; ModelSubmissionTasks: `--config_fname`; PythonSubmissionTasks and the rest: no argument),
with `random` and `numpy` seeded so that a run is reproducible, and prints the metrics as its last line, with
keys in snake case (`Reward Mean` -> `reward_mean`).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OWN_FILES = {"mlgym_adapter.py", "mlgym.json", "benchsmith_guard.py"}
MLGYM_WORKSPACE = "/home/agent/workspace"  # where MLGym's containers mount the workspace; evaluators hard-code it
SEEDED_RUN = (
    "import random, runpy, sys\n"
    "seed = int(sys.argv[1])\n"
    "random.seed(seed)\n"
    "try:\n"
    "    import numpy\n"
    "    numpy.random.seed(seed)\n"
    "except ImportError:\n"
    "    pass\n"
    "sys.argv = sys.argv[2:]\n"
    "runpy.run_path(sys.argv[0], run_name='__main__')\n"
)


def fail(reason: str) -> None:
    print(f"invalid: {reason}", file=sys.stderr)
    raise SystemExit(1)


def key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def place(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True)
    else:
        shutil.copyfile(source, target)


def workspace(config: dict[str, Any], artefact: Path, data: list[Path]) -> Path:
    root = Path.cwd() / "mlgym-workspace"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir()
    for item in HERE.iterdir():
        if item.name not in OWN_FILES and not item.name.startswith("."):
            place(item, root / item.name)
    evaluation = root / config["evaluation"]
    if not evaluation.is_file():
        fail(f"the evaluation script {config['evaluation']} is missing from the task")
    # MLGym runs it inside its container's workspace; here that workspace is this scratch copy.
    evaluation.write_text(evaluation.read_text(encoding="utf-8").replace(MLGYM_WORKSPACE, str(root)), "utf-8")
    if not artefact.exists():
        fail(f"no artefact at {artefact}")
    place(artefact, root / config["artefact"])
    for folder in data:
        for item in sorted(folder.iterdir()) if folder.is_dir() else []:
            place(item, root / "data" / item.name)
    return root


def command(config: dict[str, Any], root: Path, seed: int) -> list[str]:
    script = str(root / config["evaluation"])
    arguments = {
        "CSVSubmissionTasks": ["--submission_file", str(root / config["artefact"])],
        "ModelSubmissionTasks": ["--config_fname", str(root / config["artefact"] / "config.yaml")],
    }.get(config["task_class"], [])
    return [sys.executable, "-c", SEEDED_RUN, str(seed), script, *arguments]


def metrics(output: str) -> dict[str, float]:
    for line in reversed(output.strip().splitlines()):
        try:
            found = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(found, dict):
            return {key(name): float(value) for name, value in found.items() if isinstance(value, int | float)}
    fail("the evaluation script printed no metrics (a JSON object)")
    return {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--split", choices=("dev", "test"), required=True)
    parser.add_argument("--artefact", type=Path, required=True)
    parser.add_argument("--public", type=Path, required=True)
    parser.add_argument("--private", type=Path)
    options = parser.parse_args()
    config = json.loads((HERE / "mlgym.json").read_text(encoding="utf-8"))
    data = [options.public, *([options.private] if options.split == "test" and options.private else [])]
    root = workspace(config, options.artefact, data)
    seed = int(config["seed"]) + (1 if options.split == "dev" else 0)  # dev matches differ from the test ones
    done = subprocess.run(command(config, root, seed), cwd=root, capture_output=True, text=True, check=False)
    sys.stderr.write(done.stderr[-4000:])
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        fail(f"MLGym's evaluation script exited {done.returncode}: {last}")
    print(json.dumps(metrics(done.stdout)))


if __name__ == "__main__":
    main()
