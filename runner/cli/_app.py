"""The `runner` command: one typer app that each command module adds itself to."""

from __future__ import annotations

import typer
from rich.console import Console

app = typer.Typer(
    name="runner",
    help="benchsmith: validate, list, run and score benchmark tasks for ML-engineering agents.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

stdout = Console(soft_wrap=True)
stderr = Console(stderr=True, soft_wrap=True)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def usage_error(message: str) -> typer.Exit:
    """Print a usage error and return the exit to raise (code 2)."""
    stderr.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(EXIT_USAGE)
