"""A report as display tables of formatted strings, shared by the text and HTML renderers."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from ._compute import AUP_MODES, LABEL_NOTE, STATUSES, TOP_REASONS, Report

__all__ = ["DisplayTable", "display_tables", "fmt"]

MISSING = "—"


@dataclass
class DisplayTable:
    """One table as it is shown: a title, headers, rows of strings, and a message when it cannot be shown."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    numeric: frozenset[int] = frozenset()
    caption: str | None = None
    message: str | None = None
    """Why the table has no rows (shown in its place)."""
    keys: int = 1
    """Leading columns that name a row: repeated in each part when a narrow output splits the columns."""
    free_text: frozenset[int] = frozenset()
    """Columns of prose (a failure reason) that a narrow output may cut short with an ellipsis."""


def _number(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def fmt(value: object, spec: str = ".4g") -> str:
    """A number formatted with `spec`, or an em dash for a missing value."""
    number = _number(value)
    return MISSING if number is None else format(number, spec)


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return MISSING
    return str(value)


def _interval(lower: object, upper: object, spec: str = ".0f") -> str:
    low, high = _number(lower), _number(upper)
    if low is None or high is None:
        return MISSING
    return f"[{format(low, spec)}, {format(high, spec)}]"


def _agents(report: Report) -> DisplayTable:
    columns = ["agent", "trials", "valid %", "any medal %", "gold %", "above median %", "mean normalized", "Elo",
               "Elo 95% CI", *(f"AUP {mode}" for mode in AUP_MODES)]  # fmt: skip
    rows = [
        [
            str(agent), str(int(row["trials"])), fmt(row["valid_pct"], ".1f"), fmt(row["any_medal_pct"], ".1f"),
            fmt(row["gold_pct"], ".1f"), fmt(row["above_median_pct"], ".1f"), fmt(row["mean_normalized"], ".3f"),
            fmt(row["elo"], ".0f"), _elo_interval(row),
            *(_aup_cell(report, mode, str(agent), row[f"aup_{mode}"]) for mode in AUP_MODES),
        ]
        for agent, row in report.agents.iterrows()
    ]  # fmt: skip
    reasons = [reason for reason in (report.elo.reason, *(s.reason for s in report.aup.values())) if reason]
    return DisplayTable(
        "agents", "Agents", columns, rows, frozenset(range(1, len(columns))),
        caption="; ".join(dict.fromkeys(reasons)) or None,
    )  # fmt: skip


def _elo_interval(row: pd.Series) -> str:
    """The 95% interval, or why there is none: "unbounded" where the data fix no finite bound."""
    note = row["elo_interval"]
    if isinstance(note, str):
        return note
    return _interval(row["elo_lower"], row["elo_upper"])


def _statuses(report: Report) -> DisplayTable:
    shown = [status for status in STATUSES if status == "ok" or int(report.statuses[status].sum()) > 0]
    columns = ["agent", "trials", *shown]
    rows = [
        [str(agent), str(int(row["trials"])), *(str(int(row[status])) for status in shown)]
        for agent, row in report.statuses.iterrows()
    ]
    hidden = [status for status in STATUSES if status not in shown]
    caption = f"trials by how they ended; no trial ended {', '.join(hidden)}" if hidden else None
    return DisplayTable("statuses", "Statuses", columns, rows, frozenset(range(1, len(columns))), caption=caption)


def _failures(report: Report) -> DisplayTable:
    columns = ["agent", "status", "trials", "reason"]
    rows = [
        [str(row.agent), str(row.status), str(row.trials), str(row.reason)]
        for row in report.failures.itertuples(index=False)
    ]
    table = DisplayTable(
        "failures", "Failures: most frequent reasons", columns, rows, frozenset({2}), free_text=frozenset({3}),
        caption=f"each agent's {TOP_REASONS} most frequent (status, first line of the reason); `runner report "
        "--format json` and trials.parquet have every trial's",
    )  # fmt: skip
    if not rows:
        table.message = "every trial ended ok"
    return table


def _labels(report: Report) -> DisplayTable:
    columns = ["agent label", "agent", "model", "arguments hash", "variant"]
    rows = [
        [str(row.agent_label), str(row.agent), _text(row.model), _text(row.arguments_hash), _text(row.variant)]
        for row in report.labels.itertuples(index=False)
    ]
    return DisplayTable("labels", "Agent labels", columns, rows, caption=LABEL_NOTE)


def _aup_cell(report: Report, mode: str, agent: str, value: object) -> str:
    """An agent's AUP; in MLGym's mode with the floor beside it, since failing there is nearly free."""
    section = report.aup[mode]
    if mode != "mlgym" or not section.available or agent not in section.table.index:
        return fmt(value, ".3f")
    floor = section.table.loc[agent, "floor"]
    number, bottom = _number(value), _number(floor)
    if number is not None and bottom is not None and number <= bottom + 1e-9:
        return f"{fmt(value, '.3f')} (= all-fail floor)"
    return f"{fmt(value, '.3f')} (all-fail floor {fmt(floor, '.3f')})"


def _aup(report: Report) -> DisplayTable:
    columns = ["agent"]
    for mode in AUP_MODES:
        columns += [f"AUP {mode}", f"{mode} Best", f"{mode} Last", f"{mode} floor", f"{mode} maximum"]
    agents = [str(agent) for agent in report.agents.index]
    rows = []
    for agent in agents:
        row = [agent]
        for mode in AUP_MODES:
            section = report.aup[mode]
            if section.available and agent in section.table.index:
                line = section.table.loc[agent]
                row += [fmt(line[name], ".3f") for name in ("aup", "best", "last", "floor", "maximum")]
            else:
                row += [MISSING] * 5
        rows.append(row)
    reasons = [section.reason for section in report.aup.values() if section.reason]
    available = [section for section in report.aup.values() if section.available]
    caption = None
    if available:
        caption = (
            f"over {len(available[0].tasks)} task(s): {', '.join(available[0].tasks)}; fixed is the headline, "
            "mlgym makes failing nearly free (an agent that fails every task scores the mlgym floor); Best and "
            "Last: MLGym's Best-attempt and Last-submission AUPs over each agent's best seed per task, on one tau_max"
        )
    if reasons:
        caption = "; ".join([*([caption] if caption else []), *dict.fromkeys(reasons)])
    table = DisplayTable("aup", "AUP (area under the performance profile)", columns, rows,
                         frozenset(range(1, len(columns))), caption=caption)  # fmt: skip
    if not available:
        table.rows = []
        table.message = "; ".join(dict.fromkeys(reasons))
    return table


def _tasks(report: Report) -> DisplayTable:
    columns = ["task", "digest", "kind", "better", "trials", "agents", "AUP baseline", "baseline from"]
    rows = []
    for row in report.tasks.itertuples(index=False):
        direction = "mixed" if row.higher_is_better is None else ("higher" if row.higher_is_better else "lower")
        rows.append(
            [
                str(row.task), str(row.task_digest)[:12], str(row.kind), direction, str(row.trials),
                str(row.agents), fmt(row.baseline, ".6g"), _text(row.baseline_source),
            ]
        )  # fmt: skip
    return DisplayTable("tasks", "Tasks", columns, rows, frozenset({4, 5, 6}))


ONE_SEED = "one seed"


def _fsr(report: Report) -> DisplayTable | None:
    if report.fsr.empty:
        return None
    columns = ["agent", "hints", "record transition", "n", "mean FSR", "median", "IQM", "mean 95% CI (seeds)"]
    single = (report.fsr["n"].astype("int64") < 2).tolist()
    rows = [
        [
            str(row.agent), _text(row.hints if row.hints else row.hint_level), _text(row.transition), str(row.n),
            fmt(row.mean, ".3f"), fmt(row.median, ".3f"), fmt(row.iqm, ".3f"),
            ONE_SEED if alone else _interval(row.ci_lower, row.ci_upper, ".3f"),
        ]
        for row, alone in zip(report.fsr.itertuples(index=False), single, strict=True)
    ]  # fmt: skip
    caption = None
    if any(single):
        # resampling one value always gives it back: a zero-width interval would look like certainty
        caption = f"{ONE_SEED}: no interval from a single trial; `runner exec --seeds N` runs N trials to resample"
    return DisplayTable("fsr", "Speedruns: fraction of speed-up recovered (FSR)", columns, rows,
                        frozenset({3, 4, 5, 6, 7}), caption=caption)  # fmt: skip


def _pairwise(report: Report) -> DisplayTable:
    agents = [str(agent) for agent in report.agents.index]
    columns = ["agent \\ opponent", *agents]
    table = DisplayTable(
        "pairwise", "Pairwise wins-ties-losses", columns, numeric=frozenset(range(1, len(columns))),
        caption="row agent against column agent, one match per task both attempted",
    )  # fmt: skip
    if report.pairwise.empty:
        table.message = "no task was attempted by two agents, so there are no matches"
        return table
    lookup = {
        (str(row.agent), str(row.opponent)): f"{row.wins}-{row.ties}-{row.losses}"
        for row in report.pairwise.itertuples(index=False)
    }
    table.rows = [[agent, *(lookup.get((agent, other), MISSING) for other in agents)] for agent in agents]
    return table


def _per_task(report: Report) -> DisplayTable:
    columns = ["task", "agent", "trials", "valid", "mean score", "best medal", "medals", "mean normalized"]
    rows = [
        [
            str(row.task), str(row.agent), str(row.trials), str(row.valid), fmt(row.mean_score, ".6g"),
            _text(row.best_medal), f"{row.medals}/{row.trials}", fmt(row.mean_normalized, ".3f"),
        ]
        for row in report.per_task.itertuples(index=False)
    ]  # fmt: skip
    return DisplayTable("per_task", "Per task", columns, rows, frozenset({2, 3, 4, 6, 7}), keys=2,
                        caption="mean score and mean normalized are over valid seeds")  # fmt: skip


def display_tables(report: Report) -> list[DisplayTable]:
    """The report's tables in reading order: agents, statuses, failures, AUP, FSR (speedruns only), pairwise, per
    task, tasks, agent labels."""
    tables = [
        _agents(report), _statuses(report), _failures(report), _aup(report), _fsr(report), _pairwise(report),
        _per_task(report), _tasks(report), _labels(report),
    ]  # fmt: skip
    return [table for table in tables if table is not None]
