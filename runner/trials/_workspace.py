"""A trial's folders on the host: what the sandbox mounts, and the format checker agents may call."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from runner.preparation import SAMPLE_FILE, PreparedTask
from runner.sandboxes import fit_quota, mount_quota, release_quota
from spec import AnyTask, TaskPathError, task_file

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
    def workspace(self) -> Path:
        """What the agent may write (its code, submission and /tmp): one file system of the trial's disk quota."""
        return self.root / "workspace"

    @property
    def code(self) -> Path:
        return self.workspace / "code"

    @property
    def submission(self) -> Path:
        return self.workspace / "submission"

    @property
    def tmp(self) -> Path:
        return self.workspace / "tmp"

    @property
    def logs(self) -> Path:
        return self.root / "logs"


def make_workspace(
    folder: Path, task: AnyTask, manifest_path: Path, prepared: PreparedTask, *, quota: bool = False
) -> TrialFolders:
    """Fresh folders for a trial (whatever a killed earlier attempt left is removed first). With `quota` the
    workspace is a file system of `resources.disk_gb` (released by `release_workspace`)."""
    folders = TrialFolders(folder)
    for stale in (folders.task, folders.logs):
        shutil.rmtree(stale, ignore_errors=True)
    # First, before anything is mounted: a description leading out of the task folder stops the trial here.
    copy_task_file(manifest_path, task.description, folders.task / "description.md")
    if quota:
        # Room for what the runner copies in before the agent starts (at most the public data and starter code):
        # `fit_workspace` then shrinks the file system to that plus the quota.
        headroom = sum(path.lstat().st_size for path in prepared.public.rglob("*"))
        mount_quota(folders.workspace, int(task.resources.disk_gb * 1024**3), headroom)
    else:
        shutil.rmtree(folders.workspace, ignore_errors=True)
    for path in (folders.task, folders.code, folders.submission, folders.tmp, folders.logs):
        path.mkdir(parents=True, exist_ok=True)
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


def fit_workspace(folders: TrialFolders, task: AnyTask) -> None:
    """Once the runner has filled the workspace: the agent gets the task's disk quota on top of what is there."""
    fit_quota(folders.workspace, int(task.resources.disk_gb * 1024**3))


def release_workspace(folders: TrialFolders) -> None:
    """Unmount a trial's quota workspace, keeping its code and submission as plain files (its /tmp is dropped)."""
    shutil.rmtree(folders.tmp, ignore_errors=True)
    try:
        release_quota(folders.workspace, keep=True)
    except OSError:  # what the agent left cannot be moved out (a name or tree the host refuses): drop it
        release_quota(folders.workspace, keep=False)


def copy_task_file(manifest_path: Path, reference: str, destination: Path) -> None:
    """Copy a file the manifest names into a sandbox's folder, only if it lies inside the task's own folder."""
    source = task_file(manifest_path, reference)
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, destination)


def copy_task_tree(manifest_path: Path, reference: str, destination: Path) -> None:
    """Copy a folder the manifest names into a sandbox's folder (merging), every file of it checked to lie inside
    the task's own folder: a link in it to a host file stops the copy rather than bring that file in."""
    source = task_file(manifest_path, reference)
    task_dir = task_file(manifest_path, manifest_path.stem)
    for folder, _, names in os.walk(source):
        target_folder = destination / Path(folder).relative_to(source)
        target_folder.mkdir(parents=True, exist_ok=True)
        for name in sorted(names):
            path = Path(folder) / name
            if not path.resolve().is_relative_to(task_dir):
                raise TaskPathError(f"{path} leads out of the task's own folder {task_dir.name}/; it is not copied")
            shutil.copyfile(path, target_folder / name)
