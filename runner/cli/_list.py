"""`runner list` and `runner metrics`: what the catalogue and the metric registry hold."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.cells import cell_len
from rich.markup import escape
from rich.table import Table

from ._app import app, stderr, stdout, usage_error
from ._index import ROW_COLUMNS, catalogue_entries
from ._validate import OutputFormat

_SHOWN = ("id", "version", "kind", "modality", "problem", "metric")


def parse_tags(tags: list[str]) -> list[tuple[str, str]]:
    """`--tag key=value` options as (key, value) pairs; a usage error for one without `=`."""
    wanted: list[tuple[str, str]] = []
    for tag in tags:
        key, separator, value = tag.partition("=")
        if not separator or not key or not value:
            raise usage_error(f"--tag {tag!r}: write it as key=value, e.g. --tag modality=tabular")
        wanted.append((key, value))
    return wanted


def suite_tags(suite: str) -> list[tuple[str, str]]:
    """The tag filter a `--suite` name stands for; a usage error naming the suites for an unknown one."""
    from runner.importers import suite_tags as known_suite

    tags = known_suite(suite)
    if tags is None:
        raise usage_error(
            f"--suite {suite!r}: no such suite; suites are `mlebench` (every imported MLE-bench competition) and "
            "`mlebench-<split>` for MLE-bench's splits: lite (= low), low, medium, high, dev, split75, …"
        )
    return list(tags.items())


def matches(entry: dict[str, Any], kind: str | None, wanted: list[tuple[str, str]]) -> bool:
    """Whether a catalogue entry (`catalogue_entries`) is of `kind` (any when None) and has every tag; a key that is
    no tag field matches the keyword `key:value` (what importers write, e.g. `split:lite` for `--tag split=lite`)."""
    if kind is not None and entry["row"]["kind"] != kind:
        return False
    tags = entry["tags"]
    for key, value in wanted:
        if key in tags:
            present = tags[key]
            if present != value and not (isinstance(present, list) and value in present):
                return False
        elif f"{key}:{value}" not in entry["keywords"]:
            return False
    return True


def select_tasks(root: Path, kind: str | None, wanted: list[tuple[str, str]]) -> tuple[list[dict[str, str]], int]:
    """The listed row (`ROW_COLUMNS`) of every valid manifest under `root` that `matches`, in catalogue order; and
    how many manifests were left out as invalid. Rows of unchanged manifests come from the catalogue index."""
    selected: list[dict[str, str]] = []
    skipped = 0
    for entry in catalogue_entries(root):
        if entry.get("invalid"):
            skipped += 1
        elif matches(entry, kind, wanted):
            selected.append({column: entry["row"][column] for column in ROW_COLUMNS})
    return selected, skipped


_GAP = 2
_ID_ROOM = 24
"""The id column gives way first when a table is too wide, down to this many characters."""
_SHORT = 11
"""The other columns then shrink, widest first, down to this (every kind and modality fits whole)."""


def _fitted_widths(rows: list[dict[str, str]], room: int) -> dict[str, int]:
    """Each shown column's width, so that a row fits `room` cells: natural widths when they fit; else the id column
    shrinks to `_ID_ROOM`, the others widest first to `_SHORT` (or their header), then the id column again."""
    widths = {column: max([cell_len(column), *(cell_len(row[column]) for row in rows)]) for column in _SHOWN}

    def excess() -> int:
        return sum(widths.values()) - room

    widths["id"] -= max(0, min(excess(), widths["id"] - _ID_ROOM))
    while excess() > 0:
        shrinkable = [c for c in _SHOWN[1:] if widths[c] > max(_SHORT, cell_len(c))]
        if not shrinkable:
            break
        widths[max(shrinkable, key=lambda column: widths[column])] -= 1
    widths["id"] = max(widths["id"] - max(excess(), 0), cell_len("id"), 3)
    return widths


def _shortened(text: str, width: int) -> str:
    """`text` in at most `width` cells: a third of its start and the rest of its end around an ellipsis (ids of one
    family share their start: in the catalogue, 718 of 725 ids stay distinct at 19 cells this way, 675 halved)."""
    if cell_len(text) <= width:
        return text
    head = max(1, (width - 1) // 3)
    tail = width - 1 - head
    return text[:head] + "…" + (text[-tail:] if tail else "")


def _fitted_rows(rows: list[dict[str, str]], room: int) -> tuple[dict[str, int], list[dict[str, str]]]:
    widths = _fitted_widths(rows, room)
    return widths, [{column: _shortened(row[column], widths[column]) for column in _SHOWN} for row in rows]


def _plain_table(title: str, rows: list[dict[str, str]], width: int) -> str:
    """Rows as aligned columns of text that fit `width`, one line a row (rich lays a table out at about 0.6 ms a
    row, most of a listing's time)."""
    widths, cells = _fitted_rows(rows, width - _GAP * (len(_SHOWN) - 1))

    def line(values: dict[str, str]) -> str:
        return (" " * _GAP).join(
            values[column] + " " * (widths[column] - cell_len(values[column])) for column in _SHOWN
        )

    header = {column: column for column in _SHOWN}
    rule = {column: "-" * widths[column] for column in _SHOWN}
    return "\n".join([title, *(line(values).rstrip() for values in (header, rule, *cells))])


@app.command("list")
def list_tasks(
    kind: Annotated[str | None, typer.Option(help="Only this kind: competition, research or speedrun.")] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option(help="Only tasks with this tag, key=value (repeatable), e.g. modality=tabular."),
    ] = None,
    suite: Annotated[
        str | None,
        typer.Option(help="Only the tasks of this suite, e.g. mlebench-lite (MLE-bench's splits, once imported)."),
    ] = None,
    tasks_dir: Annotated[
        Path | None, typer.Option(help="Catalogue folder. Default: ./tasks, else the installed catalogue.")
    ] = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="text (a table) or json.")] = OutputFormat.text,
) -> None:
    """Print the catalogue: id, version, kind, modality, problem, metric."""
    from spec import default_tasks_dir

    if kind is not None and kind not in ("competition", "research", "speedrun"):
        raise usage_error(f"--kind {kind!r}: choose competition, research or speedrun")
    wanted = parse_tags(tag or []) + (suite_tags(suite) if suite is not None else [])
    root = tasks_dir or default_tasks_dir()
    if root is None or not root.is_dir():
        raise usage_error(f"no catalogue folder at {root or './tasks'}; pass --tasks-dir")
    rows, skipped = select_tasks(root, kind, wanted)
    if skipped:
        stderr.print(f"[yellow]warning:[/] {skipped} invalid manifest(s) left out; run `runner validate {root}`")
    if output is OutputFormat.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    title = f"{len(rows)} task(s) in {root}"
    # Written to a file or a pipe, the console is 80 columns wide (or $COLUMNS): rows are cut to fit, never wrapped.
    if not stdout.is_terminal:
        stdout.out(_plain_table(title, rows, stdout.width), highlight=False)
        return
    # A table's edges and padding take 3 cells a column and 1 more.
    widths, cells = _fitted_rows(rows, stdout.width - 3 * len(_SHOWN) - 1)
    table = Table(title=title)
    for column in _SHOWN:
        table.add_column(column, no_wrap=True, min_width=widths[column], max_width=widths[column])
    for row in cells:
        table.add_row(*(escape(row[column]) for column in _SHOWN))
    stdout.print(table)


