"""The numbers of a report: per-agent summary, Elo, AUP, FSR, pairwise outcomes and the per-task table.

Everything is computed per task unit (`task` column of the trials table: a task_id at one digest), so results
of different digests of a task are never pooled.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import get_args

import numpy as np
import pandas as pd

from runner._errors import BenchsmithError
from runner.results import TrialStatus
from runner.scoring import (
    AupMode,
    aup_best_last,
    aup_table,
    best_of_runs,
    bootstrap_ratings,
    fsr_summary,
    pairwise_matches,
    performance_profile,
    separation,
)

from ._load import TRIAL_COLUMNS

__all__ = [
    "AUP_MODES",
    "LABEL_NOTE",
    "SAMPLE_AGENT",
    "STATUSES",
    "TOP_REASONS",
    "AupSection",
    "EloSection",
    "Report",
    "ReportError",
    "build_report",
]

AUP_MODES: tuple[AupMode, ...] = ("fixed", "mlgym")
"""The fixed-penalty mode first: it is the headline, since MLGym's mode makes failing a task nearly free."""
SAMPLE_AGENT = "sample"
"""The registry agent whose mean score on a task is that task's AUP baseline."""
_MEDAL_RANK = {"bronze": 1, "silver": 2, "gold": 3}
_AGENT_COLUMNS = [
    "trials", "valid", "valid_pct", "any_medal_pct", "gold_pct", "above_median_pct", "mean_normalized",
    "elo", "elo_lower", "elo_upper", "elo_interval", *(f"aup_{mode}" for mode in AUP_MODES),
]  # fmt: skip
STATUSES: tuple[str, ...] = get_args(TrialStatus)
"""Every status a trial can end in, `ok` first: the columns of the status breakdown."""
LABEL_NOTE = (
    "an agent label is the agent's name, then the model it used (if any), then the first 8 hex digits of the "
    "SHA-256 of its --agent-arg list (if it had arguments; two `command` agents with different commands get "
    "different labels), then a speedrun trial's record and hints"
)
"""How agent labels are made, shown beside them."""
TOP_REASONS = 3
"""Failure reasons listed per agent: its most frequent ones."""
_FAILURE_COLUMNS = ["agent", "status", "reason", "trials"]
_LABEL_COLUMNS = ["agent_label", "agent", "model", "arguments_hash", "variant"]
_HASH = re.compile(r"[0-9a-f]{8}")
_FSR_COLUMNS = ["agent", "hint_level", "hints", "transition", "n", "mean", "median", "iqm", "ci_lower", "ci_upper"]
_PAIRWISE_COLUMNS = ["agent", "opponent", "wins", "ties", "losses", "games", "win_share"]
_PER_TASK_COLUMNS = [
    "task", "agent", "trials", "valid", "mean_score", "best_medal", "medals", "mean_normalized",
]  # fmt: skip
_TASK_COLUMNS = [
    "task", "task_id", "task_digest", "kind", "higher_is_better", "trials", "agents", "baseline", "baseline_source",
]  # fmt: skip


class ReportError(BenchsmithError, ValueError):
    """The trials cannot make a report (no trials, or a table that lacks the trials columns)."""


@dataclass
class EloSection:
    """Bradley-Terry Elo with 95% bootstrap intervals over tasks, or why there is none."""

    ratings: pd.DataFrame
    """Indexed by agent, columns rating, lower, upper, interval and interval_reason; empty when `reason` is set.
    `interval` is None for a real interval, else what stands in its place ("unbounded (won all)", "no spread")
    and `interval_reason` why; lower and upper are then NaN: under perfect separation the bootstrap's
    zero-width interval would only echo the fit's L2 penalty."""
    reason: str | None
    rounds: int
    seed: int

    @property
    def available(self) -> bool:
        return self.reason is None


