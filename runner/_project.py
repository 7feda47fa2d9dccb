"""The project's benchsmith settings: `[tool.benchsmith]` of ./benchsmith.toml or ./pyproject.toml (first found)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

CONFIG_FILES = ("benchsmith.toml", "pyproject.toml")
"""Project config files, first found wins: `[tool.benchsmith]` (benchsmith.toml may also use top-level keys)."""


def _table(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None  # an unreadable project file configures nothing; the defaults apply
    table = data.get("tool", {}).get("benchsmith")
    if isinstance(table, dict):
        return table
    if path.name == "benchsmith.toml":
        return {key: value for key, value in data.items() if key != "tool"}
    return None


def project_settings(directory: Path) -> tuple[dict[str, Any], str]:
    """The benchsmith settings table found in `directory` and where it came from (`config PATH [tool.benchsmith]`);
    `({}, "")` when there is none."""
    for name in CONFIG_FILES:
        path = directory / name
        table = _table(path)
        if table is not None:
            return table, f"config {path}" + (" [tool.benchsmith]" if name == "pyproject.toml" else "")
    return {}, ""
