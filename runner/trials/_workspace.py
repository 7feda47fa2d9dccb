"""A trial's folders on the host: what the sandbox mounts, and the format checker agents may call."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from runner.preparation import SAMPLE_FILE, PreparedTask
from spec import AnyTask

# A standalone script (no benchsmith inside the sandbox): it checks a submission's format against the public
# sample submission's ids, never against answers.
VALIDATOR_SCRIPT = '''"""Check a submission's format: header, ids, empty cells. It knows no answers, gives no score."""
import csv, json, os, sys

FORMAT = json.loads({format!r})
path = sys.argv[1] if len(sys.argv) > 1 else os.environ["BENCHSMITH_SUBMISSION"]
problems = []
try:
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
except (OSError, UnicodeDecodeError) as error:
    sys.exit(f"invalid: cannot read {{path}}: {{error}}")
expected = [FORMAT["id_column"], *FORMAT["columns"]]
if not rows:
    sys.exit("invalid: the file is empty")
if rows[0] != expected:
    problems.append(f"header is {{','.join(rows[0])}}, expected {{','.join(expected)}}")
ids = [row[0] for row in rows[1:] if row]
wanted = set(FORMAT["ids"])
if len(ids) != len(set(ids)):
    problems.append("some ids appear more than once")
if set(ids) - wanted:
    problems.append(f"{{len(set(ids) - wanted)}} ids are not test ids")
if wanted - set(ids):
    problems.append(f"{{len(wanted - set(ids))}} test ids have no row")
if any(len(row) != len(expected) or any(cell == "" for cell in row) for row in rows[1:] if row):
    problems.append("some rows have missing or empty cells")
if problems:
    sys.exit("invalid: " + "; ".join(problems))
print(f"valid format: {{len(ids)}} rows")
'''


@dataclass(frozen=True)
class TrialFolders:
    """Host-side folders of one trial."""

    root: Path

    @property
    def task(self) -> Path:
        return self.root / "task"

    @property
    def code(self) -> Path:
        return self.root / "workspace" / "code"

    @property
    def submission(self) -> Path:
        return self.root / "workspace" / "submission"

    @property
    def logs(self) -> Path:
        return self.root / "logs"


def make_workspace(folder: Path, task: AnyTask, manifest_path: Path, prepared: PreparedTask) -> TrialFolders:
    """Fresh folders for a trial (whatever a killed earlier attempt left is removed first)."""
    folders = TrialFolders(folder)
    for stale in (folders.task, folders.root / "workspace", folders.logs):
        shutil.rmtree(stale, ignore_errors=True)
    for path in (folders.task, folders.code, folders.submission, folders.logs):
        path.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(manifest_path.parent / task.description, folders.task / "description.md")
    if task.submission is not None:
        ids: list[str] = []
        sample = prepared.public / SAMPLE_FILE
        if sample.is_file():
            import csv

            with sample.open(newline="", encoding="utf-8") as handle:
                ids = [row[0] for row in list(csv.reader(handle))[1:] if row]
        spec = {"id_column": task.submission.id_column, "columns": list(task.submission.columns), "ids": ids}
        (folders.task / "validate_submission.py").write_text(VALIDATOR_SCRIPT.format(format=json.dumps(spec)))
    return folders