@dataclass
class AupSection:
    """AUP of one mode with its floor and maximum, or why there is none."""

    mode: AupMode
    table: pd.DataFrame
    """Indexed by agent, columns aup (of mean scores), best and last (MLGym's), floor, maximum; empty when `reason`
    is set."""
    profile: pd.DataFrame | None
    """Performance profiles (index tau, one column per agent), for plotting."""
    reason: str | None
    tasks: list[str] = field(default_factory=list)

    @property
    def available(self) -> bool:
        return self.reason is None


@dataclass
class Report:
    """Everything a report shows; the renderers (text, json, csv, html) only format it."""

    runs_dir: Path | None
    trials: pd.DataFrame
    tasks: pd.DataFrame
    agents: pd.DataFrame
    elo: EloSection
    aup: dict[str, AupSection]
    fsr: pd.DataFrame
    pairwise: pd.DataFrame
    win_share: pd.DataFrame
    per_task: pd.DataFrame
    statuses: pd.DataFrame
    """Indexed by agent: trials, then one column per status (`STATUSES`) counting its trials."""
    failures: pd.DataFrame
    """Each agent's most frequent failure reasons (`TOP_REASONS`): agent, status, reason, trials."""
    labels: pd.DataFrame
    """What each agent label is made of: agent_label, agent, model, arguments_hash, variant."""
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _empty(columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype=object) for column in columns})


def _valid_scores(trials: pd.DataFrame) -> pd.Series:
    """Each trial's score where the trial is valid, else NaN."""
    score: pd.Series = trials["score"].astype("float64")
    return score.where(trials["valid"].astype(bool))


def _percent(part: pd.Series, whole: pd.Series) -> pd.Series:
    return (100.0 * part.astype("float64") / whole.astype("float64")).astype("float64")


def _agent_table(trials: pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "agent": trials["agent_label"],
            "trial": 1,
            "valid": trials["valid"].astype(int),
            "medal": trials["medal"].notna().astype(int),
            "gold": (trials["medal"] == "gold").astype(int),
            "above": trials["above_median"].astype(int),
            "normalized": trials["normalized_score"].astype("float64").where(trials["valid"].astype(bool)),
        }
    )
    grouped = frame.groupby("agent", sort=True)
    counts = grouped[["trial", "valid", "medal", "gold", "above"]].sum()
    table = pd.DataFrame(index=counts.index)
    table["trials"] = counts["trial"].astype("int64")
    table["valid"] = counts["valid"].astype("int64")
    table["valid_pct"] = _percent(counts["valid"], counts["trial"])
    table["any_medal_pct"] = _percent(counts["medal"], counts["trial"])
    table["gold_pct"] = _percent(counts["gold"], counts["trial"])
    table["above_median_pct"] = _percent(counts["above"], counts["trial"])
    table["mean_normalized"] = grouped["normalized"].mean().astype("float64")
    for column in ("elo", "elo_lower", "elo_upper", *(f"aup_{mode}" for mode in AUP_MODES)):
        table[column] = np.nan
    table["elo_interval"] = None
    table.index.name = "agent"
    return table[_AGENT_COLUMNS]


def _direction_conflicts(trials: pd.DataFrame) -> list[str]:
    directions = trials.groupby("task", sort=True)["higher_is_better"].nunique()
    return [str(task) for task, count in directions.items() if int(count) > 1]


def _matches(trials: pd.DataFrame) -> pd.DataFrame:
    results = pd.DataFrame(
        {
            "task": trials["task"].astype(str),
            "agent": trials["agent_label"].astype(str),
            "seed": trials["seed"],
            "status": trials["status"],
            "score": trials["score"],
            "higher_is_better": trials["higher_is_better"].astype(bool),
        }
    )
    return pairwise_matches(results)


def _disconnected_reason(matches: pd.DataFrame, agents: list[str]) -> str | None:
    compared = set(matches["a"].astype(str)) | set(matches["b"].astype(str))
    alone = [agent for agent in agents if agent not in compared]
    if alone:
        return (
            f"the comparison graph is not connected: {', '.join(alone)} shared no task with any other agent, so "
            "its rating could not be compared with the others"
        )
    return None


