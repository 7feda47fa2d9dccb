"""The static layer: checks that read a task's files without running any of its code."""

from . import (
    _entrypoints,
    _identity,
    _jsonschema,
    _leaderboard,
    _metric,
    _paths,
    _research,
    _scripts,
    _speedrun,
    _targets,
    _versioning,
)
from ._versioning import GitError, changed_files, repository_root, semver_key, task_changed, verify_ref

__all__ = [
    "GitError",
    "_entrypoints",
    "_identity",
    "_jsonschema",
    "_leaderboard",
    "_metric",
    "_paths",
    "_research",
    "_scripts",
    "_speedrun",
    "_targets",
    "_versioning",
    "changed_files",
    "repository_root",
    "semver_key",
    "task_changed",
    "verify_ref",
]
