"""The invariants a speedrun run must keep, checked by reading files (never by running them)."""

from __future__ import annotations

import ast
import mmap
from pathlib import Path

from runner.preparation import PreparedTask
from spec import SpeedrunTask

from ._measure import DATA_FOLDER, public_hashes, sha256_file


def declared_slices(workspace: Path, constant: str, tokens: int) -> list[str]:
    """Places in the workspace's Python files that give the validation-slice constant another integer.

    The name matches case-insensitively (NanoGPT writes `val_tokens`, the CPU chains `VAL_TOKENS`): plain and
    annotated assignments, dataclass defaults and keyword arguments all count.
    """
    wanted = constant.lower()
    found = []
    for path in sorted(workspace.rglob("*.py")):
        relative = path.relative_to(workspace)
        if relative.parts and relative.parts[0] == DATA_FOLDER:
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8", errors="replace"))
        except SyntaxError:
            continue  # a script that does not parse fails when it runs; that is reported there
        for node in ast.walk(tree):
            pairs: list[tuple[ast.expr, ast.expr | None]] = []
            if isinstance(node, ast.Assign):
                pairs = [(target, node.value) for target in node.targets]
            elif isinstance(node, ast.AnnAssign):
                pairs = [(node.target, node.value)]
            elif isinstance(node, ast.keyword) and node.arg is not None and node.arg.lower() == wanted:
                pairs = [(ast.Name(id=node.arg), node.value)]
            for target, value in pairs:
                name = target.id if isinstance(target, ast.Name) else getattr(target, "attr", None)
                if not isinstance(name, str) or name.lower() != wanted or not isinstance(value, ast.Constant):
                    continue
                if isinstance(value.value, int) and not isinstance(value.value, bool) and value.value != tokens:
                    found.append(f"{relative.as_posix()}:{value.lineno} sets {name} = {value.value}")
    return found


def _holders(needle: bytes, folder: Path) -> list[str]:
    """Files under `folder` that contain `needle` byte for byte (relative paths)."""
    found = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.stat().st_size < len(needle):
            continue
        with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as content:
            if content.find(needle) >= 0:
                found.append(path.relative_to(folder).as_posix())
    return found


def pristine_problems(task: SpeedrunTask, prepared: PreparedTask) -> list[str]:
    """What is wrong with the prepared data itself (a broken task, not the agent's doing)."""
    problems = []
    validation = task.invariants.validation
    path = prepared.private / validation.file
    if not path.is_file():
        problems.append(f"the prepared private/{validation.file} (the evaluation slice) is missing")
    elif path.stat().st_size != validation.size_bytes:
        problems.append(
            f"the prepared private/{validation.file} holds {path.stat().st_size} bytes, not "
            f"{validation.tokens} {validation.dtype} tokens ({validation.size_bytes} bytes)"
        )
    elif validation.sha256 is not None and sha256_file(path) != validation.sha256:
        problems.append(f"the prepared private/{validation.file} does not match invariants.validation.sha256")
    else:
        problems += [
            f"the evaluation slice private/{validation.file} is in the public data (public/{name}); a timed script "
            "could memorise it (prepare must write a different public slice, or none)"
            for name in _holders(path.read_bytes(), prepared.public)
        ]
    prepared_public = public_hashes(prepared)
    for name, digest in task.invariants.data.items():
        if prepared_public.get(name) != digest:
            problems.append(f"the prepared public/{name} does not match invariants.data's SHA-256")
    return problems