def _elo(trials: pd.DataFrame, matches: pd.DataFrame, rounds: int, seed: int) -> EloSection:
    agents = sorted(trials["agent_label"].astype(str).unique())
    empty = pd.DataFrame({"rating": pd.Series(dtype="float64"), "lower": pd.Series(dtype="float64"),
                          "upper": pd.Series(dtype="float64"), "interval": pd.Series(dtype=object),
                          "interval_reason": pd.Series(dtype=object)})  # fmt: skip
    if len(agents) < 2:
        return EloSection(empty, f"Elo needs at least 2 agents; the runs have {len(agents)}", rounds, seed)
    if matches.empty:
        return EloSection(empty, "Elo needs a task that two agents both attempted; there is none", rounds, seed)
    reason = _disconnected_reason(matches, agents)
    if reason is not None:
        return EloSection(empty, reason, rounds, seed)
    try:
        ratings = bootstrap_ratings(matches, rounds=rounds, seed=seed)
    except (ValueError, RuntimeError) as error:
        return EloSection(empty, f"Elo not computed: {error}", rounds, seed)
    ratings = ratings[["rating", "lower", "upper"]].astype("float64")
    notes = _interval_notes(matches, ratings)
    ratings["interval"] = [short for short, _ in notes]
    ratings["interval_reason"] = [full for _, full in notes]
    unbounded = ratings["interval"].notna()
    ratings.loc[unbounded, ["lower", "upper"]] = np.nan
    return EloSection(ratings, None, rounds, seed)


def _interval_notes(matches: pd.DataFrame, ratings: pd.DataFrame) -> list[tuple[str | None, str | None]]:
    """Per agent, (short, full) reason its Elo has no interval, or (None, None): separated from other agents
    (`separation`: "unbounded"), or every bootstrap resample the same ("no spread")."""
    separated = separation(matches).reindex(ratings.index)
    tasks = int(matches["task"].nunique())
    spread = {str(agent): float(width) for agent, width in (ratings["upper"] - ratings["lower"]).items()}
    notes: list[tuple[str | None, str | None]] = []
    for agent, row in separated.iterrows():
        above, below, group = bool(row["above"]), bool(row["below"]), str(row["group"])
        alone = group == str(agent)
        who, against = ("it", "it played") if alone else (f"its group ({group})", "against the other agents")
        if above or below:
            short = ("" if alone else "group ") + (
                "won/lost all" if above and below else ("won all" if above else "lost all")
            )
            outcome = (
                f"{who} beat every agent below it and lost to every agent above it, with no upset or tie"
                if above and below
                else f"{who} {'won' if above else 'lost'} every match {against}"
            )
            notes.append((f"unbounded ({short})", outcome))
        elif spread.get(str(agent), math.inf) < 0.5:
            notes.append(("no spread", f"every bootstrap resample of the {tasks} task(s) gave the same outcomes"))
        else:
            notes.append((None, None))
    return notes


def _separation_notes(elo: EloSection) -> list[str]:
    explained = elo.ratings["interval_reason"].dropna()
    if explained.empty:
        return []
    reasons = "; ".join(f"{agent}: {reason}" for agent, reason in explained.items())
    return [
        f"Elo intervals not shown ({reasons}). An agent that won (or lost) every match against some others has no "
        "finite maximum-likelihood rating: the rating shown is finite only through the fit's small L2 penalty, so "
        "read it as 'far above/below those agents', not as a number, and its interval as unbounded"
    ]


