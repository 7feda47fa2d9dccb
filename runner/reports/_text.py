"""A report as tables on a console: rich tables on a terminal, aligned plain text elsewhere."""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ._compute import Report
from ._tables import DisplayTable, display_tables

__all__ = ["render_text"]


def _heading(report: Report) -> str:
    trials = report.trials
    where = f" in {report.runs_dir}" if report.runs_dir is not None else ""
    return (
        f"{len(trials)} trial(s){where}: {trials['agent_label'].nunique()} agent(s), "
        f"{trials['task'].nunique()} task(s), {int(trials['valid'].sum())} valid"
    )


def _plain(shown: DisplayTable) -> str:
    """The table as aligned columns of text, two spaces apart, unwrapped: rich lays a table out at about 1 ms a
    row, which made the per-task table (agents x tasks rows) most of a large report's time."""
    widths = [cell_len(column) for column in shown.columns]
    for row in shown.rows:
        widths = [max(width, cell_len(cell)) for width, cell in zip(widths, row, strict=True)]

    def line(cells: list[str]) -> str:
        padded = (
            " " * (width - cell_len(cell)) + cell if index in shown.numeric else cell + " " * (width - cell_len(cell))
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        )
        return "  ".join(padded).rstrip()

    lines = [shown.title, line(shown.columns), "  ".join("-" * width for width in widths)]
    lines.extend(line(row) for row in shown.rows)
    if shown.caption:
        lines.append(shown.caption)
    return "\n".join(lines)


def render_text(report: Report, console: Console) -> None:
    """Print the report's tables (agents with Elo and AUP, AUP bounds, FSR, pairwise, per task, tasks) and notes:
    rich tables on a terminal, plain aligned text when the output is a file or a pipe."""
    console.print(f"[bold]{escape(_heading(report))}[/]", highlight=False)
    for shown in display_tables(report):
        if shown.message is not None and not shown.rows:
            console.print(f"\n[bold]{escape(shown.title)}[/]: {escape(shown.message)}", highlight=False)
            continue
        if not console.is_terminal:
            console.out(f"\n{_plain(shown)}", highlight=False)
            continue
        table = Table(title=shown.title, caption=shown.caption and escape(shown.caption), title_justify="left")
        for index, column in enumerate(shown.columns):
            table.add_column(
                escape(column), justify="right" if index in shown.numeric else "left", overflow="fold",
                no_wrap=index == 0,
            )  # fmt: skip
        for row in shown.rows:
            table.add_row(*(escape(cell) for cell in row))
        console.print()
        console.print(table)
    if report.notes:
        console.print()
        for note in report.notes:
            console.print(f"[dim]note: {escape(note)}[/]", highlight=False)
