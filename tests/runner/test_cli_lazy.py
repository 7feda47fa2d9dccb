"""The `runner` console script imports only the module of the command it runs; `runner.cli.app` is the whole tree."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import import_module
from typing import Any

from runner.cli import _app

_PROBE = """
import contextlib, io, json, sys
from runner.cli import main
sys.argv = ["runner", *ARGV]
with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.suppress(SystemExit):
    main()
print(json.dumps({"modules": sorted(m for m in sys.modules if m.startswith("runner.cli.")), "out": out.getvalue()}))
"""


def _run(*argv: str) -> dict[str, Any]:
    code = f"ARGV = {list(argv)!r}\n{_PROBE}"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_every_command_is_known_with_the_module_that_registers_it() -> None:
    from runner.cli import app

    commands = {
        info.name or info.callback.__name__: info.callback.__module__
        for info in app.registered_commands
        if info.callback
    }
    for name, module in commands.items():
        assert module == f"runner.cli.{_app._MODULE_OF[name]}", name
    for info in app.registered_groups:
        assert info.name is not None
        registrar = import_module(f"runner.cli.{_app._MODULE_OF[info.name]}")
        assert any(value is info.typer_instance for value in vars(registrar).values()), info.name
    assert set(_app._MODULE_OF) == {*commands, *(info.name for info in app.registered_groups)}
    assert set(_app._MODULE_OF.values()) <= set(_app.COMMAND_MODULES)


def test_a_command_imports_its_own_module_only() -> None:
    listed = _run("list", "--format", "json", "--tasks-dir", "tests/fixtures/tasks")
    assert "runner.cli._list" in listed["modules"]
    assert "runner.cli._exec" not in listed["modules"] and "runner.cli._report" not in listed["modules"]
    assert "penguins-species" in str(listed["out"])


def test_help_and_unknown_names_see_every_command() -> None:
    shown = _run("--help")
    assert all(f"runner.cli.{module}" in shown["modules"] for module in _app.COMMAND_MODULES)
    assert all(f"  {name} " in str(shown["out"]) for name in _app._MODULE_OF)
    done = subprocess.run(
        [sys.executable, "-c", "from runner.cli import main; main()", "lis"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "Did you mean 'list'?" in done.stderr
