"""Prepare scripts and entry points run in a subprocess with a time limit, never inside the validator."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from spec import AnyTask, EntrypointPrepare, ScriptPrepare, entrypoint_root

from ._errors import PreparationError

DEFAULT_TIMEOUT_S = 600.0
_TAIL = 2000

# The child imports the script by path (or the entry point by name, from `import_path` first when the manifest names
# one: an upstream checkout) and calls prepare(raw, public, private).
_CHILD = """
import importlib, importlib.util, sys
from pathlib import Path
kind, target, raw, public, private, root = sys.argv[1:7]
if root:
    sys.path.insert(0, root)
if kind == "script":
    spec = importlib.util.spec_from_file_location("benchsmith_task_prepare", target)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(Path(target).parent))
    spec.loader.exec_module(module)
    function = module.prepare
else:
    module_name, _, function_name = target.partition(":")
    function = getattr(importlib.import_module(module_name), function_name)
function(Path(raw), Path(public), Path(private))
"""


def run_prepare_code(
    task: AnyTask, manifest_path: Path, raw: Path, public: Path, private: Path, timeout_s: float = DEFAULT_TIMEOUT_S
) -> None:
    """Call the task's `prepare(raw, public, private)` in a child Python; raise PreparationError on failure."""
    prepare = task.prepare
    root = ""
    if isinstance(prepare, ScriptPrepare):
        kind, target, field = "script", str((manifest_path.parent / prepare.script).resolve()), ("prepare", "script")
    elif isinstance(prepare, EntrypointPrepare):
        kind, target, field = "entrypoint", prepare.entrypoint, ("prepare", "entrypoint")
        folder = entrypoint_root(prepare.import_path, manifest_path)
        if folder is not None:
            if not folder.is_dir():
                raise PreparationError(f"import_path {folder} is not a folder", ("prepare", "import_path"))
            root = str(folder)
    else:
        raise TypeError("run_prepare_code is for script and entry-point preparers")
    command = [sys.executable, "-c", _CHILD, kind, target, str(raw), str(public), str(private), root]
    try:
        completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise PreparationError(f"prepare did not finish within {timeout_s:g} s; it was stopped", field) from None
    if completed.returncode != 0:
        tail = completed.stderr.strip()[-_TAIL:]
        raise PreparationError(f"prepare failed with exit code {completed.returncode}:\n{tail}", field)
