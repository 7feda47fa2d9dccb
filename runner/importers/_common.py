"""What every importer shares: the report, id slugs, safe reading of upstream files, and idempotent writing."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from runner._errors import BenchsmithError
from spec import MANIFEST_ADAPTER

Severity = Literal["error", "warning"]
Status = Literal["new", "updated", "unchanged"]

_MAX_SLUG = 64
_LFS_FIRST_LINE = "version https://git-lfs.github.com/spec/v1"
_LFS_OID = re.compile(r"^oid sha256:([0-9a-f]{64})$")
_LFS_SIZE = re.compile(r"^size (\d+)$")
_MAX_HEADER_BYTES = 64 * 1024


@dataclass(frozen=True)
class ImportIssue:
    """Something wrong or guessed in one upstream task; errors mean the task was not imported."""

    upstream: str
    severity: Severity
    message: str


@dataclass(frozen=True)
class ImportedTask:
    """One manifest the importer wrote (or found already up to date)."""

    id: str
    manifest: Path
    version: str
    status: Status
    upstream: str


@dataclass
class ImportReport:
    """What an import run did: the tasks it wrote and every issue it met."""

    benchmark: str
    out: Path
    tasks: list[ImportedTask] = field(default_factory=list)
    issues: list[ImportIssue] = field(default_factory=list)
    pending: list[tuple[str, dict[str, Any], dict[str, bytes], str]] = field(default_factory=list, repr=False)

    def add(self, task_id: str, manifest: dict[str, Any], files: dict[str, bytes], upstream: str) -> None:
        """Queue a checked manifest (without `version`) and its task-folder files for `write`."""
        self.pending.append((task_id, manifest, files, upstream))

    def write(self, header: str) -> None:
        """Write every queued task into `out`, idempotently (see `write_task`)."""
        if self.pending:
            self.out.mkdir(parents=True, exist_ok=True)
        for task_id, manifest, files, upstream in self.pending:
            path, version, status = write_task(self.out, task_id, manifest, files, header)
            self.tasks.append(ImportedTask(task_id, path, version, status, upstream))
        self.pending.clear()

    def error(self, upstream: str, message: str) -> None:
        """Record a problem that kept `upstream` from being imported."""
        self.issues.append(ImportIssue(upstream, "error", message))

    def warning(self, upstream: str, message: str) -> None:
        """Record a guess or a gap in an imported task."""
        self.issues.append(ImportIssue(upstream, "warning", message))

    @property
    def errors(self) -> list[ImportIssue]:
        """Issues that kept a task out."""
        return [issue for issue in self.issues if issue.severity == "error"]

    @property
    def skipped(self) -> list[str]:
        """Upstream entries left out (each once, however many errors it had)."""
        imported = {task.upstream for task in self.tasks} | {upstream for *_, upstream in self.pending}
        return sorted({issue.upstream for issue in self.errors} - imported)

    @property
    def warnings(self) -> list[ImportIssue]:
        """Issues of tasks that were imported anyway."""
        return [issue for issue in self.issues if issue.severity == "warning"]


class UpstreamError(BenchsmithError):
    """An upstream file cannot be used; the message says why."""


def slugify(value: str) -> str:
    """A catalogue id from an upstream id: camelCase split, lower case, runs of other characters as one hyphen."""
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", value.strip())
    text = re.sub(r"(?<=[A-Z])(?=[A-Z][a-z])", "-", text)
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:_MAX_SLUG].rstrip("-")


def read_yaml(path: Path) -> Any:
    """Plain data of an upstream YAML file (safe loader, no custom tags)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UpstreamError(f"cannot read {path.name}: {error}") from None
    try:
        return YAML(typ="safe", pure=True).load(text)
    except YAMLError as error:
        raise UpstreamError(f"{path.name} is not valid YAML: {str(error).splitlines()[0]}") from None


def lfs_pointer(path: Path) -> dict[str, Any] | None:
    """`{oid, size}` when `path` is a Git LFS pointer file instead of the content, else None."""
    try:
        with path.open("rb") as handle:
            head = handle.read(1024)
    except OSError:
        return None
    try:
        lines = head.decode("ascii").strip().splitlines()
    except UnicodeDecodeError:
        return None
    if not lines or lines[0].strip() != _LFS_FIRST_LINE:
        return None
    pointer: dict[str, Any] = {}
    for line in lines[1:]:
        if match := _LFS_OID.match(line.strip()):
            pointer["oid"] = match.group(1)
        elif match := _LFS_SIZE.match(line.strip()):
            pointer["size"] = int(match.group(1))
    return pointer if "oid" in pointer else None


def csv_header(path: Path) -> list[str]:
    """The first row of a CSV file; raises UpstreamError when it is unreadable, empty or an LFS pointer."""
    if lfs_pointer(path) is not None:
        raise UpstreamError(f"{path.name} is a Git LFS pointer, not the file")
    try:
        with path.open("rb") as handle:
            head = handle.read(_MAX_HEADER_BYTES).decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise UpstreamError(f"cannot read {path.name}: {error}") from None
    try:
        row = next(csv.reader(io.StringIO(head.splitlines()[0] if head else "")), [])
    except csv.Error as error:
        raise UpstreamError(f"{path.name} is not CSV: {error}") from None
    header = [name.strip() for name in row]
    if not header or any(not name for name in header):
        raise UpstreamError(f"{path.name} has no usable header row")
    return header