def _pairwise(matches: pd.DataFrame) -> pd.DataFrame:
    if matches.empty:
        return _empty(_PAIRWISE_COLUMNS)
    winner = matches["winner"].astype(str)
    views = [
        pd.DataFrame({"agent": matches["a"], "opponent": matches["b"], "wins": winner == "a", "ties": winner == "tie",
                      "losses": winner == "b"}),
        pd.DataFrame({"agent": matches["b"], "opponent": matches["a"], "wins": winner == "b", "ties": winner == "tie",
                      "losses": winner == "a"}),
    ]  # fmt: skip
    both = pd.concat(views, ignore_index=True)
    counts = both.groupby(["agent", "opponent"], sort=True)[["wins", "ties", "losses"]].sum().astype("int64")
    counts["games"] = counts["wins"] + counts["ties"] + counts["losses"]
    counts["win_share"] = (counts["wins"] + 0.5 * counts["ties"]) / counts["games"]
    return counts.reset_index()[_PAIRWISE_COLUMNS]


def _win_share(pairwise: pd.DataFrame) -> pd.DataFrame:
    if pairwise.empty:
        return pd.DataFrame()
    agents = sorted(set(pairwise["agent"].astype(str)) | set(pairwise["opponent"].astype(str)))
    share = pairwise.pivot(index="agent", columns="opponent", values="win_share")
    share = share.reindex(index=agents, columns=agents).astype("float64")
    share.index.name = "agent"
    share.columns.name = "opponent"
    return share


def _baselines(trials: pd.DataFrame, tasks: list[str]) -> pd.DataFrame:
    """Each task's AUP baseline: the `sample` agent's mean valid score, else a recorded baseline, else none.

    Research tasks put the recorded baseline first: it is the task's declared baseline, the one MLGym's AUP is
    measured against.
    """
    valid = _valid_scores(trials)
    sample = valid[trials["agent"] == SAMPLE_AGENT].groupby(trials["task"]).mean()
    recorded = trials["baseline_score"].astype("float64").groupby(trials["task"]).mean()
    research = set(trials.loc[trials["kind"] == "research", "task"].astype(str))
    rows: list[dict[str, object]] = []
    for task in tasks:
        from_sample = sample.get(task, np.nan)
        from_record = recorded.get(task, np.nan)
        if str(task) in research and pd.notna(from_record):
            rows.append({"task": task, "baseline": float(from_record), "source": "recorded baseline"})
        elif pd.notna(from_sample):
            rows.append({"task": task, "baseline": float(from_sample), "source": "sample agent"})
        elif pd.notna(from_record):
            rows.append({"task": task, "baseline": float(from_record), "source": "recorded baseline"})
        else:
            rows.append({"task": task, "baseline": np.nan, "source": None})
    return pd.DataFrame(rows, columns=["task", "baseline", "source"])


def _aup(trials: pd.DataFrame, baselines: pd.DataFrame, agents: list[str], notes: list[str]) -> dict[str, AupSection]:
    usable = baselines[baselines["baseline"].notna()]
    tasks = [str(task) for task in usable["task"]]
    skipped = [str(task) for task in baselines.loc[baselines["baseline"].isna(), "task"]]
    if skipped and tasks:
        notes.append(
            f"AUP leaves out {len(skipped)} task(s) with no baseline (no valid `{SAMPLE_AGENT}` trial and no "
            f"recorded baseline): {', '.join(skipped)}"
        )
    if not tasks:
        reason = (
            f"AUP skipped: no task has a baseline (a valid `{SAMPLE_AGENT}` agent trial or a recorded baseline score)"
        )
        return {mode: AupSection(mode, pd.DataFrame(), None, reason) for mode in AUP_MODES}
    per_task = _valid_scores(trials).groupby([trials["agent_label"], trials["task"]]).mean()
    scores = per_task.unstack("task").reindex(index=agents, columns=tasks).astype("float64")
    scores.index.name = "agent"
    directions = trials.groupby("task")["higher_is_better"].first().astype(bool)
    higher = {task: bool(directions[task]) for task in tasks}
    baseline = dict(zip(tasks, usable["baseline"].astype("float64").tolist(), strict=True))
    sections: dict[str, AupSection] = {}
    for mode in AUP_MODES:
        try:
            table = aup_table(scores, higher, baseline, mode=mode)
            profile = performance_profile(scores, higher, baseline, mode=mode)
            # MLGym reports each agent's best run per task, over its runs' best attempts and over their last
            # submissions, on one tau_max. A trial hands in one artefact, its last submission, which is also
            # the best attempt whose test score is known: both sets are the trials' scores.
            runs = pd.DataFrame(
                {"method": trials["agent_label"], "task": trials["task"], "score": _valid_scores(trials)}
            )
            last = best_of_runs(runs[runs["task"].isin(tasks)], higher).reindex(index=agents, columns=tasks)
            reported = aup_best_last(last, last, higher, baseline, mode=mode)
            table["best"], table["last"] = reported["best"], reported["last"]
        except ValueError as error:
            sections[mode] = AupSection(mode, pd.DataFrame(), None, f"AUP ({mode}) not computed: {error}", tasks)
            continue
        table.index.name = "agent"
        sections[mode] = AupSection(mode, table.astype("float64"), profile, None, tasks)
    return sections


