"""`runner export inspect RUNS_DIR`, `runner export harbor TASK... --out DIR`: benchsmith in other tools' formats.

Each tool is one subcommand of the `export` group; the tool's package is imported only when its subcommand runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from ._app import EXIT_OK, CacheDirOption, TasksDirOption, command_group, stderr, stdout, usage_error

export_app = command_group("export", "Export benchsmith trials or tasks for other evaluation tools (docs/interop.md).")


def _missing_extra(tool: str, extra: str, error: ImportError) -> typer.Exit:
    return usage_error(f"{tool} is not installed ({error.name or error}): pip install 'benchsmith[{extra}]'")


@export_app.command("inspect")
def export_inspect(
    runs_dir: Annotated[Path, typer.Argument(help="Runs folder of `runner exec`.")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder for the .eval logs. Default: RUNS_DIR/inspect-logs.")
    ] = None,
) -> None:
    """Write Inspect `.eval` logs of the trials under RUNS_DIR (one per agent), for `inspect view`."""
    if not runs_dir.is_dir():
        raise usage_error(f"{runs_dir} is not a folder: give the runs folder of `runner exec`")
    from runner.results import result_files

    # Checked before inspect-ai is imported (seconds): an empty or wrong folder is answered at once.
    if next(iter(result_files(runs_dir)), None) is None:
        raise usage_error(f"{runs_dir}: no trial results found (a runs folder of `runner exec` holds them)")
    try:
        from runner.interop import InspectTaskError, export_inspect_logs
    except ImportError as error:
        raise _missing_extra("inspect-ai", "inspect", error) from None
    target = out or runs_dir / "inspect-logs"
    try:
        written = export_inspect_logs(runs_dir, target)
    except InspectTaskError as error:
        raise usage_error(escape(str(error))) from None
    for path in written:
        stdout.print(escape(str(path)), highlight=False)
    stdout.print(
        f"{len(written)} Inspect log(s) in {escape(str(target))}: inspect view --log-dir {escape(str(target))}"
    )
    raise typer.Exit(EXIT_OK)


@export_app.command("harbor")
def export_harbor_command(
    tasks: Annotated[list[str], typer.Argument(help="Manifest paths, task folders or ids (competitions).")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write one Harbor task folder per task into.")],
    tasks_dir: TasksDirOption = None,
    cache_dir: CacheDirOption = None,
    wheel: Annotated[
        Path | None,
        typer.Option(
            help="A benchsmith wheel to install in the environment. Default: one built from the checkout benchsmith "
            "was installed from, else benchsmith==<this version> from the package index."
        ),
    ] = None,
) -> None:
    """Write each task in Harbor's task layout (config, instruction, environment, tests, solution)."""
    import tempfile

    from runner.interop import HarborError, check_exportable, checkout_wheel, export_harbor

    from ._tasks import runnable_task

    loaded = [runnable_task(task, tasks_dir) for task in tasks]
    # Everything that can be refused is refused before anything is built or written.
    if wheel is not None and not (wheel.is_file() and wheel.name.startswith("benchsmith-") and wheel.suffix == ".whl"):
        raise usage_error(f"--wheel {escape(str(wheel))}: not a benchsmith wheel file (benchsmith-<version>-*.whl)")
    if out.exists() and not out.is_dir():
        raise usage_error(f"--out {escape(str(out))} is a file; give a folder")
    ids: dict[str, Path] = {}
    for task in loaded:
        try:
            check_exportable(task)
        except HarborError as error:
            raise usage_error(escape(str(error))) from None
        if task.id in ids and ids[task.id] != task.path:
            raise usage_error(f"{escape(task.id)} is named twice ({ids[task.id]} and {task.path}); export one")
        ids[task.id] = task.path
    with tempfile.TemporaryDirectory(prefix="benchsmith-wheel-") as scratch:
        try:
            shipped = wheel or (checkout_wheel(Path(scratch)) if loaded else None)
        except HarborError as error:
            raise usage_error(escape(str(error))) from None
        if wheel is None and shipped is not None:
            stderr.print(f"note: each environment installs {escape(shipped.name)}, built from this checkout")
        elif shipped is None and loaded:
            # A version the index lacks fails Harbor's image build long after this command, so say it now.
            stderr.print(
                "note: the environments install benchsmith from the package index; if this version is not "
                "published there, export again with --wheel PATH",
                highlight=False,
            )
        for task in loaded:
            try:
                exported = export_harbor(task, out, cache_root=cache_dir, wheel=shipped)
            except HarborError as error:
                raise usage_error(escape(str(error))) from None
            stdout.print(f"{escape(exported.id)}  {escape(str(exported.folder))}", highlight=False)
    raise typer.Exit(EXIT_OK)
