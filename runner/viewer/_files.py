"""Bounded reads of a trial folder's files: regular files only, never through a link, never all of a huge log."""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

CAP_NOTE = re.compile(r"\[benchsmith: \d+ bytes of output left out here[^\]\n]*\]")
_CAP_NOTE_BYTES = re.compile(CAP_NOTE.pattern.encode())
"""The line the sandbox puts where it left out the middle of a command's output (runner.sandboxes)."""


@dataclass(frozen=True)
class Excerpt:
    """Part of a text file: `text` is bytes `start`..`start + len` of a file of `size` bytes."""

    text: str
    size: int
    start: int = 0
    shown: int = 0

    @property
    def cut_before(self) -> int:
        """Bytes of the file before the excerpt."""
        return self.start

    @property
    def cut_after(self) -> int:
        """Bytes of the file after the excerpt."""
        return max(0, self.size - self.start - self.shown)

    def segments(self) -> list[tuple[str, bool]]:
        """The text as (piece, is a note of the sandbox's output cap) pieces, in order."""
        pieces: list[tuple[str, bool]] = []
        position = 0
        for match in CAP_NOTE.finditer(self.text):
            if match.start() > position:
                pieces.append((self.text[position : match.start()], False))
            pieces.append((match.group(0), True))
            position = match.end()
        if position < len(self.text):
            pieces.append((self.text[position:], False))
        return pieces


def _open_regular(path: Path) -> int | None:
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    if not stat.S_ISREG(os.fstat(handle).st_mode):
        os.close(handle)
        return None
    return handle


def read_excerpt(path: Path, limit: int, *, tail: bool = False) -> Excerpt | None:
    """The first (or with `tail`, the last) `limit` bytes of a regular file as text; None when there is no such
    file (missing, a link, a folder, a FIFO)."""
    handle = _open_regular(path)
    if handle is None:
        return None
    with os.fdopen(handle, "rb") as stream:
        size = os.fstat(stream.fileno()).st_size
        start = max(0, size - limit) if tail else 0
        stream.seek(start)
        data = stream.read(limit)
    return Excerpt(data.decode("utf-8", errors="replace"), size, start, len(data))


def cap_notes(path: Path, end: int, limit: int = 20) -> list[str]:
    """The sandbox's output-cap notes in the first `end` bytes of a regular file (at most `limit` of them): where
    a log's shown tail starts after the notes, they are listed apart so that no cut goes unmarked."""
    import mmap

    handle = _open_regular(path)
    if handle is None:
        return []
    with os.fdopen(handle, "rb") as stream:
        end = min(end, os.fstat(stream.fileno()).st_size)
        if end <= 0:
            return []
        with mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            found = _CAP_NOTE_BYTES.finditer(mapped, 0, end)
            return [match.group(0).decode() for _, match in zip(range(limit), found, strict=False)]


def read_text(path: Path, limit: int = 256 * 1024) -> str | None:
    """A small regular file's text (its first `limit` bytes), or None."""
    excerpt = read_excerpt(path, limit)
    return None if excerpt is None else excerpt.text


def real_subfolders(folder: Path) -> list[Path]:
    """The folders directly in `folder`, by name, links left out."""
    try:
        with os.scandir(folder) as entries:
            return sorted(Path(e.path) for e in entries if e.is_dir(follow_symlinks=False))
    except OSError:
        return []


def is_real_folder(path: Path) -> bool:
    """A folder reached without a link at its last component."""
    try:
        return stat.S_ISDIR(path.lstat().st_mode)
    except OSError:
        return False
