"""`runner import mlebench|mlgym|harbor PATH`: turn another benchmark's checkout into manifests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ._app import EXIT_FAILED, command_group, stderr, stdout, usage_error

if TYPE_CHECKING:
    from runner.importers import ImportReport

# runner.importers.DEFAULT_OUT, written out so that the help does not import the importers (numpy);
# tests/runner/test_cli_startup.py keeps them equal.
DEFAULT_OUT = {"mlebench": Path("tasks/imported/mlebench"), "mlgym": Path("tasks/imported/mlgym")}
HARBOR_OUT = Path("tasks/imported/harbor")

import_app = command_group(
    "import", "Import tasks from a local checkout of another benchmark (MLE-bench, MLGym, Harbor) as manifests."
)

_Checkout = Annotated[Path, typer.Argument(help="Local checkout of the upstream repository.")]


def _run(benchmark: str, importer: Callable[[Path, Path], ImportReport], checkout: Path, out: Path | None) -> None:
    if not checkout.is_dir():
        raise usage_error(f"{checkout} is not a folder")
    target = out or DEFAULT_OUT[benchmark]
    try:
        report = importer(checkout, target)
    except FileNotFoundError as error:
        raise usage_error(str(error)) from None
    counts = {status: sum(task.status == status for task in report.tasks) for status in ("new", "updated", "unchanged")}
    for task in report.tasks:
        stdout.print(
            f"{task.status:>9}  {escape(task.id)} {task.version}  {escape(str(task.manifest))}", highlight=False
        )
    if report.issues:
        table = Table(title=f"{len(report.skipped)} skipped, {len(report.warnings)} warning(s)")
        for column in ("upstream", "severity", "issue"):
            table.add_column(column, overflow="fold")
        for issue in report.issues:
            colour = "red" if issue.severity == "error" else "yellow"
            table.add_row(escape(issue.upstream), f"[{colour}]{issue.severity}[/]", escape(issue.message))
        stdout.print(table)
    stdout.print(
        f"{benchmark}: {len(report.tasks)} imported into {escape(str(target))} ({counts['new']} new, "
        f"{counts['updated']} updated, {counts['unchanged']} unchanged), {len(report.skipped)} skipped",
        highlight=False,
    )
    if not report.tasks:
        stderr.print("[bold red]error:[/] nothing could be imported")
        raise typer.Exit(EXIT_FAILED)


@import_app.command("mlebench")
def import_mlebench_command(
    checkout: _Checkout,
    out: Annotated[Path | None, typer.Option(help=f"Output folder. Default: {DEFAULT_OUT['mlebench']}.")] = None,
    installed: Annotated[
        bool,
        typer.Option(
            "--installed",
            help="Grade and prepare with the `mlebench` package installed where tasks run, not with the checkout.",
        ),
    ] = False,
    obfuscated: Annotated[
        bool,
        typer.Option(
            "--obfuscated",
            help="Agents read MLE-bench's obfuscated description (the competition's identity hidden); both are kept.",
        ),
    ] = False,
) -> None:
    """Import every competition under mlebench/competitions/ as a `kind: competition` manifest.

    Graders and preparers stay upstream: the manifests name their entry points and, unless --installed, the
    checkout they are imported from, so keep it where it is (or import again after moving it).
    """
    from functools import partial

    from runner.importers import import_mlebench

    _run("mlebench", partial(import_mlebench, installed=installed, obfuscated=obfuscated), checkout, out)


@import_app.command("mlgym")
def import_mlgym_command(
    checkout: _Checkout,
    out: Annotated[Path | None, typer.Option(help=f"Output folder. Default: {DEFAULT_OUT['mlgym']}.")] = None,
) -> None:
    """Import every task under configs/tasks/ as a `kind: research` manifest."""
    from runner.importers import import_mlgym

    _run("mlgym", import_mlgym, checkout, out)


@import_app.command("harbor")
def import_harbor_command(
    folder: Annotated[Path, typer.Argument(help="A Harbor task folder (with task.toml), or a folder of them.")],
    out: Annotated[Path | None, typer.Option(help=f"Output folder. Default: {HARBOR_OUT}.")] = None,
) -> None:
    """Import Harbor tasks as manifests: those exported by benchsmith are restored as they were (docs/interop.md)."""
    from runner.interop import HarborError, import_harbor_tasks

    def harbor_importer(checkout: Path, target: Path) -> ImportReport:
        try:
            return import_harbor_tasks(checkout, target)
        except HarborError as error:
            raise usage_error(escape(str(error))) from None

    _run("harbor", harbor_importer, folder, out or HARBOR_OUT)
