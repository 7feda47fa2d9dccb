"""A report as one Markdown document (GitHub-flavoured tables), for pull requests, wikis and notebooks."""

from __future__ import annotations

from ._compute import Report
from ._tables import DisplayTable, display_tables

__all__ = ["report_markdown"]


def _escape(text: str) -> str:
    """Text safe inside a table cell or a paragraph: pipes, markup characters and line breaks neutralised."""
    for char in ("\\", "|", "*", "_", "`", "[", "]", "<", ">", "#"):
        text = text.replace(char, f"\\{char}")
    return " ".join(text.split())


def _table(shown: DisplayTable) -> list[str]:
    lines = [f"## {_escape(shown.title)}", ""]
    if shown.message is not None and not shown.rows:
        return [*lines, _escape(shown.message), ""]
    lines.append("| " + " | ".join(_escape(column) for column in shown.columns) + " |")
    lines.append(
        "|" + "|".join("---:" if index in shown.numeric else "---" for index in range(len(shown.columns))) + "|"
    )
    lines.extend("| " + " | ".join(_escape(cell) for cell in row) + " |" for row in shown.rows)
    if shown.caption:
        lines += ["", f"*{_escape(shown.caption)}*"]
    return [*lines, ""]


def report_markdown(report: Report) -> str:
    """The report's summary, warnings, tables (`display_tables`) and notes as Markdown."""
    trials = report.trials
    where = "" if report.runs_dir is None else f" in {_escape(str(report.runs_dir))}"
    lines = [
        "# benchsmith report",
        "",
        f"{len(trials)} trial(s){where}: {trials['agent_label'].nunique()} agent(s), {trials['task'].nunique()} "
        f"task(s), {int(trials['valid'].sum())} valid.",
        "",
    ]
    if report.warnings:
        lines += ["## Warnings", "", *(f"- {_escape(warning)}" for warning in report.warnings), ""]
    for shown in display_tables(report):
        lines += _table(shown)
    if report.notes:
        lines += ["## Notes", "", *(f"- {_escape(note)}" for note in report.notes), ""]
    return "\n".join(lines)
