"""The `runner` command line; each command lives in its own module and registers on `app`."""

from . import _list, _schema, _validate  # noqa: F401  (importing a command module registers its command)
from ._app import app

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point."""
    app()
