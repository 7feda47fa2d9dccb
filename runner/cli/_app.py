"""The `runner` command: one typer app that each command module adds itself to."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console


def _typer(name: str, help: str) -> typer.Typer:
    return typer.Typer(
        name=name,
        help=help,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )


app = _typer("runner", "benchsmith: validate, list, run and score benchmark tasks for ML-engineering agents.")


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            print(f"benchsmith {version('benchsmith')}")
        except PackageNotFoundError:  # a source tree run without installing
            print("benchsmith (not installed)")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _options(
    show_version: Annotated[
        bool,
        typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """benchsmith: validate, list, run and score benchmark tasks for ML-engineering agents."""


def command_group(name: str, help: str) -> typer.Typer:
    """A `runner NAME ...` group of subcommands, added to the app (every group behaves like the app)."""
    group = _typer(name, help)
    app.add_typer(group, name=name)
    return group


COMMAND_MODULES = (
    "_cache", "_envs", "_exec", "_export", "_generate", "_images", "_import", "_ladder", "_leaderboard", "_list",
    "_llm_serve", "_prepare", "_report", "_results", "_schema", "_show", "_speedrun", "_validate", "_view",
)  # fmt: skip
"""Every module of `runner.cli` that registers commands on `app`, in the order they are imported for the whole tree."""

_MODULE_OF = {
    "validate": "_validate", "list": "_list", "metrics": "_list", "prepare": "_prepare", "exec": "_exec",
    "grade": "_exec", "generate": "_generate", "report": "_report", "schema": "_schema", "cache": "_cache",
    "envs": "_envs", "images": "_images", "import": "_import", "ladder": "_ladder", "leaderboard": "_leaderboard",
    "llm": "_llm_serve", "speedrun": "_speedrun", "results": "_results", "show": "_show", "view": "_view",
    "export": "_export",
}  # fmt: skip
# The module that registers each top-level command or group: running one command imports its module alone (the
# others cost their imports and typer's building of their commands, about 0.1 s). A command missing here still
# runs, with every module imported.


def load_commands(argv: list[str] | None = None) -> typer.Typer:
    """`app` with the command that `argv` (the arguments after `runner`) invokes registered, or every command when
    it names none that `_MODULE_OF` knows (`--help`, no arguments, an unknown name)."""
    import importlib

    # The app's own options (--help, --version) take no value, so the first other argument names the command.
    command = next((argument for argument in argv or [] if not argument.startswith("-")), None)
    module = _MODULE_OF.get(command or "")
    for name in (module,) if module is not None else COMMAND_MODULES:
        importlib.import_module(f"{__package__}.{name}")
    return app


stdout = Console(soft_wrap=True)
stderr = Console(stderr=True, soft_wrap=True)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def usage_error(message: str) -> typer.Exit:
    """Print a usage error and return the exit to raise (code 2)."""
    stderr.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(EXIT_USAGE)


TasksDirOption = Annotated[
    Path | None, typer.Option(help="Catalogue to look ids up in. Default: ./tasks, else the installed one.")
]
CacheDirOption = Annotated[
    Path | None, typer.Option(help="Cache root for prepared data. Default: $BENCHSMITH_CACHE_DIR or ~/.cache.")
]
