"""What leaves a sandbox: the checks and copies for files an agent hands in (submissions, artefacts, workspaces).

An agent controls everything it leaves behind, so nothing it made is trusted to be a plain file: links would point
into the host's file system, special files (FIFOs, sockets, devices) block or never end when read, hard links
multiply what a copy holds, and a sparse file of a few blocks can claim terabytes. Copies here never follow links,
never open special files, keep holes as holes and stop at a byte limit.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path

from runner._errors import BenchsmithError

_CHUNK = 1 << 20


class HandedInError(BenchsmithError, ValueError):
    """What the agent handed in is not acceptable; the message says why (the agent's fault, not the runner's)."""


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISDIR, "a folder")):  # fmt: skip
        if test(mode):
            return name
    return "a special file"


def _problem(info: os.stat_result, label: str, max_bytes: int) -> str | None:
    if not stat.S_ISREG(info.st_mode):
        return f"{label} is {_kind(info.st_mode)}, not a regular file"
    if info.st_nlink > 1:
        return f"{label} is a hard link ({info.st_nlink} names for one file); hand in a file of its own"
    if info.st_size > max_bytes:
        return f"{label} is {info.st_size} bytes, over the {max_bytes}-byte limit"
    return None


def handed_in_problem(path: Path, max_bytes: int) -> str | None:
    """Why the file at `path` cannot be accepted (a link, special file, hard link, over `max_bytes`); None if fine."""
    try:
        return _problem(path.lstat(), path.name, max_bytes)
    except FileNotFoundError:
        return f"no file at {path.name}"


def tree_problem(path: Path, max_bytes: int) -> str | None:
    """Like `handed_in_problem` for a file or a folder of files (every entry checked, sizes summed)."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return f"no file at {path.name}"
    if not stat.S_ISDIR(info.st_mode):
        return _problem(info, path.name, max_bytes)
    total = 0
    for root, folders, files in os.walk(path):
        for name in sorted(folders + files):
            entry = Path(root, name)
            info = entry.lstat()
            if stat.S_ISDIR(info.st_mode):
                continue
            problem = _problem(info, f"{path.name}/{entry.relative_to(path).as_posix()}", max_bytes - total)
            if problem is not None:
                return problem
            total += info.st_size
    return None


def _copy_data(source: int, destination: int, size: int) -> None:
    """Copy the data regions of `source` (holes stay holes), then set the length."""
    offset = 0
    while offset < size:
        try:
            start = os.lseek(source, offset, os.SEEK_DATA)
        except OSError as error:
            if error.errno == errno.ENXIO:  # only a hole is left
                break
            raise
        end = os.lseek(source, start, os.SEEK_HOLE)
        os.lseek(source, start, os.SEEK_SET)
        os.lseek(destination, start, os.SEEK_SET)
        remaining = min(end, size) - start
        while remaining > 0:
            chunk = os.read(source, min(_CHUNK, remaining))
            if not chunk:
                break
            os.write(destination, chunk)
            remaining -= len(chunk)
        offset = end
    os.ftruncate(destination, size)


def _write_copy(fd: int, destination: Path, size: int, *, flags: int, mode: int) -> None:
    """Create `destination` (with the extra open `flags`) and copy `size` bytes of `fd` into it, holes kept."""
    out = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC | flags, mode)
    try:
        _copy_data(fd, out, size)
    finally:
        os.close(out)


def copy_handed_in(source: Path, destination: Path, max_bytes: int) -> None:
    """Copy one file the agent made: a regular file of at most `max_bytes`, never through a link, holes kept.

    Raises HandedInError when it is not acceptable (see `handed_in_problem`)."""
    try:
        fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        if error.errno in (errno.ELOOP, errno.ENXIO):  # a link; a FIFO or socket with no writer
            raise HandedInError(handed_in_problem(source, max_bytes) or str(error)) from None
        raise
    try:
        info = os.fstat(fd)  # of what was opened: the file cannot be swapped after the check
        if not stat.S_ISREG(info.st_mode) or info.st_nlink > 1 or info.st_size > max_bytes:
            raise HandedInError(handed_in_problem(source, max_bytes) or f"{source.name} changed while copied")
        _write_copy(fd, destination, info.st_size, flags=os.O_TRUNC | os.O_NOFOLLOW, mode=0o644)
    finally:
        os.close(fd)


def copy_tree_handed_in(source: Path, destination: Path, max_bytes: int) -> None:
    """Copy a file or folder the agent made (regular files and folders only, `max_bytes` in all, holes kept)."""
    problem = tree_problem(source, max_bytes)
    if problem is not None:
        raise HandedInError(problem)
    if not source.is_dir():
        copy_handed_in(source, destination, max_bytes)
        return
    destination.mkdir(parents=True, exist_ok=True)
    for root, folders, files in os.walk(source):
        target = destination / Path(root).relative_to(source)
        for name in folders:
            (target / name).mkdir(exist_ok=True)
        for name in files:
            copy_handed_in(Path(root, name), target / name, max_bytes)


def move_tree_out(source: Path, destination: Path) -> None:
    """Move what a workspace holds to `destination`, file by file (each removed once copied, so a file system that
    discards freed blocks never holds both): folders, regular files with their holes, hard links as links, symbolic
    links as links (never followed). FIFOs, sockets and devices are left behind."""
    destination.mkdir(parents=True, exist_ok=True)
    linked: dict[tuple[int, int], Path] = {}
    for root, folders, files in os.walk(source):
        target = destination / Path(root).relative_to(source)
        for name in folders:
            (target / name).mkdir(exist_ok=True)
        for name in files:
            entry, copy = Path(root, name), target / name
            info = entry.lstat()
            if stat.S_ISLNK(info.st_mode):
                copy.symlink_to(entry.readlink())
            elif stat.S_ISREG(info.st_mode):
                first = linked.get((info.st_dev, info.st_ino))
                if first is not None:
                    os.link(first, copy)
                else:
                    fd = os.open(entry, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
                    try:
                        _write_copy(fd, copy, info.st_size, flags=os.O_EXCL, mode=info.st_mode & 0o777)
                    finally:
                        os.close(fd)
                    if info.st_nlink > 1:
                        linked[(info.st_dev, info.st_ino)] = copy
            else:
                continue
            with contextlib.suppress(OSError):
                entry.unlink()
