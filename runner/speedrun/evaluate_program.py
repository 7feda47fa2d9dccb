"""benchsmith's speedrun evaluation driver: runs inside a sandbox the agent never touched; standard library only.

It loads the task's evaluator by path and calls `score(model, answers)`; the value goes to stdout on one line
tagged with a secret the runner wrote to stdin, so nothing the model prints can pass for it.
"""

import importlib.util
import json
import math
import os
import sys
from pathlib import Path


def main() -> None:
    secret = sys.stdin.readline().strip()
    evaluator = os.environ["SPEEDRUN_EVALUATOR"]
    spec = importlib.util.spec_from_file_location("benchsmith_speedrun_evaluator", evaluator)
    if spec is None or spec.loader is None:
        sys.exit(f"cannot load the evaluator {evaluator}")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(Path(evaluator).parent))
    spec.loader.exec_module(module)
    value = float(module.score(Path(os.environ["SPEEDRUN_MODEL"]), Path(os.environ["SPEEDRUN_ANSWERS"])))
    report = {"value": value if math.isfinite(value) else None}
    sys.stdout.write("\n" + secret + " " + json.dumps(report) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