def _hint(value: object) -> int | None:
    return None if value is None or value is pd.NA or not isinstance(value, int | np.integer) else int(value)


def _fsr(trials: pd.DataFrame, rounds: int, seed: int, notes: list[str]) -> pd.DataFrame:
    speed = trials[trials["kind"] == "speedrun"]
    if speed.empty:
        return _empty(_FSR_COLUMNS)
    values = speed["fsr"].astype("float64")
    failed = speed["status"] != "ok"
    values = values.where(values.notna() | ~failed, 0.0)
    unknown = int(values.isna().sum())
    if unknown:
        notes.append(f"FSR leaves out {unknown} successful speedrun trial(s) that recorded no FSR")
    rows: list[dict[str, object]] = []
    hint = speed["hint_level"].astype("Int64")
    keys = pd.DataFrame(
        {
            "agent": speed["agent_label"].astype(str), "hint": hint, "hints": speed["hints"].fillna(""),
            "transition": speed["transition"].fillna(""), "fsr": values,
        }
    )  # fmt: skip
    # one row per agent, hints and record transition: FSR of r2 -> r3 is not comparable with r0 -> r1's
    for key, group in keys.groupby(["agent", "hint", "hints", "transition"], sort=True, dropna=False):
        agent, level = str(key[0]), _hint(key[1])
        present = group["fsr"].dropna().to_numpy(dtype=np.float64)
        if present.size == 0:
            continue
        summary = fsr_summary(present, rounds=rounds, seed=seed)  # the interval resamples the seeds' FSRs
        rows.append(
            {
                "agent": agent, "hint_level": level, "hints": str(key[2]) or None, "transition": str(key[3]) or None,
                "n": summary.n,
                "mean": summary.mean, "median": summary.median, "iqm": summary.iqm, "ci_lower": summary.ci_lower,
                "ci_upper": summary.ci_upper,
            }
        )  # fmt: skip
    notes.append("FSR: a failed speedrun trial with no recorded FSR counts as 0 (no speed-up recovered)")
    return pd.DataFrame(rows, columns=_FSR_COLUMNS) if rows else _empty(_FSR_COLUMNS)


def _per_task(trials: pd.DataFrame) -> pd.DataFrame:
    valid = trials["valid"].astype(bool)
    frame = pd.DataFrame(
        {
            "task": trials["task"].astype(str),
            "agent": trials["agent_label"].astype(str),
            "valid": valid.astype("int64"),
            "score": trials["score"].astype("float64").where(valid),
            "medal_rank": trials["medal"].map(_MEDAL_RANK).astype("float64"),
            "medal": trials["medal"].notna().astype("int64"),
            "normalized": trials["normalized_score"].astype("float64").where(valid),
        }
    )
    grouped = frame.groupby(["task", "agent"], sort=True)
    table = grouped.agg(
        trials=("valid", "size"),
        valid=("valid", "sum"),
        mean_score=("score", "mean"),
        best_rank=("medal_rank", "max"),
        medals=("medal", "sum"),
        mean_normalized=("normalized", "mean"),
    ).reset_index()
    names = {rank: name for name, rank in _MEDAL_RANK.items()}
    table["best_medal"] = [None if pd.isna(rank) else names[int(rank)] for rank in table["best_rank"]]
    return table[_PER_TASK_COLUMNS]


