"""A report as tables on a console: rich tables on a terminal, aligned plain text elsewhere, never wider than it.

A table wider than the console is split into parts that each repeat the columns naming a row, rather than
folded: a folded cell ("abov/e", "100./0") reads as two values. A cell is never broken across lines; when even
one column does not fit beside the row names, row names are cut in the middle and prose is cut at the end, each
marked with an ellipsis.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field

from rich.cells import cell_len, set_cell_size
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ._compute import Report
from ._tables import DisplayTable, display_tables

__all__ = ["render_text", "split_table"]

ELLIPSIS = "…"
INDENT = "    "
"""How far prose printed under its row is indented."""
_PLAIN_GAP = 2  # spaces between plain columns
_RICH_GAP = 3  # a rich column's padding and rule
_MIN_CELL = 6  # narrowest a cut cell gets: a few characters and the ellipsis
_MIN_PROSE = 20  # narrowest a cut failure reason gets before it moves to a part of its own


@dataclass(frozen=True)
class _Part:
    """Some of a table's columns (indices into the table's), with their cells cut to fit."""

    columns: list[int]
    widths: list[int]
    cells: list[list[str]]
    below: list[int] = field(default_factory=list)
    """Prose columns printed on lines of their own under each row, indented (`INDENT`), instead of beside it."""
    below_cells: list[list[str]] = field(default_factory=list)


def _cut_end(text: str, width: int) -> str:
    return text if cell_len(text) <= width else set_cell_size(text, max(width - 1, 0)) + ELLIPSIS


def _cut_middle(text: str, width: int) -> str:
    """Keep both ends (an agent label's hash, a task's digest) and drop the middle."""
    if cell_len(text) <= width:
        return text
    tail = (width - 1) // 2
    head = width - 1 - tail
    return set_cell_size(text, head) + ELLIPSIS + text[len(text) - tail :] if tail else text[:head] + ELLIPSIS


def _natural(shown: DisplayTable) -> list[int]:
    widths = [cell_len(column) for column in shown.columns]
    for row in shown.rows:
        widths = [max(width, cell_len(cell)) for width, cell in zip(widths, row, strict=True)]
    return widths


def split_table(
    shown: DisplayTable, width: int, gap: int = _PLAIN_GAP, edges: int = -_PLAIN_GAP, *, prose_below: bool = False
) -> list[_Part]:
    """Lay `shown` out in parts no wider than `width` (a part of n columns takes the columns' widths plus
    `gap * n + edges`): the key columns in every part, then as many further columns as fit, in order. A prose
    column that does not fit whole goes under each row when `prose_below`, else it is cut to the room left."""
    natural = _natural(shown)
    keys = list(range(min(shown.keys, len(natural))))
    rest = list(range(len(keys), len(natural)))

    def span(columns: list[int], widths: list[int]) -> int:
        return sum(widths[index] for index in columns) + gap * len(columns) + edges

    widths = list(natural)
    # Row names take at most half the width when the table must be split, so each part has room for values.
    if span(keys + rest, widths) > width and keys:
        budget = max(width // 2 - gap * len(keys), _MIN_CELL * len(keys))
        while sum(widths[index] for index in keys) > budget and max(widths[index] for index in keys) > _MIN_CELL:
            widest = max(keys, key=lambda index: widths[index])
            widths[widest] -= 1
    groups: list[list[int]] = []
    under: list[list[int]] = [[]]
    current: list[int] = []
    for index in rest:
        if current and span(keys + current + [index], widths) > width:
            room = width - span(keys + current, widths) - gap
            if index in shown.free_text and prose_below:
                under[-1].append(index)  # prose stays with its row, on a line of its own
                continue
            if index in shown.free_text and room >= max(_MIN_PROSE, cell_len(shown.columns[index])):
                widths[index] = room  # prose is cut to the room left rather than parted from its row
            else:
                groups.append(current)
                under.append([])
                current = []
        current.append(index)
    groups.append(current)
    parts = []
    for group, below in zip(groups, under, strict=True):
        columns = keys + group
        room = width - span(columns, widths)
        if room < 0:  # one column too wide even alone beside the keys: cut it
            last = columns[-1]
            widths[last] = max(widths[last] + room, max(_MIN_CELL, cell_len(shown.columns[last])))
        cells = [
            [
                _cut_end(row[index], widths[index])
                if index in shown.free_text or (index not in keys and index not in shown.numeric)
                else _cut_middle(row[index], widths[index])
                for index in columns
            ]
            for row in shown.rows
        ]
        part_widths = [max([cell_len(shown.columns[index]), *(cell_len(row[n]) for row in cells)])
                       for n, index in enumerate(columns)]  # fmt: skip
        below_cells = [[_cut_end(row[index], width - len(INDENT)) for index in below] for row in shown.rows]
        parts.append(_Part(columns, part_widths, cells, below, below_cells))
    return parts


def _wrap(text: str, width: int) -> str:
    return "\n".join(
        textwrap.fill(line, width, break_long_words=False, break_on_hyphens=False) for line in text.splitlines()
    )


def _title(shown: DisplayTable, number: int, parts: int) -> str:
    return shown.title if parts == 1 else f"{shown.title} ({number} of {parts})"


def _plain(shown: DisplayTable, width: int) -> Iterator[str]:
    """The table as aligned columns of text, two spaces apart: rich lays a table out at about 1 ms a row, which
    made the per-task table (agents x tasks rows) most of a large report's time."""
    parts = split_table(shown, width, prose_below=True)
    for number, part in enumerate(parts, start=1):
        if number > 1:
            yield ""
        numeric = [index in shown.numeric for index in part.columns]

        def line(cells: list[str], part: _Part = part, numeric: list[bool] = numeric) -> str:
            padded = (
                " " * (size - cell_len(cell)) + cell if right else cell + " " * (size - cell_len(cell))
                for cell, size, right in zip(cells, part.widths, numeric, strict=True)
            )
            return (" " * _PLAIN_GAP).join(padded).rstrip()

        yield _wrap(_title(shown, number, len(parts)), width)
        yield line([shown.columns[index] for index in part.columns])
        yield from (INDENT + shown.columns[index] for index in part.below)
        yield (" " * _PLAIN_GAP).join("-" * size for size in part.widths)
        for cells, prose in zip(part.cells, part.below_cells, strict=True):
            yield line(cells)
            yield from (INDENT + text for text in prose)
    if shown.caption:
        yield _wrap(shown.caption, width)


