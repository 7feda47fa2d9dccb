"""Point a manifest's `leaderboard:` entry at a built leaderboard, by a minimal line edit that keeps comments."""

from __future__ import annotations

import re
import shutil
import uuid
from pathlib import Path

from spec import parse_manifest

from ._problem import LeaderboardError

_PLAIN = re.compile(r"^[A-Za-z0-9_./-]+$")


def _top_level(key: str) -> re.Pattern[str]:
    return re.compile(rf"""^(["']?){key}\1\s*:(\s|$)""")


def _block_end(lines: list[str], start: int) -> int:
    """Index just past the top-level entry starting at `start`: its indented continuation lines."""
    end = start + 1
    probe = end
    while probe < len(lines):
        line = lines[probe]
        if not line.strip():
            probe += 1
            continue
        if line[0] in " \t":
            probe += 1
            end = probe
            continue
        break
    return end


def _scalar(value: str) -> str:
    # A JSON string is a valid YAML double-quoted scalar.
    return value if _PLAIN.match(value) else '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def set_manifest_leaderboard(manifest_path: Path, reference: str, provenance: str = "reference-solvers") -> bool:
    """Set or replace the manifest's top-level `leaderboard:` entry; False when it already says exactly that.

    Only the entry's own lines change (a new entry goes after the `metric:` entry); the result is parsed
    before it is written, and written atomically. Raises `LeaderboardError` when the edit would not leave a
    valid manifest that names `reference`.
    """
    text = manifest_path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    entry = f"leaderboard: {{path: {_scalar(reference)}, provenance: {_scalar(provenance)}}}{newline}"
    key = _top_level("leaderboard")
    start = next((index for index, line in enumerate(lines) if key.match(line)), None)
    if start is not None:
        lines[start : _block_end(lines, start)] = [entry]
    else:
        metric = _top_level("metric")
        after = next((index for index, line in enumerate(lines) if metric.match(line)), None)
        at = len(lines) if after is None else _block_end(lines, after)
        if at == len(lines) and lines and not lines[-1].endswith(("\n", "\r")):
            lines[-1] += newline
        lines.insert(at, entry)
    edited = "".join(lines)
    if edited == text:
        return False
    loaded = parse_manifest(manifest_path, edited.encode("utf-8"))
    board = getattr(loaded.manifest, "leaderboard", None)
    if loaded.manifest is None or board is None or board.path != reference or board.provenance != provenance:
        problems = "; ".join(problem.message for problem in loaded.problems[:3])
        raise LeaderboardError(
            f"could not set the leaderboard entry of {manifest_path} by a line edit"
            + (f": {problems}" if problems else "")
            + "; add `leaderboard: {path: " + reference + f", provenance: {provenance}}}` by hand"
        )  # fmt: skip
    temporary = manifest_path.with_name(f".{manifest_path.name}.{uuid.uuid4().hex}.tmp")
    try:
        temporary.write_bytes(edited.encode("utf-8"))
        shutil.copymode(manifest_path, temporary)
        temporary.replace(manifest_path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return True
