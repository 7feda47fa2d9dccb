"""PNG plots of a report, drawn with matplotlib's Agg canvas (no display, no pyplot state)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ._compute import Report

__all__ = ["Plot", "draw_plots", "figures", "fit"]

_DPI = 100
_FIT_ROUNDS = 5
_FIT_SLACK = 0.01  # inches
MAX_SCORE_PLOTS = 100
"""Score distributions are drawn for at most this many task units (in name order), to keep large reports quick."""


@dataclass(frozen=True)
class Plot:
    """One image written into the report folder."""

    key: str
    """elo, win_matrix, profiles or scores."""
    path: str
    """Path relative to the report folder, with forward slashes."""
    title: str
    alt: str


def _label(text: object) -> str:
    """Text as matplotlib shows it literally (a `$` would otherwise start mathtext)."""
    return str(text).replace("$", r"\$")


def fit(figure: Figure) -> Figure:
    """Grow `figure` until everything drawn lies inside it: long agent names, titles and colorbar labels would
    otherwise be cut at its edge, since constrained layout moves axes but never enlarges the figure."""
    FigureCanvasAgg(figure)
    for _ in range(_FIT_ROUNDS):
        with warnings.catch_warnings():
            # too small a figure for its labels: exactly what growing it below fixes
            warnings.filterwarnings("ignore", "constrained_layout not applied", UserWarning)
            figure.draw_without_rendering()  # runs the layout engine, which places the axes
        drawn = figure.get_tightbbox()
        width, height = (float(size) for size in figure.get_size_inches())
        wider = max(0.0, -drawn.x0) + max(0.0, drawn.x1 - width)
        taller = max(0.0, -drawn.y0) + max(0.0, drawn.y1 - height)
        if wider <= _FIT_SLACK and taller <= _FIT_SLACK:
            break
        figure.set_size_inches(width + (wider and wider + 0.2), height + (taller and taller + 0.2))
    return figure


def _save(figure: Figure, path: Path) -> None:
    fit(figure).savefig(path, dpi=_DPI, format="png", metadata={"Software": None})


def _elo(report: Report) -> Figure:
    ratings = report.elo.ratings.sort_values("rating")
    names = [
        _label(name if not isinstance(note, str) else f"{name} — {note}")
        for name, note in zip(ratings.index, ratings["interval"], strict=True)
    ]
    rating = ratings["rating"].to_numpy(dtype=np.float64)
    lower = np.nan_to_num(rating - ratings["lower"].to_numpy(dtype=np.float64), nan=0.0)
    upper = np.nan_to_num(ratings["upper"].to_numpy(dtype=np.float64) - rating, nan=0.0)
    figure = Figure(figsize=(7.0, 1.2 + 0.45 * len(names)), layout="constrained")
    axes = figure.add_subplot()
    positions = np.arange(len(names))
    axes.errorbar(rating, positions, xerr=np.vstack([lower, upper]), fmt="o", capsize=4, color="tab:blue")
    axes.set_yticks(positions, names)
    axes.axvline(1000.0, color="grey", linewidth=0.8, linestyle=":")
    axes.set_xlabel(f"Elo (95% bootstrap interval, {report.elo.rounds} rounds over tasks)")
    axes.set_title("Elo ratings")
    axes.grid(axis="x", alpha=0.3)
    return figure


def _win_matrix(report: Report) -> Figure:
    share = report.win_share
    names = [_label(name) for name in share.index]
    values = share.to_numpy(dtype=np.float64)
    size = 2.5 + 0.7 * len(names)
    figure = Figure(figsize=(size + 1.5, size), layout="constrained")
    axes = figure.add_subplot()
    image = axes.imshow(np.ma.masked_invalid(values), cmap="RdYlGn", vmin=0.0, vmax=1.0)
    axes.set_facecolor("#dddddd")
    axes.set_xticks(np.arange(len(names)), names, rotation=45, ha="right")
    axes.set_yticks(np.arange(len(names)), names)
    axes.set_xlabel("opponent")
    axes.set_ylabel("agent")
    for row in range(len(names)):
        for column in range(len(names)):
            if not np.isnan(values[row, column]):
                axes.text(column, row, f"{values[row, column]:.2f}", ha="center", va="center", fontsize=9)
    figure.colorbar(image, ax=axes, label="share of matches won (ties count half)")
    axes.set_title("Win matrix")
    return figure


def _profiles(report: Report) -> Figure:
    sections = [section for section in report.aup.values() if section.available and section.profile is not None]
    figure = Figure(figsize=(5.5 * len(sections), 4.2), layout="constrained")
    for position, section in enumerate(sections, start=1):
        axes = figure.add_subplot(1, len(sections), position)
        profile = section.profile
        assert profile is not None
        tau = profile.index.to_numpy(dtype=np.float64)
        for agent in profile.columns:
            axes.step(tau, profile[agent].to_numpy(dtype=np.float64), where="post", label=_label(agent))
        axes.set_xlabel("τ (log10 performance ratio)")
        axes.set_ylabel("share of tasks within τ of the best")
        axes.set_ylim(-0.02, 1.02)
        axes.set_title(f"Performance profiles ({section.mode})")
        axes.grid(alpha=0.3)
        axes.legend(fontsize=8, loc="lower right")
    return figure


def _scores(trials: pd.DataFrame, task: str, baseline: float | None) -> Figure:
    agents = sorted(str(agent) for agent in trials["agent_label"].unique())
    higher = bool(trials["higher_is_better"].iloc[0])
    figure = Figure(figsize=(6.5, 1.4 + 0.45 * len(agents)), layout="constrained")
    axes = figure.add_subplot()
    rng = np.random.default_rng(0)
    labels = []
    for position, agent in enumerate(agents):
        rows = trials[trials["agent_label"] == agent]
        valid = rows["valid"].astype(bool)
        scores = rows.loc[valid, "score"].to_numpy(dtype=np.float64)
        ended = rows.loc[~valid, "status"].astype(str).value_counts().sort_index()
        failed = ", ".join(f"{count} {status}" for status, count in ended.items())
        labels.append(_label(f"{agent} ({failed})" if failed else agent))
        if scores.size:
            jitter = rng.uniform(-0.12, 0.12, size=scores.size)
            axes.scatter(scores, position + jitter, s=28, alpha=0.75, color="tab:blue")
            axes.plot([scores.mean()] * 2, [position - 0.3, position + 0.3], color="tab:red", linewidth=2)
    if baseline is not None:
        axes.axvline(baseline, color="grey", linestyle="--", linewidth=1, label="AUP baseline")
        axes.legend(fontsize=8, loc="best")
    axes.set_yticks(np.arange(len(agents)), labels)
    axes.set_ylim(-0.6, len(agents) - 0.4)
    axes.set_xlabel(f"score ({'higher' if higher else 'lower'} is better); red bar: mean over valid seeds")
    axes.set_title(_label(task))
    axes.grid(axis="x", alpha=0.3)
    axes.margins(x=0.08)  # points at the extremes stay whole inside the axes
    return figure


def figures(report: Report, folder: str = "img") -> Iterator[tuple[Plot, Figure]]:
    """Every plot the report has data for, in reading order, as a figure not yet fitted or saved."""
    if report.elo.available and not report.elo.ratings.empty:
        yield (
            Plot("elo", f"{folder}/elo.png", "Elo ratings", "Elo rating of each agent with its 95% interval"),
            _elo(report),
        )
    if not report.win_share.empty:
        yield (
            Plot("win_matrix", f"{folder}/win_matrix.png", "Win matrix", "Heatmap of the share of matches won"),
            _win_matrix(report),
        )
    if any(section.available and section.profile is not None for section in report.aup.values()):
        yield (
            Plot("profiles", f"{folder}/profiles.png", "Performance profiles", "Performance profile of each agent"),
            _profiles(report),
        )
    baselines = {str(row.task): row.baseline for row in report.tasks.itertuples(index=False)}
    for number, (task, group) in enumerate(report.trials.groupby("task", sort=True), start=1):
        if number > MAX_SCORE_PLOTS:
            break
        baseline = baselines.get(str(task))
        value = None if baseline is None or pd.isna(baseline) else float(baseline)  # type: ignore[arg-type]
        plot = Plot("scores", f"{folder}/scores-{number:03d}.png", f"Scores: {task}",
                    f"Distribution of the scores on {task}")  # fmt: skip
        yield plot, _scores(group, str(task), value)


def draw_plots(report: Report, out: Path, folder: str = "img") -> list[Plot]:
    """Draw every plot the report has data for into `out/folder`, each grown until nothing drawn is cut off at
    its edges; returns them in reading order."""
    (out / folder).mkdir(parents=True, exist_ok=True)
    plots: list[Plot] = []
    for plot, figure in figures(report, folder):
        _save(figure, out / plot.path)
        plots.append(plot)
    return plots
