"""A batch's run configuration: what `runner exec` was asked, as a file (`--config run.toml`) and in every result."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import ConfigDict, Field, ValidationError

from runner._errors import EXIT_USAGE, BenchsmithError
from spec import StrictModel

DEFAULT_RETRIES = 2
"""Times a trial that ended in infra_error is run again within one batch (`--retry-on-error`)."""


def _flag(name: str) -> str:
    return name.replace("_", "-")


class RunConfigError(BenchsmithError):
    """A run configuration file that cannot be read or does not fit `RunConfig`; the message says where."""

    exit_code = EXIT_USAGE


class RunConfig(StrictModel):
    """The settings of one `runner exec` batch. Keys are the command's flags without the dashes in front
    (`agent-arg`, `runs-dir`, ...); a flag given on the command line wins over the file. Never holds a key: only the
    NAME of the variable that does (`api-key-env`)."""

    model_config = ConfigDict(alias_generator=_flag, populate_by_name=True)

    tasks: list[str] = Field(default_factory=list, description="Manifest paths, task folders or ids to run.")
    agent: str = Field(default="sample", description="Agent name (`--agent`).")
    agent_arg: list[str] = Field(default_factory=list, description="Arguments for the agent (`--agent-arg`).")
    backend: str = Field(default="auto", description="Sandbox backend: auto, local, docker or a plug-in's.")
    seeds: int = Field(default=1, ge=1, description="Trials per task, seeds 0..N-1.")
    jobs: int | None = Field(default=None, ge=1, description="Trials run at once (None: the executor's default).")
    executor: str = Field(default="local", description="Where trials run: local, ray or a plug-in's.")
    address: str | None = Field(default=None, description="Ray: address of a running cluster.")
    runs_dir: Path = Field(default=Path("runs"), description="Where trial folders and result.json files go.")
    model: str | None = Field(default=None, description="Model for agents that use one, as recorded.")
    base_url: str | None = Field(default=None, description="OpenAI-protocol endpoint of the model.")
    api_key_env: str | None = Field(default=None, description="NAME of the variable that holds the model's key.")
    max_steps: int | None = Field(default=None, ge=1, description="llm/gpt: most nodes; --allow-model: most calls.")
    max_cost: float | None = Field(default=None, ge=0, description="US dollars the whole batch may spend.")
    allow_model: bool = Field(default=False, description="command agent: the sandbox may call the model via a proxy.")
    model_limit: list[str] = Field(default_factory=list, description="Per-trial model limits with --allow-model.")
    suite: str | None = Field(default=None, description="Also run every task of this suite.")
    tag: list[str] = Field(default_factory=list, description="Also run every task with these key=value tags.")
    tasks_dir: Path | None = Field(default=None, description="Catalogue that ids are looked up in.")
    cache_dir: Path | None = Field(default=None, description="Prepared-data cache.")
    mlebench_data: Path | None = Field(default=None, description="Folder of downloaded MLE-bench competition data.")
    record: str | None = Field(default=None, description="Speedrun tasks: the record the agent starts from.")
    hint_level: str | None = Field(default=None, description="Speedrun tasks: hints given.")
    mlebench_rounding: bool = Field(default=False, description="Judge medals on scores rounded as MLE-bench does.")
    retry_on_error: int = Field(
        default=DEFAULT_RETRIES, ge=0, description="Times a trial that ended in infra_error is run again."
    )
    fail_on_error: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="Share of trials that may end in infra_error before the batch exits 1 (0: any fails it).",
    )

    @classmethod
    def read(cls, path: Path) -> RunConfig:
        """The configuration in the TOML file `path` (top-level keys, or a `[run]` table); RunConfigError says
        which line or key is wrong and how."""
        try:
            data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise RunConfigError(f"{path}: cannot read the run configuration: {error.strerror or error}") from None
        except tomllib.TOMLDecodeError as error:
            raise RunConfigError(f"{path}: not valid TOML: {error}") from None
        table = data.get("run", data) if set(data) <= {"run"} else data
        try:
            return cls.model_validate(table)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "(file)"
            known = ", ".join(sorted(_flag(name) for name in cls.model_fields))
            hint = f" (known keys: {known})" if first["type"] == "extra_forbidden" else ""
            raise RunConfigError(f"{path}: key {where}: {first['msg']}{hint}") from None

    def given_keys(self) -> dict[str, Any]:
        """The settings the file set, by parameter name (what the command's defaults become)."""
        return {name: getattr(self, name) for name in self.model_fields_set}