def _task_table(trials: pd.DataFrame, baselines: pd.DataFrame, conflicts: list[str]) -> pd.DataFrame:
    grouped = trials.groupby("task", sort=True)
    table = grouped.agg(
        task_id=("task_id", "first"), task_digest=("task_digest", "first"), kind=("kind", "first"),
        higher_is_better=("higher_is_better", "first"), trials=("task_id", "size"), agents=("agent_label", "nunique"),
    ).reset_index()  # fmt: skip
    table["higher_is_better"] = [
        None if task in conflicts else bool(higher)
        for task, higher in zip(table["task"], table["higher_is_better"], strict=True)
    ]
    lookup = baselines.set_index("task")
    table["baseline"] = lookup["baseline"].reindex(table["task"]).to_numpy(dtype=np.float64)
    table["baseline_source"] = lookup["source"].reindex(table["task"]).astype(object).to_numpy()
    table["baseline_source"] = table["baseline_source"].where(table["baseline_source"].notna(), None)
    table["trials"] = table["trials"].astype("int64")
    table["agents"] = table["agents"].astype("int64")
    return table[_TASK_COLUMNS]


def _statuses(trials: pd.DataFrame) -> pd.DataFrame:
    counts = pd.crosstab(trials["agent_label"].astype(str), trials["status"].astype(str))
    table = counts.reindex(columns=list(STATUSES), fill_value=0).astype("int64")
    table.insert(0, "trials", counts.sum(axis=1).astype("int64"))
    table.index.name = "agent"
    table.columns.name = None
    return table


def _first_line(reason: object) -> str:
    text = "" if reason is None or (isinstance(reason, float) and math.isnan(reason)) else str(reason).strip()
    return text.splitlines()[0] if text else "(no reason recorded)"


def _failures(trials: pd.DataFrame) -> pd.DataFrame:
    failed = trials[trials["status"] != "ok"]
    if failed.empty:
        return _empty(_FAILURE_COLUMNS)
    frame = pd.DataFrame(
        {
            "agent": failed["agent_label"].astype(str),
            "status": failed["status"].astype(str),
            "reason": [_first_line(reason) for reason in failed["reason"]],
        }
    )
    counts = frame.groupby(["agent", "status", "reason"], sort=True).size().rename("trials").reset_index()
    counts = counts.sort_values(["agent", "trials", "status", "reason"], ascending=[True, False, True, True])
    return counts.groupby("agent", sort=True).head(TOP_REASONS).reset_index(drop=True)[_FAILURE_COLUMNS]


def _labels(trials: pd.DataFrame) -> pd.DataFrame:
    """What each label is made of (`agent[-model][-hash8][-variant]`, as the runner names trial folders): the
    record's agent and model, and the 8 hex digits of the arguments' hash, with what follows it (a speedrun
    trial's record and hints)."""
    rows: list[dict[str, object]] = []
    first = trials.drop_duplicates("agent_label").sort_values("agent_label")
    for label, agent, recorded in zip(first["agent_label"], first["agent"], first["model"], strict=True):
        model = recorded if isinstance(recorded, str) and recorded else None
        tokens = str(label).removeprefix(str(agent)).split("-")[1:]
        found = next((index for index, token in enumerate(tokens) if _HASH.fullmatch(token)), None)
        if found is None and not model:  # no model and no arguments: whatever follows the agent is the variant
            found = -1
        rows.append(
            {
                "agent_label": str(label), "agent": str(agent), "model": model,
                "arguments_hash": None if found is None or found < 0 else tokens[found],
                "variant": None if found is None else ("-".join(tokens[found + 1 :]) or None),
            }
        )  # fmt: skip
    return pd.DataFrame(rows, columns=_LABEL_COLUMNS, dtype=object)  # object: a missing part stays None


