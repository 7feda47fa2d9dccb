"""The hidden-data guard is copied alone into every research sandbox's /task: it must import with the standard
library only (a `runner` import broke every research evaluation in the sandbox, where benchsmith is not installed)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

GUARD = REPO / "runner" / "trials" / "_guard.py"


def test_the_guard_imports_only_the_standard_library() -> None:
    tree = ast.parse(GUARD.read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}  # fmt: skip
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module and node.level == 0}  # fmt: skip
    assert imported - {"__future__"} <= set(sys.stdlib_module_names), imported


def test_the_guard_loads_where_benchsmith_is_not_installed(tmp_path: Path) -> None:
    copy = tmp_path / "benchsmith_guard.py"
    copy.write_text(GUARD.read_text(encoding="utf-8"), encoding="utf-8")
    # -S: no site-packages, so neither benchsmith nor anything else installed is importable.
    probe = subprocess.run(
        [sys.executable, "-S", "-c", "import sys; sys.path.insert(0, '.'); import benchsmith_guard; print('ok')"],
        capture_output=True, text=True, check=False, cwd=tmp_path, timeout=60,
    )  # fmt: skip
    assert probe.returncode == 0 and probe.stdout.strip() == "ok", probe.stderr
