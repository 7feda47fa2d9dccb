"""Which model, which server, which key variable: resolved flag > environment > config file > default."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from runner._errors import EXIT_USAGE, BenchsmithError
from runner._project import project_settings

DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_API_KEY_ENV = "OPENAI_API_KEY"

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

    def summary(self) -> str:
        """One line of `describe()`: `model: M (source), base_url: ...`."""
        return ", ".join(f"{name}: {entry['value']} ({entry['source']})" for name, entry in self.describe().items())


ENDPOINT_SOURCE = "endpoint /models"
"""The source of a model read from what the endpoint serves (no flag, variable or config file chose one)."""


class ModelMismatch(BenchsmithError, ValueError):
    """The chosen model is not among those the endpoint serves, or the endpoint serves several and none was chosen."""

    exit_code = EXIT_USAGE


def reconcile_with_endpoint(
    settings: ModelSettings, served: Callable[[ModelSettings], Sequence[str] | None]
) -> ModelSettings:
    """The settings with the model the endpoint really answers with, so that a trial records the model that replied.

    Without a chosen model (source `default`), a server that lists exactly one model (a local llama.cpp or vLLM)
    supplies it; one that lists several and not the default needs `--model`. A chosen model the endpoint does not
    list is refused. An endpoint that does not answer `/models` leaves the settings as they are.
    """
    models = list(served(settings) or ())
    if not models:
        return settings
    where, chosen = settings.base_url.value, settings.model
    listed = ", ".join(models[:8]) + (f" and {len(models) - 8} more" if len(models) > 8 else "")
    if chosen.value in models:
        return settings
    if chosen.source == "default":
        if len(models) == 1:
            return replace(settings, model=Setting(models[0], ENDPOINT_SOURCE))
        raise ModelMismatch(f"{where} serves {listed}, not the default {chosen.value}: choose one with --model")
    raise ModelMismatch(
        f"model {chosen.value} ({chosen.source}) is not served by {where}, which serves {listed}: "
        "fix --model or --base-url"
    )


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
    table, where = project_settings(Path.cwd() if cwd is None else cwd)
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
