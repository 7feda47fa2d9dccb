"""Import a manifest's `module:function` entry point, from an installed package or an upstream checkout."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any


def entrypoint_root(import_path: str | None, manifest_path: Path) -> Path | None:
    """The folder an entry point is imported from (`import_path` read relative to the manifest's folder), or None."""
    if import_path is None:
        return None
    return (manifest_path.parent / import_path).resolve()


def import_entrypoint(entrypoint: str, import_path: str | None, manifest_path: Path) -> Any:
    """The object `module:function` names, with `import_path` (if any) first on `sys.path`.

    Raises ImportError when the module cannot be imported and AttributeError when it lacks the function.
    """
    module_name, _, function_name = entrypoint.partition(":")
    root = entrypoint_root(import_path, manifest_path)
    if root is not None:
        if not root.is_dir():
            raise ImportError(f"import_path {root} is not a folder")
        if str(root) not in sys.path:
            sys.path.insert(0, str(root))
    module = importlib.import_module(module_name)
    return getattr(module, function_name)
