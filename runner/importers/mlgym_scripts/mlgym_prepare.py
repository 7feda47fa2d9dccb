"""benchsmith's prepare for tasks imported from MLGym: the dataset files the task ships, split public/private.

Generic: `mlgym.json` (a source of the task) maps the raw data files (named after their sources) to MLGym's file
names, in two groups: those kept for the test evaluation (the files MLGym's evaluation script opens by name, e.g. its
`ground_truth.csv` or `answer.csv`) and those the agent may see (the rest).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path


def prepare(raw: Path, public: Path, private: Path) -> None:
    config = json.loads((Path(raw) / "mlgym.json").read_text(encoding="utf-8"))
    for files, folder in ((config["public"], public), (config["private"], private)):
        for raw_name, name in files.items():
            shutil.copyfile(Path(raw) / raw_name, Path(folder) / name)
