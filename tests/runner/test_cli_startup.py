"""The CLI starts without the heavy libraries: only the command that runs imports what it needs."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import version
from typing import Any

import typer

# pygments and markdown_it come with rich-formatted help (typer.rich_utils), which alone took longer than the goal.
HEAVY = (
    "pandas",
    "numpy",
    "openai",
    "docker",
    "ray",
    "matplotlib",
    "sklearn",
    "scipy",
    "pyarrow",
    "pygments",
    "markdown_it",
)

_PROBE = """
import contextlib, io, json, sys
import runner.cli
imported = {"import": sorted(m for m in HEAVY if m in sys.modules)}
for name, argv in COMMANDS.items():
    sys.argv = ["runner", *argv]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
        runner.cli.main()
    imported[name] = sorted(m for m in HEAVY if m in sys.modules)
print(json.dumps(imported))
"""


def _heavy_modules_after(commands: dict[str, list[str]]) -> dict[str, list[str]]:
    """In a fresh interpreter: the heavy modules loaded by `import runner.cli`, then after each command."""
    code = f"HEAVY = {HEAVY!r}\nCOMMANDS = {commands!r}\n{_PROBE}"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    loaded: dict[str, list[str]] = json.loads(done.stdout.strip().splitlines()[-1])
    return loaded


def test_importing_the_cli_and_asking_for_help_loads_no_heavy_library() -> None:
    # Every command's help is built too (typer builds the whole command tree for any invocation).
    commands = {"--help": ["--help"], "--version": ["--version"], "exec --help": ["exec", "--help"]}
    loaded = _heavy_modules_after(commands)
    assert loaded == {"import": [], **{name: [] for name in commands}}


def test_version_prints_the_installed_version() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "from runner.cli import main; main()", "--version"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"benchsmith {version('benchsmith')}"


def _command(app: typer.Typer, *path: str) -> Any:
    """The built command at `path` (typer ships its own click, so it is looked up by attributes)."""
    command: Any = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]
    return command


def _option_help(path: list[str], option: str) -> str:
    from runner.cli import app

    [param] = [param for param in _command(app, *path).params if f"--{option}" in param.opts]
    return str(param.help or "")


def test_help_texts_written_out_match_the_registries() -> None:
    # The help names registries' values without importing them (they load openai, pandas, numpy).
    from runner.agents import agent_names
    from runner.executors import executor_names
    from runner.importers import DEFAULT_OUT
    from runner.llm import DEFAULT_API_KEY_ENV, DEFAULT_BASE_URL, DEFAULT_MODEL
    from runner.llm_server import DEFAULT_CHAT_FORMAT, DEFAULT_N_CTX, DEFAULT_START_TIMEOUT

    agents = _option_help(["exec"], "agent").removeprefix("Agent: ").split(" (")[0]
    assert sorted(agents.split(", ")) == sorted(agent_names())
    executors = _option_help(["exec"], "executor").removeprefix("Where trials run: ").split(" (")[0]
    assert sorted(executors.split(", ")) == sorted(executor_names())
    assert _option_help(["generate"], "model").endswith(f"else {DEFAULT_MODEL}.")
    assert _option_help(["generate"], "base-url").endswith(f"else {DEFAULT_BASE_URL}.")
    assert _option_help(["generate"], "api-key-env").endswith(f"else {DEFAULT_API_KEY_ENV}.")
    from runner.cli import app

    serve = {param.name: param.default for param in _command(app, "llm", "serve").params}
    assert (serve["chat_format"], serve["timeout"], serve["n_ctx"]) == (
        DEFAULT_CHAT_FORMAT,
        DEFAULT_START_TIMEOUT,
        DEFAULT_N_CTX,
    )
    for benchmark, out in DEFAULT_OUT.items():
        assert _option_help(["import", benchmark], "out") == f"Output folder. Default: {out}."


def test_llm_config_takes_the_options_of_runner_llm_config() -> None:
    from runner.cli import app
    from runner.llm._cli import llm_app

    mounted = _command(app, "llm", "config")
    original = _command(llm_app, "config")
    described = [(param.opts, getattr(param, "help", None)) for param in mounted.params]
    assert described == [(param.opts, getattr(param, "help", None)) for param in original.params]
    assert mounted.help == original.help
