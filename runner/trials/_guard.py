"""Keep the agent's code, which runs inside the test evaluation, away from the hidden test data.

Not imported by the runner: research trials copy this stdlib-only file into every sandbox's /task as
`benchsmith_guard.py`, beside the task's evaluator, which imports it (docs/research.md, "Guarding hidden data").

The test evaluation sandbox holds `/data/private`, and the agent's code runs inside it (a module or checkpoint
artefact must run to be scored). Two things stop that code
from reading what it must predict: the evaluator makes itself non-dumpable before it reads any hidden data (so a
process of the same user can neither ptrace it nor read its memory through /proc), and an inotify watch on the
private folder notices any file opened there while the agent's code runs.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from pathlib import Path

_PR_SET_DUMPABLE = 4
_IN_OPEN = 0x20
_IN_ACCESS = 0x01
_IN_NONBLOCK = 0o4000


# Not a BenchsmithError: this file runs inside the sandbox, where only the standard library is importable.
class GuardError(RuntimeError):
    """The protection cannot be set up here (no inotify): the test split cannot be scored safely."""


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def make_undumpable() -> None:
    """Deny other processes of this user ptrace access and reads of this process's memory."""
    if _libc().prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise GuardError(f"prctl(PR_SET_DUMPABLE) failed: {os.strerror(ctypes.get_errno())}")


def private_folder(public: Path, private: Path | None) -> Path | None:
    """The folder to watch: `--private` when given, else a `private` folder beside `--public` (the evaluation
    sandbox mounts both, and the dev run must not be a window for reading the test data either)."""
    if private is not None:
        return private
    sibling = public.resolve().parent / "private"
    return sibling if sibling.is_dir() else None


class AccessWatch:
    """Records every open or read of a file under a folder, from any process, from now on."""

    def __init__(self, folder: Path) -> None:
        libc = _libc()
        self._fd = libc.inotify_init1(_IN_NONBLOCK)
        if self._fd < 0:
            raise GuardError(f"inotify is not available: {os.strerror(ctypes.get_errno())}")
        # Listed before any watch begins: listing opens the folders, which a watch would report.
        for directory in [directory for directory, _, _ in os.walk(folder)]:
            if libc.inotify_add_watch(self._fd, os.fsencode(directory), _IN_OPEN | _IN_ACCESS) < 0:
                raise GuardError(f"cannot watch {directory}: {os.strerror(ctypes.get_errno())}")

    def touched(self) -> bool:
        """Whether anything under the folder was opened or read since the watch began."""
        try:
            return bool(os.read(self._fd, 65536))
        except BlockingIOError:
            return False

    def close(self) -> None:
        os.close(self._fd)