def _rich(shown: DisplayTable, console: Console) -> None:
    parts = split_table(shown, console.width, gap=_RICH_GAP, edges=1)
    for number, part in enumerate(parts, start=1):
        last = number == len(parts)
        table = Table(
            title=escape(_title(shown, number, len(parts))), title_justify="left",
            caption=escape(shown.caption) if shown.caption and last else None, caption_justify="left",
        )  # fmt: skip
        for index in part.columns:
            table.add_column(
                escape(shown.columns[index]), justify="right" if index in shown.numeric else "left", no_wrap=True,
                overflow="ellipsis",
            )  # fmt: skip
        for cells in part.cells:
            table.add_row(*(escape(cell) for cell in cells))
        console.print()
        console.print(table)


def _heading(report: Report) -> str:
    trials = report.trials
    where = f" in {report.runs_dir}" if report.runs_dir is not None else ""
    return (
        f"{len(trials)} trial(s){where}: {trials['agent_label'].nunique()} agent(s), "
        f"{trials['task'].nunique()} task(s), {int(trials['valid'].sum())} valid"
    )


def render_text(report: Report, console: Console) -> None:
    """Print the report's tables (`display_tables`) and notes no wider than the console: rich tables on a
    terminal, plain aligned text when the output is a file or a pipe (80 columns unless COLUMNS says otherwise)."""
    width = console.width
    if not console.is_terminal:
        # Plain text goes straight to the file: rich's per-line rendering of a 10,000-row table cost most of a
        # second, for output that has no markup or styles to render.
        console.file.write("\n".join(_plain_report(report, width)) + "\n")
        console.file.flush()
        return
    console.out(_wrap(_heading(report), width), style="bold", highlight=False)
    for shown in display_tables(report):
        if shown.message is not None and not shown.rows:
            console.out(f"\n{_wrap(f'{shown.title}: {shown.message}', width)}", highlight=False)
        else:
            _rich(shown, console)
    if report.notes:
        console.out("")
        for note in report.notes:
            console.out(_wrap(f"note: {note}", width), style="dim", highlight=False)


def _plain_report(report: Report, width: int) -> Iterator[str]:
    yield _wrap(_heading(report), width)
    for shown in display_tables(report):
        yield ""
        if shown.message is not None and not shown.rows:
            yield _wrap(f"{shown.title}: {shown.message}", width)
        else:
            yield from _plain(shown, width)
    if report.notes:
        yield ""
        yield from (_wrap(f"note: {note}", width) for note in report.notes)