def build_report(
    trials: pd.DataFrame,
    *,
    rounds: int = 1000,
    seed: int = 0,
    runs_dir: Path | None = None,
    warnings: Sequence[str] = (),
) -> Report:
    """Compute every section of the report from the trials table (`load_trials(...).frame`).

    `rounds` and `seed` drive the Elo and FSR bootstraps. Sections that cannot be computed (Elo with one agent
    or a disconnected comparison graph, AUP without baselines, ...) carry the reason instead of numbers.
    Raises ReportError for a table with no trials or without the trials columns, ValueError for `rounds < 1`.
    """
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, got {rounds}")
    missing = [column for column in TRIAL_COLUMNS if column not in trials.columns]
    if missing:
        raise ReportError(f"the trials table lacks columns: {', '.join(missing)}")
    if trials.empty:
        raise ReportError("there are no trials to report on")
    trials = trials.reset_index(drop=True)
    notes: list[str] = []
    warned = list(warnings)
    conflicts = _direction_conflicts(trials)
    if conflicts:
        warned.append(
            f"higher_is_better differs between trials of task(s) {', '.join(conflicts)}; they are left out of Elo, "
            "the win matrix and AUP"
        )
    comparable = trials[~trials["task"].isin(conflicts)].reset_index(drop=True)
    agents = _agent_table(trials)
    agent_names = [str(agent) for agent in agents.index]

    matches = _matches(comparable)
    elo = _elo(comparable, matches, rounds, seed)
    if elo.available:
        agents["elo"] = elo.ratings["rating"].reindex(agents.index)
        agents["elo_lower"] = elo.ratings["lower"].reindex(agents.index)
        agents["elo_upper"] = elo.ratings["upper"].reindex(agents.index)
    pairwise = _pairwise(matches)
    if elo.available:
        agents["elo_interval"] = elo.ratings["interval"].reindex(agents.index)
        notes.extend(_separation_notes(elo))

    all_tasks = sorted(str(task) for task in trials["task"].unique())
    baselines = _baselines(trials, [task for task in all_tasks if task not in conflicts])
    aup = _aup(comparable, baselines, agent_names, notes)
    for mode, section in aup.items():
        if section.available:
            agents[f"aup_{mode}"] = section.table["aup"].reindex(agents.index)

    notes.extend(
        [
            "valid = status ok with a score; medal, gold and above-median shares are over all of an agent's trials "
            "(a failed trial earns none); mean normalized is over valid trials that have a normalized score",
            f"Elo: Bradley-Terry on per-task matches (an agent's task score is the mean over its valid seeds; a "
            f"failure loses to any valid score), 95% interval from {rounds} bootstrap rounds over tasks (seed {seed})",
            "AUP: per-task mean score over valid seeds against each task's baseline (a research task's declared "
            "baseline, else the `sample` agent's mean score, else a recorded baseline); an agent with no valid "
            "score on a task fails it; `best` and `last` are MLGym's Best-attempt and Last-submission AUPs: each "
            "agent's best seed per task, both on one tau_max (a trial hands in one artefact, its last submission, "
            "so the two coincide)",
            "AUP fixed is the headline: a failed task adds nothing to it. In AUP mlgym a failed task still earns "
            "its area up to 1.05 times the task's worst ratio, so failing is nearly free there: compare an agent "
            "with the mode's floor (the AUP of an agent that fails every task), shown beside it",
        ]
    )
    fsr = _fsr(trials, rounds, seed, notes)
    return Report(
        runs_dir=runs_dir,
        trials=trials,
        tasks=_task_table(trials, baselines, conflicts),
        agents=agents,
        elo=elo,
        aup=aup,
        fsr=fsr,
        pairwise=pairwise,
        win_share=_win_share(pairwise),
        per_task=_per_task(trials),
        statuses=_statuses(trials),
        failures=_failures(trials),
        labels=_labels(trials),
        warnings=warned,
        notes=notes,
    )