def duration(seconds: float) -> str:
    """A manifest duration (`2h`, `90m`, `45s`) for a number of seconds."""
    whole = round(seconds)
    if whole > 0 and whole % 3600 == 0:
        return f"{whole // 3600}h"
    if whole > 0 and whole % 60 == 0:
        return f"{whole // 60}m"
    return f"{max(whole, 1)}s"


def relative(path: Path, root: Path) -> str:
    """`path` as a POSIX path relative to the checkout root."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def inside(root: Path, reference: str) -> Path | None:
    """`root / reference` when it is a relative path that stays inside `root`, else None."""
    if not reference or Path(reference).is_absolute():
        return None
    candidate = (root / reference).resolve()
    return candidate if candidate.is_relative_to(root.resolve()) else None


def _yaml_text(data: dict[str, Any], header: str) -> str:
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.width = 120
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    yaml.indent(mapping=2, sequence=4, offset=2)
    buffer = io.StringIO()
    yaml.dump(json.loads(json.dumps(data)), buffer)  # a fresh tree: no shared objects, so no YAML aliases
    return "".join(f"# {line}\n" for line in header.splitlines()) + buffer.getvalue()


def check_manifest(data: dict[str, Any]) -> str | None:
    """None when `data` is a valid manifest, else the validation errors in one line."""
    try:
        MANIFEST_ADAPTER.validate_python({"version": "1.0.0", **data})
    except ValidationError as error:
        return "; ".join(f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}" for item in error.errors())
    return None


def _bump_patch(version: str) -> str:
    match = re.match(r"^(\d+)\.(\d+)\.(\d+)", version)
    if match is None:
        return "1.0.0"
    major, minor, patch = (int(part) for part in match.groups())
    return f"{major}.{minor}.{patch + 1}"


def _existing_version(manifest: Path) -> str | None:
    try:
        data = read_yaml(manifest)
    except UpstreamError:
        return None
    version = data.get("version") if isinstance(data, dict) else None
    return version if isinstance(version, str) else None


def _folder_files(folder: Path) -> set[str]:
    """Every file under a task folder, as POSIX paths relative to it."""
    if not folder.is_dir():
        return set()
    return {item.relative_to(folder).as_posix() for item in folder.rglob("*") if item.is_file()}


def write_task(
    out: Path, task_id: str, manifest: dict[str, Any], files: dict[str, bytes], header: str
) -> tuple[Path, str, Status]:
    """Write `<out>/<id>.yaml` and the task folder's `files` (name → bytes) so that re-importing is idempotent.

    `files` maps paths relative to the task folder (`starter/evaluate.py`) to their bytes. `manifest` has no
    `version`; it is 1.0.0 for a new task, kept when nothing changed (the manifest text and
    every file byte-identical), and the existing version's patch + 1 when anything changed. Files of the task
    folder that the import no longer produces are removed.
    """
    path = out / f"{task_id}.yaml"
    folder = out / task_id
    existing = _existing_version(path) if path.is_file() else None

    def render(version: str) -> str:
        data = {key: manifest[key] for key in ("schema_version", "id")}
        data["version"] = version
        data.update({key: value for key, value in manifest.items() if key not in data})
        return _yaml_text(data, header)

    status: Status
    if existing is not None:
        same_text = path.read_text(encoding="utf-8") == render(existing)
        present = _folder_files(folder)
        same_files = present == set(files) and all((folder / name).read_bytes() == data for name, data in files.items())
        if same_text and same_files:
            return path, existing, "unchanged"
        version, status = _bump_patch(existing), "updated"
    else:
        version, status = "1.0.0", "new"
    folder.mkdir(parents=True, exist_ok=True)
    for stale in _folder_files(folder) - set(files):
        (folder / stale).unlink()
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    path.write_text(render(version), encoding="utf-8")
    return path, version, status


def read_config(path: Path, upstream: str, report: ImportReport, required: tuple[str, ...]) -> dict[str, Any] | None:
    """An upstream YAML config as a mapping with `required` keys, or None after reporting why not."""
    try:
        config = read_yaml(path)
    except UpstreamError as error:
        report.error(upstream, str(error))
        return None
    if not isinstance(config, dict):
        report.error(upstream, f"{path.name} is not a mapping")
        return None
    missing = [key for key in required if not config.get(key)]
    if missing:
        report.error(upstream, f"{path.name} lacks {', '.join(missing)}")
        return None
    return config


def claim_id(upstream_id: str, upstream: str, report: ImportReport, seen: dict[str, str]) -> str | None:
    """The slug for an upstream id, or None (reported) when it is empty or already taken by another entry."""
    task_id = slugify(upstream_id)
    if not task_id:
        report.error(upstream, f"id {upstream_id!r} has no letters or digits")
        return None
    if task_id in seen:
        report.error(upstream, f"id {upstream_id!r} (slug {task_id!r}) is also used by {seen[task_id]}; skipped")
        return None
    return task_id
