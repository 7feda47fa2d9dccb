"""PNG plots of a report, drawn with matplotlib's Agg canvas (no display, no pyplot state)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ._compute import Report

__all__ = ["Plot", "draw_plots"]

_DPI = 100
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


def _save(figure: Figure, path: Path) -> None:
    FigureCanvasAgg(figure)
    figure.savefig(path, dpi=_DPI, format="png", metadata={"Software": None})


def _elo(report: Report, path: Path) -> None:
    ratings = report.elo.ratings.sort_values("rating")
    names = [_label(name) for name in ratings.index]
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
    _save(figure, path)


def _win_matrix(report: Report, path: Path) -> None:
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
    _save(figure, path)


def _profiles(report: Report, path: Path) -> None:
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
    _save(figure, path)


def _scores(trials: pd.DataFrame, task: str, baseline: float | None, path: Path) -> None:
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
        failed = int((~valid).sum())
        labels.append(_label(f"{agent} ({failed} invalid)" if failed else agent))
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
    _save(figure, path)


def draw_plots(report: Report, out: Path, folder: str = "img") -> list[Plot]:
    """Draw every plot the report has data for into `out/folder`; returns them in reading order."""
    images = out / folder
    images.mkdir(parents=True, exist_ok=True)
    plots: list[Plot] = []
    if report.elo.available and not report.elo.ratings.empty:
        _elo(report, images / "elo.png")
        plots.append(Plot("elo", f"{folder}/elo.png", "Elo ratings", "Elo rating of each agent with its 95% interval"))
    if not report.win_share.empty:
        _win_matrix(report, images / "win_matrix.png")
        plots.append(
            Plot("win_matrix", f"{folder}/win_matrix.png", "Win matrix", "Heatmap of the share of matches won")
        )
    if any(section.available and section.profile is not None for section in report.aup.values()):
        _profiles(report, images / "profiles.png")
        plots.append(
            Plot("profiles", f"{folder}/profiles.png", "Performance profiles", "Performance profile of each agent")
        )
    baselines = {str(row.task): row.baseline for row in report.tasks.itertuples(index=False)}
    for number, (task, group) in enumerate(report.trials.groupby("task", sort=True), start=1):
        if number > MAX_SCORE_PLOTS:
            break
        name = f"{folder}/scores-{number:03d}.png"
        baseline = baselines.get(str(task))
        value = None if baseline is None or pd.isna(baseline) else float(baseline)  # type: ignore[arg-type]
        _scores(group, str(task), value, out / name)
        plots.append(Plot("scores", name, f"Scores: {task}", f"Distribution of the scores on {task}"))
    return plots
