"""A report as a self-contained folder: index.html (inline CSS, escaped tables), PNG plots, trials.parquet."""

from __future__ import annotations

from html import escape
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from ._compute import Report
from ._export import PARQUET_FILE, write_parquet
from ._tables import DisplayTable, display_tables

if TYPE_CHECKING:
    from ._plots import Plot

__all__ = ["INDEX_FILE", "write_html"]

INDEX_FILE = "index.html"
# Where each kind of plot goes: after the table with this key.
_PLOTS_AFTER = {"elo": "agents", "profiles": "aup", "win_matrix": "pairwise", "scores": "per_task"}


def _css() -> str:
    return resources.files("runner.reports").joinpath("report.css").read_text(encoding="utf-8")


def _table(shown: DisplayTable) -> str:
    parts = [f'<section id="{escape(shown.key)}">', f"<h2>{escape(shown.title)}</h2>"]
    if shown.message is not None and not shown.rows:
        parts.append(f'<p class="message">{escape(shown.message)}</p>')
    else:
        parts.append(f'<table class="{escape(shown.key)}">')
        if shown.caption:
            parts.append(f"<caption>{escape(shown.caption)}</caption>")
        parts.append("<thead><tr>" + "".join(f'<th scope="col">{escape(c)}</th>' for c in shown.columns))
        parts.append("</tr></thead><tbody>")
        for row in shown.rows:
            cells = "".join(
                f'<td class="num">{escape(cell)}</td>' if index in shown.numeric else f"<td>{escape(cell)}</td>"
                for index, cell in enumerate(row)
            )
            parts.append(f"<tr>{cells}</tr>")
        parts.append("</tbody></table>")
    return "\n".join(parts)


def _figure(plot: Plot) -> str:
    return (
        f'<figure class="{escape(plot.key)}"><img src="{escape(plot.path)}" alt="{escape(plot.alt)}" loading="eager">'
        f"<figcaption>{escape(plot.title)}</figcaption></figure>"
    )


def _figures(plots: list[Plot]) -> str:
    if not plots:
        return ""
    inner = "\n".join(_figure(plot) for plot in plots)
    return f'<div class="grid">{inner}</div>' if len(plots) > 1 else inner


def _page(report: Report, plots: list[Plot]) -> str:
    trials = report.trials
    where = "" if report.runs_dir is None else f" in {report.runs_dir}"
    summary = (
        f"{len(trials)} trial(s){where}: {trials['agent_label'].nunique()} agent(s), {trials['task'].nunique()} "
        f"task(s), {int(trials['valid'].sum())} valid."
    )
    body = ["<h1>benchsmith report</h1>", f'<p class="summary">{escape(summary)}</p>']
    body.append(f'<p>Trials table for pandas: <a href="{PARQUET_FILE}">{PARQUET_FILE}</a></p>')
    if report.warnings:
        body.append('<section id="warnings"><h2>Warnings</h2><ul class="warnings">')
        body.extend(f"<li>{escape(warning)}</li>" for warning in report.warnings)
        body.append("</ul></section>")
    for shown in display_tables(report):
        body.append(_table(shown))
        body.append(_figures([plot for plot in plots if _PLOTS_AFTER.get(plot.key) == shown.key]))
    units = int(trials["task"].nunique())
    drawn = sum(plot.key == "scores" for plot in plots)
    notes = list(report.notes)
    if drawn < units:
        notes.append(f"score distributions are drawn for the first {drawn} of {units} tasks")
    if notes:
        body.append('<section id="notes"><h2>Notes</h2><ul class="notes">')
        body.extend(f"<li>{escape(note)}</li>" for note in notes)
        body.append("</ul></section>")
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            "<title>benchsmith report</title>",
            f"<style>\n{_css()}</style>",
            "</head><body>",
            *[part for part in body if part],
            "</body></html>",
            "",
        ]
    )


def write_html(report: Report, out: Path) -> Path:
    """Write the report folder `out`: index.html, img/*.png and trials.parquet; returns index.html's path.

    Images are referenced by relative paths and the CSS is inline, so the folder can be moved or zipped.
    """
    from ._plots import draw_plots  # matplotlib is imported only when HTML is asked for

    out.mkdir(parents=True, exist_ok=True)
    plots = draw_plots(report, out)
    write_parquet(report.trials, out)
    index = out / INDEX_FILE
    index.write_text(_page(report, plots), encoding="utf-8")
    return index
