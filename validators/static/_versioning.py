"""A task whose content changed since a git ref must carry a higher version."""

from __future__ import annotations

import io
import re
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from runner import BenchsmithError
from spec import LoadedTask, Problem, parse_manifest, task_digest

from .._registry import CheckContext, task_check

_SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+.*)?$")


class GitError(BenchsmithError, RuntimeError):
    """git could not answer; the message says what was asked."""


def semver_key(version: str) -> tuple[int, int, int, tuple[tuple[int, int | str], ...]]:
    """Sort key following semver precedence: a pre-release sorts before its release."""
    match = _SEMVER.match(version)
    if match is None:
        raise ValueError(f"not a semantic version: {version!r}")
    major, minor, patch, pre = match.groups()
    if pre is None:
        pre_key: tuple[tuple[int, int | str], ...] = ((2, 0),)
    else:
        pre_key = tuple((0, int(part)) if part.isdigit() else (1, part) for part in pre.split("."))
    return int(major), int(minor), int(patch), pre_key


def _git(repo: Path, *arguments: str) -> bytes:
    try:
        completed = subprocess.run(["git", "-C", str(repo), *arguments], capture_output=True, check=False, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise GitError(f"git {' '.join(arguments)} failed: {error}") from None
    if completed.returncode != 0:
        raise GitError(completed.stderr.decode(errors="replace").strip() or f"git {' '.join(arguments)} failed")
    return completed.stdout


@cache
def repository_root(start: Path) -> Path:
    """The top of the git work tree holding `start`."""
    return Path(_git(start, "rev-parse", "--show-toplevel").decode().strip())


def verify_ref(repo: Path, ref: str) -> None:
    """Raise GitError with a readable message when `ref` names no commit."""
    _git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")


def changed_files(repo: Path, ref: str) -> frozenset[Path]:
    """Absolute paths of files that differ from `ref` in the work tree, untracked ones included."""
    tracked = _git(repo, "diff", "--name-only", "-z", ref, "--").split(b"\0")
    untracked = _git(repo, "ls-files", "--others", "--exclude-standard", "-z").split(b"\0")
    return frozenset((repo / name.decode()).resolve() for name in [*tracked, *untracked] if name)


def task_changed(task: LoadedTask, ref: str, changed: frozenset[Path] | None = None) -> bool:
    """True when the manifest or any file of its task folder differs from `ref`.

    `changed` is `changed_files(repo, ref)` when the caller already asked git, so a catalogue costs one call.
    """
    if changed is None:
        changed = changed_files(repository_root(task.path.parent.resolve()), ref)
    manifest = task.path.resolve()
    task_dir = task.task_dir.resolve()
    return any(path == manifest or path.is_relative_to(task_dir) for path in changed)


def _digest_at(task: LoadedTask, ref: str) -> tuple[str, str] | None:
    """(version, digest) of the task as it was at `ref`, or None when it did not exist there."""
    repo = repository_root(task.path.parent.resolve())
    manifest = task.path.resolve().relative_to(repo).as_posix()
    task_dir = task.task_dir.resolve().relative_to(repo).as_posix()
    try:
        old_manifest = _git(repo, "show", f"{ref}:{manifest}")
    except GitError:
        return None
    with tempfile.TemporaryDirectory(prefix="benchsmith-ref-") as scratch:
        root = Path(scratch)
        old_path = root / manifest
        old_path.parent.mkdir(parents=True, exist_ok=True)
        old_path.write_bytes(old_manifest)
        listed = _git(repo, "ls-tree", "-r", "--name-only", ref, "--", task_dir).strip()
        if listed:
            archive = _git(repo, "archive", "--format=tar", ref, "--", task_dir)
            with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
                tar.extractall(root, filter="data")
        old = parse_manifest(old_path, old_manifest)
        version = old.manifest.version if old.manifest is not None else "0.0.0"
        return version, task_digest(old_path, old.manifest, old_manifest)


@task_check(
    "version-bump",
    codes=("version.not-bumped", "version.git-error"),
    description="With --changed-since REF: a task whose content changed since REF has a higher version.",
)
def check_version_bump(task: LoadedTask, context: CheckContext) -> Iterator[Problem]:
    ref = context.changed_since
    if ref is None or task.manifest is None:
        return
    try:
        if not task_changed(task, ref, context.changed_files):
            return
        before = _digest_at(task, ref)
    except GitError as error:
        yield task.problem("version.git-error", f"cannot compare with {ref}: {error}", ("version",))
        return
    if before is None:
        return
    old_version, old_digest = before
    if old_digest == task_digest(task.path, task.manifest, task.raw):
        return
    try:
        bumped = semver_key(task.manifest.version) > semver_key(old_version)
    except ValueError:
        bumped = True  # the old manifest had no readable version; nothing to compare against
    if not bumped:
        yield task.problem(
            "version.not-bumped",
            f"the task changed since {ref} but its version is still {task.manifest.version} "
            f"(was {old_version}); raise it, e.g. to a new patch, minor or major version",
            ("version",),
        )
