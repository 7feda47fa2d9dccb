"""`runner schema`: write or check the committed JSON Schema."""

from __future__ import annotations

from typing import Annotated

import typer

from ._app import EXIT_FAILED, app, stderr, stdout


@app.command()
def schema(
    check: Annotated[bool, typer.Option("--check", help="Only check that the committed schema is current.")] = False,
) -> None:
    """Regenerate spec/task.schema.json from the models (or, with --check, fail when it is stale)."""
    from spec import SCHEMA_PATH, schema_is_current, write_schema

    if check:
        if not schema_is_current():
            stderr.print(f"[bold red]{SCHEMA_PATH} is stale[/]: run `nox -s schema` and commit the result")
            raise typer.Exit(EXIT_FAILED)
        stdout.print(f"{SCHEMA_PATH} is current")
        return
    changed = write_schema()
    stdout.print(f"{'wrote' if changed else 'unchanged'}: {SCHEMA_PATH}")
