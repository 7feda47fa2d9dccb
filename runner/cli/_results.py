"""`runner results`: the trials of a runs folder, one line each, filtered by status, agent, task, model or medal."""

from __future__ import annotations

import csv
import io
import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, get_args

import typer
from rich.cells import cell_len
from rich.markup import escape

from ._app import app, stdout, usage_error

if TYPE_CHECKING:
    from runner.viewer import Filters, Trial


class ListFormat(StrEnum):
    text = "text"
    json = "json"
    csv = "csv"


StatusOption = Annotated[
    str | None, typer.Option(help="Only this status: ok, invalid_submission, agent_error, timeout, oom, ...")
]
AgentOption = Annotated[
    str | None, typer.Option(help="Only this agent (its name or its label, e.g. command-1a2b3c4d).")
]
TaskOption = Annotated[str | None, typer.Option(help="Only this task id.")]
ModelOption = Annotated[str | None, typer.Option(help="Only trials of this model.")]
MedalOption = Annotated[str | None, typer.Option(help="Only this medal: gold, silver, bronze or none.")]


def checked_filters(
    status: str | None, agent: str | None, task: str | None, model: str | None, medal: str | None
) -> Filters:
    """The filters the options ask for; a usage error for a status or medal that cannot exist."""
    from runner.results import TrialStatus
    from runner.viewer import MEDALS, Filters

    if status is not None and status not in get_args(TrialStatus):
        raise usage_error(f"--status {escape(status)!r}: use one of {', '.join(get_args(TrialStatus))}")
    if medal is not None and medal not in MEDALS:
        raise usage_error(f"--medal {escape(medal)!r}: use one of {', '.join(MEDALS)}")
    return Filters(status=status, agent=agent, task=task, model=model, medal=medal)


def _number(value: float | None, digits: int = 4) -> str:
    return "" if value is None else f"{value:.{digits}g}"


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s"
    if seconds < 3600:
        return f"{seconds / 60:.1f}m"
    return f"{seconds / 3600:.1f}h"


def _cost(trial: Trial) -> str:
    usage = trial.result.usage
    if not usage.calls or usage.cost_usd == 0:
        return ""  # free (a local model) reads as no cost
    return "?" if usage.cost_usd is None else f"${usage.cost_usd:.4f}"


_COLUMNS = ("task", "agent", "seed", "status", "score", "medal", "time", "cost", "reason")
_FLEXIBLE = {"task": 10, "agent": 10, "reason": 0}
"""Columns cut to fit the width, and the fewest cells each keeps (reason, last, may go altogether)."""
_RIGHT = {"seed", "score", "time", "cost"}
_OPTIONAL = ("medal", "cost", "reason")
"""Columns left out when no row has anything in them."""


def _cut(text: str, width: int) -> str:
    """`text` in at most `width` cells, its end replaced by an ellipsis when it is longer."""
    if cell_len(text) <= width:
        return text
    kept = ""
    for character in text:
        if cell_len(kept + character) > width - 1:
            break
        kept += character
    return kept + "…" if width > 0 else ""


def fit_table(rows: list[dict[str, str]], width: int) -> list[str]:
    """Rows as aligned lines no wider than `width`: every column is kept and every cell stays on its line; the
    flexible columns (task, agent, reason) are cut with an ellipsis, the widest first."""
    natural = {name: max([cell_len(name), *(cell_len(cells[name]) for cells in rows)]) for name in _COLUMNS}
    for name in _OPTIONAL:
        if not any(cells[name] for cells in rows):
            natural[name] = 0  # no medal, cost or failure to show: room for the others
    gaps = 2 * (sum(1 for name in _COLUMNS if natural[name]) - 1)
    room = width - gaps - sum(natural[name] for name in _COLUMNS if name not in _FLEXIBLE)
    widths = dict(natural)
    # Water-filling: the narrow flexible columns keep their width, the rest share what is left equally.
    wanted = sorted(_FLEXIBLE, key=lambda name: natural[name])
    for index, name in enumerate(wanted):
        share = max(_FLEXIBLE[name], room // (len(wanted) - index))
        widths[name] = min(natural[name], share)
        room -= widths[name]
    shown = [name for name in _COLUMNS if widths[name] > 0]

    def line(cells: dict[str, str]) -> str:
        parts = []
        for name in shown:
            cell = _cut(cells[name], widths[name])
            pad = " " * (widths[name] - cell_len(cell))
            parts.append(pad + cell if name in _RIGHT else cell + pad)
        return "  ".join(parts).rstrip()

    header = {name: name for name in _COLUMNS}
    rule = {name: "-" * widths[name] for name in _COLUMNS}
    return [line(cells) for cells in (header, rule, *rows)]


def trial_cells(trial: Trial) -> dict[str, str]:
    """One trial's cells in the text listing."""
    result = trial.result
    return {
        "task": result.task_id, "agent": result.agent_label, "seed": str(result.seed), "status": result.status,
        "score": _number(result.score), "medal": result.medal or "", "time": _duration(result.duration_s),
        "cost": _cost(trial), "reason": " ".join((result.reason or "").split()),
    }  # fmt: skip


@app.command("results")
def results(
    runs_dir: Annotated[Path, typer.Argument(help="Runs folder (as given to `runner exec --runs-dir`).")],
    status: StatusOption = None,
    agent: AgentOption = None,
    task: TaskOption = None,
    model: ModelOption = None,
    medal: MedalOption = None,
    output: Annotated[
        ListFormat, typer.Option("--format", help="text (a table), json (a list) or csv (every field).")
    ] = ListFormat.text,
) -> None:
    """List the trials recorded under RUNS_DIR, one line each; `runner show TRIAL` shows one in full and
    `runner view` all of them in a browser."""
    from runner.viewer import ROW_COLUMNS, list_trials, row, status_counts

    filters = checked_filters(status, agent, task, model, medal)
    if not runs_dir.is_dir():
        raise usage_error(f"runs folder {escape(str(runs_dir))} does not exist: give the folder `runner exec` wrote")
    trials = list_trials(runs_dir, filters)
    if output is ListFormat.json:
        print(json.dumps([row(trial) for trial in trials], indent=2))
        return
    if output is ListFormat.csv:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=ROW_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(row(trial) for trial in trials)
        print(buffer.getvalue(), end="")
        return
    for text in fit_table([trial_cells(trial) for trial in trials], stdout.width):
        print(text)
    counts = status_counts(trials)
    summary = ", ".join(f"{count} {name}" for name, count in counts.most_common())
    stdout.print(f"{len(trials)} trial(s){': ' + summary if summary else ''}", highlight=False)
