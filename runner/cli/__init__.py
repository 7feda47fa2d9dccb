"""The `runner` command line; each command lives in its own module and registers on `app`."""

# Importing a command module registers its command.
from . import (  # noqa: F401
    _cache,
    _envs,
    _exec,
    _generate,
    _images,
    _import,
    _leaderboard,
    _list,
    _llm_serve,
    _prepare,
    _report,
    _schema,
    _speedrun,
    _validate,
)
from ._app import app

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point."""
    app()
