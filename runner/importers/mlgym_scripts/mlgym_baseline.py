"""benchsmith's baseline for tasks imported from MLGym: what MLGym runs to get a task's baseline score.

Generic: it reads the task's `mlgym.json` from the read-only task folder. MLGym's baseline is its baseline script
when the task has one (run in the workspace, as MLGym's `_execute_baseline` does), else the starter code as
shipped (its `baseline_paths` name only the evaluation script); a CSV task without a baseline script hands in
MLGym's sample submission.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path


def main() -> None:
    task = Path(os.environ.get("BENCHSMITH_TASK_DIR", "/task"))
    config = json.loads((task / "mlgym.json").read_text(encoding="utf-8"))
    artefact = Path(os.environ.get("BENCHSMITH_ARTEFACT", config["artefact"]))
    data = Path(os.environ.get("BENCHSMITH_DATA", "/data"))
    if not Path("data").exists() and data.is_dir():
        Path("data").symlink_to(data)  # MLGym's scripts read `data/` in their workspace
    if config.get("baseline"):
        subprocess.run([sys.executable, config["baseline"]], check=True)
    elif config.get("sample_submission") and not artefact.exists():
        shutil.copyfile(config["sample_submission"], artefact)
    if not artefact.exists():
        print(f"the baseline left no artefact at {artefact}", file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