@app.command("metrics")
def list_metrics(
    output: Annotated[OutputFormat, typer.Option("--format", help="text (a table) or json.")] = OutputFormat.text,
) -> None:
    """Print the metric registry: name, direction, perfect score, what predictions it expects."""
    from runner.metrics import get_metric, metric_names

    metrics = [get_metric(name) for name in metric_names()]
    if output is OutputFormat.json:
        rows = [
            {
                "name": m.name, "higher_is_better": m.higher_is_better, "best_possible": m.best_possible,
                "prediction": m.prediction, "params": {k: repr(v) for k, v in m.params.items()},
                "description": m.description,
            }
            for m in metrics
        ]  # fmt: skip
        print(json.dumps(rows, indent=2))
        return
    table = Table(title=f"{len(metrics)} metrics")
    for column in ("name", "better", "best", "prediction", "params", "description"):
        table.add_column(column, overflow="fold")
    for m in metrics:
        params = ", ".join(f"{k}={v!r}" for k, v in m.params.items())
        best = "" if m.best_possible is None else f"{m.best_possible:g}"
        table.add_row(m.name, "higher" if m.higher_is_better else "lower", best, m.prediction, params, m.description)
    stdout.print(table)


def selected_arguments(suite: str | None, tags: list[str], tasks_dir: Path | None) -> list[str]:
    """Manifest paths of the tasks `--suite` / `--tag` select (none when neither is given); a usage error when they
    select nothing."""
    from spec import default_tasks_dir

    if suite is None and not tags:
        return []
    wanted = parse_tags(tags) + (suite_tags(suite) if suite is not None else [])
    root = tasks_dir or default_tasks_dir()
    if root is None or not root.is_dir():
        raise usage_error(f"no catalogue folder at {root or './tasks'}; pass --tasks-dir")
    selected, _ = select_tasks(root, None, wanted)
    if not selected:
        hint = " (import MLE-bench first: `runner import mlebench <checkout>`)" if suite is not None else ""
        shown = ", ".join(f"{key}={value}" for key, value in wanted)
        raise usage_error(f"no task in {root} has the tags {shown}{hint}")
    return [row["path"] for row in selected]
