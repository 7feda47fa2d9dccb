"""Which model, which server, which key variable: resolved flag > environment > config file > default."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_API_KEY_ENV = "OPENAI_API_KEY"
CONFIG_FILES = ("benchsmith.toml", "pyproject.toml")
"""Project config files, first found wins: `[tool.benchsmith]` (benchsmith.toml may also use top-level keys)."""

_FIELDS = ("model", "base_url", "api_key_env")
_FLAGS = {"model": "--model", "base_url": "--base-url", "api_key_env": "--api-key-env"}
_ENV = {"model": "BENCHSMITH_MODEL", "base_url": "OPENAI_BASE_URL", "api_key_env": "BENCHSMITH_API_KEY_ENV"}
_DEFAULTS = {"model": DEFAULT_MODEL, "base_url": DEFAULT_BASE_URL, "api_key_env": DEFAULT_API_KEY_ENV}


@dataclass(frozen=True)
class Setting:
    """One resolved value and where it came from: `flag --model`, `env BENCHSMITH_MODEL`, `config PATH`, `default`."""

    value: str
    source: str


@dataclass(frozen=True)
class ModelSettings:
    """Model, endpoint and the NAME of the variable holding the key (never the key), each with its source."""

    model: Setting
    base_url: Setting
    api_key_env: Setting

    @property
    def flag_hints(self) -> dict[str, str]:
        """The command-line flag that sets each field (for error messages)."""
        return dict(_FLAGS)

    def key_present(self, environ: Mapping[str, str] | None = None) -> bool:
        """Whether the key variable is set (its value is never returned)."""
        return bool((os.environ if environ is None else environ).get(self.api_key_env.value))

    def describe(self, environ: Mapping[str, str] | None = None) -> dict[str, dict[str, str]]:
        """Values and sources for display or provenance; says whether the key is set, never what it is."""
        shown = {name: {"value": getattr(self, name).value, "source": getattr(self, name).source} for name in _FIELDS}
        present = "set" if self.key_present(environ) else "missing"
        shown["api_key"] = {"value": present, "source": self.api_key_env.value}
        return shown


def _config_table(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError):
        return None
    table = data.get("tool", {}).get("benchsmith")
    if isinstance(table, dict):
        return table
    if path.name == "benchsmith.toml":
        return {key: value for key, value in data.items() if key in _FIELDS}
    return None


def _config(directory: Path) -> tuple[dict[str, Any], str]:
    for name in CONFIG_FILES:
        path = directory / name
        table = _config_table(path)
        if table is not None:
            where = f"config {path}" + (" [tool.benchsmith]" if name == "pyproject.toml" else "")
            return table, where
    return {}, ""


def resolve_settings(
    flags: Mapping[str, str | None] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> ModelSettings:
    """Resolve model, base_url and api_key_env: flag, then environment, then ./benchsmith.toml or
    ./pyproject.toml `[tool.benchsmith]`, then the built-in defaults; each value says where it came from."""
    flags = flags or {}
    env = os.environ if environ is None else environ
    table, where = _config(Path.cwd() if cwd is None else cwd)
    resolved: dict[str, Setting] = {}
    for name in _FIELDS:
        flag = flags.get(name)
        if flag:
            resolved[name] = Setting(flag, f"flag {_FLAGS[name]}")
        elif env.get(_ENV[name]):
            resolved[name] = Setting(env[_ENV[name]], f"env {_ENV[name]}")
        elif isinstance(table.get(name), str) and table[name]:
            resolved[name] = Setting(table[name], where)
        else:
            resolved[name] = Setting(_DEFAULTS[name], "default")
    return ModelSettings(**resolved)
