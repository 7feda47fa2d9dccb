"""A report as one JSON object, as CSV files, and its trials table as parquet."""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from ._compute import AUP_MODES, Report

__all__ = ["CSV_FILES", "PARQUET_FILE", "plain", "records", "report_json", "write_csv", "write_parquet"]

PARQUET_FILE = "trials.parquet"
CSV_FILES = (
    "agents.csv", "statuses.csv", "failures.csv", "elo.csv", "aup.csv", "fsr.csv", "pairwise.csv", "win_matrix.csv",
    "per_task.csv", "tasks.csv", "labels.csv", "trials.csv",
)  # fmt: skip


def plain(value: object) -> object:
    """`value` as a JSON-ready Python value: numpy scalars unwrapped, NaN/NA as None, times as ISO strings."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def records(frame: pd.DataFrame, index: str | None = None) -> list[dict[str, object]]:
    """Rows of `frame` as dicts of plain values; `index` names the index column to keep (else it is dropped)."""
    table = frame.reset_index(names=index) if index is not None else frame
    return [
        {str(column): plain(value) for column, value in zip(table.columns, row, strict=True)}
        for row in table.itertuples(index=False, name=None)
    ]


def _elo_frame(report: Report) -> pd.DataFrame:
    if not report.elo.available:
        return pd.DataFrame(columns=["agent", "rating", "lower", "upper"])
    return report.elo.ratings.reset_index(names="agent")


def _aup_frame(report: Report) -> pd.DataFrame:
    parts = [
        section.table.reset_index(names="agent").assign(mode=mode)[
            ["agent", "mode", "aup", "best", "last", "floor", "maximum"]
        ]
        for mode, section in report.aup.items()
        if section.available
    ]
    if not parts:
        return pd.DataFrame(columns=["agent", "mode", "aup", "best", "last", "floor", "maximum"])
    return pd.concat(parts, ignore_index=True)


def report_json(report: Report) -> dict[str, object]:
    """The report as one JSON-ready object with a key per section."""
    aup: dict[str, object] = {}
    for mode in AUP_MODES:
        section = report.aup[mode]
        aup[mode] = {
            "available": section.available,
            "reason": section.reason,
            "tasks": section.tasks,
            "agents": records(section.table, "agent") if section.available else [],
        }
    return {
        "runs_dir": None if report.runs_dir is None else str(report.runs_dir),
        "summary": {
            "trials": len(report.trials),
            "valid": int(report.trials["valid"].sum()),
            "agents": int(report.trials["agent_label"].nunique()),
            "tasks": int(report.trials["task"].nunique()),
        },
        "agents": records(report.agents, "agent"),
        "statuses": records(report.statuses, "agent"),
        "failures": records(report.failures),
        "labels": records(report.labels),
        "elo": {
            "available": report.elo.available,
            "reason": report.elo.reason,
            "rounds": report.elo.rounds,
            "seed": report.elo.seed,
            "ratings": records(_elo_frame(report)),
        },
        "aup": aup,
        "fsr": records(report.fsr),
        "pairwise": records(report.pairwise),
        "per_task": records(report.per_task),
        "tasks": records(report.tasks),
        "warnings": list(report.warnings),
        "notes": list(report.notes),
    }


def write_parquet(trials: pd.DataFrame, out: Path) -> Path:
    """Write the trials table to `out/trials.parquet` (pyarrow); returns the path."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / PARQUET_FILE
    trials.to_parquet(path, engine="pyarrow", index=False)
    return path


def write_csv(report: Report, out: Path) -> list[Path]:
    """Write one CSV per section into `out` (headers even when a section is empty); returns the paths."""
    out.mkdir(parents=True, exist_ok=True)
    frames = {
        "agents.csv": report.agents.reset_index(names="agent"),
        "statuses.csv": report.statuses.reset_index(names="agent"),
        "failures.csv": report.failures,
        "labels.csv": report.labels,
        "elo.csv": _elo_frame(report),
        "aup.csv": _aup_frame(report),
        "fsr.csv": report.fsr,
        "pairwise.csv": report.pairwise,
        "win_matrix.csv": report.win_share.reset_index(names="agent")
        if not report.win_share.empty
        else pd.DataFrame(columns=["agent"]),
        "per_task.csv": report.per_task,
        "tasks.csv": report.tasks,
        "trials.csv": report.trials,
    }
    written = []
    for name in CSV_FILES:
        path = out / name
        frames[name].to_csv(path, index=False)
        written.append(path)
    return written
