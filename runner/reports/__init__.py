"""Reports over a runs folder: per-agent medals, Elo, AUP and FSR, pairwise outcomes and per-task scores.

    loaded = load_trials(runs_dir)                    # one pandas row per result.json (TRIAL_COLUMNS)
    report = build_report(loaded.frame, rounds=1000, seed=0, runs_dir=runs_dir, warnings=loaded.warnings)
    render_text(report, console)                      # tables no wider than the console
    report_markdown(report)                           # one Markdown document
    report_json(report)                               # one JSON-ready dict with a key per section
    display_tables(report)                            # every table as rows of strings, for other renderers
    write_csv(report, out); write_parquet(report.trials, out); write_html(report, out)

The task unit is (task_id, task_digest): results of different digests of a task are never pooled; a task_id
with several digests is reported as `task@digest12`, once per digest, with a warning.
"""

from ._compute import (
    AUP_MODES,
    LABEL_NOTE,
    SAMPLE_AGENT,
    STATUSES,
    TOP_REASONS,
    AupSection,
    EloSection,
    Report,
    ReportError,
    build_report,
)
from ._export import CSV_FILES, PARQUET_FILE, report_json, write_csv, write_parquet
from ._html import INDEX_FILE, write_html
from ._load import TRIAL_COLUMNS, LoadedTrials, load_trials
from ._markdown import report_markdown
from ._tables import DisplayTable, display_tables
from ._text import INDENT, render_text

__all__ = [
    "AUP_MODES",
    "CSV_FILES",
    "INDENT",
    "INDEX_FILE",
    "LABEL_NOTE",
    "PARQUET_FILE",
    "SAMPLE_AGENT",
    "STATUSES",
    "TOP_REASONS",
    "TRIAL_COLUMNS",
    "AupSection",
    "DisplayTable",
    "EloSection",
    "LoadedTrials",
    "Report",
    "ReportError",
    "build_report",
    "display_tables",
    "load_trials",
    "render_text",
    "report_json",
    "report_markdown",
    "write_csv",
    "write_html",
    "write_parquet",
]
