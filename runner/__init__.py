"""Run and score tasks: the `runner` CLI (`runner.cli`), named metrics (`runner.metrics`) and leaderboard
arithmetic (`runner.scoring`). Import the subpackage you need; this package imports nothing heavy itself.

`BenchsmithError` is the base of every error meant for the user (the CLI prints it as one line and exits with its
`exit_code`).
"""

from ._errors import EXIT_FAILED, EXIT_USAGE, BenchsmithError

__all__ = ["EXIT_FAILED", "EXIT_USAGE", "BenchsmithError"]
