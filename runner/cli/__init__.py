"""The `runner` command line; each command lives in its own module and registers on `app`.

`runner.cli.app` is the whole command tree. The console script, `main`, imports only the module of the command it
runs; a new command module goes into `COMMAND_MODULES` (and its commands into `_MODULE_OF`) in `_app.py`.
"""

from __future__ import annotations

import signal
import sys
import warnings
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from types import FrameType

    import typer

__all__ = ["app", "main"]


def __getattr__(name: str) -> typer.Typer:
    if name == "app":
        from ._app import load_commands

        return load_commands()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _show_warning(
    message: Warning | str, category: type[Warning], filename: str, lineno: int,
    file: TextIO | None = None, line: str | None = None,
) -> None:  # fmt: skip
    """The runner's own warnings as one `warning: ...` line, not Python's file:line form (meant for developers)."""
    if category.__module__.startswith("runner."):
        print(f"warning: {message}", file=file or sys.stderr)
    else:
        _python_show_warning(message, category, filename, lineno, file, line)


_python_show_warning = warnings.showwarning


def _terminate_as_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main() -> None:
    """Console-script entry point."""
    from runner._errors import BenchsmithError

    from ._app import load_commands

    warnings.showwarning = _show_warning
    # SIGTERM (`kill`, `timeout`, a scheduler) unwinds as Ctrl-C does: running trials stop, their sandboxes, quota
    # mounts and servers are released, and finished results are kept for the next run to resume from.
    signal.signal(signal.SIGTERM, _terminate_as_interrupt)
    try:
        load_commands(sys.argv[1:])()
    except BenchsmithError as error:
        # Every user-facing failure ends here, once: one line, the hint if any, the error's own exit code.
        print(f"error: {error}", file=sys.stderr)
        if error.hint:
            print(f"hint: {error.hint}", file=sys.stderr)
        raise SystemExit(error.exit_code) from None
