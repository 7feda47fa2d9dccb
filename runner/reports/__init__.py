"""Reports over a runs folder: per-agent medals, Elo, AUP and FSR, pairwise outcomes and per-task scores.

    loaded = load_trials(runs_dir)                    # one pandas row per result.json (TRIAL_COLUMNS)
    report = build_report(loaded.frame, rounds=1000, seed=0, runs_dir=runs_dir, warnings=loaded.warnings)
    render_text(report, console)                      # rich tables
    report_json(report)                               # one JSON-ready dict with a key per section
    write_csv(report, out); write_parquet(report.trials, out); write_html(report, out)

The task unit is (task_id, task_digest): results of different digests of a task are never pooled; a task_id
with several digests is reported as `task@digest12`, once per digest, with a warning.
"""

from ._compute import AUP_MODES, SAMPLE_AGENT, AupSection, EloSection, Report, ReportError, build_report
from ._export import CSV_FILES, PARQUET_FILE, report_json, write_csv, write_parquet
from ._html import INDEX_FILE, write_html
from ._load import TRIAL_COLUMNS, LoadedTrials, load_trials
from ._text import render_text

__all__ = [
    "AUP_MODES",
    "CSV_FILES",
    "INDEX_FILE",
    "PARQUET_FILE",
    "SAMPLE_AGENT",
    "TRIAL_COLUMNS",
    "AupSection",
    "EloSection",
    "LoadedTrials",
    "Report",
    "ReportError",
    "build_report",
    "load_trials",
    "render_text",
    "report_json",
    "write_csv",
    "write_html",
    "write_parquet",
]
