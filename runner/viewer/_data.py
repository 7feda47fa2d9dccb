"""What the viewer and `runner results` / `runner show` read from a runs folder: the runner's own records only.

Results come from `runner.results.iter_results` (a result.json is read only where the runner writes it, and only
when it is that trial's own record); a trial's other files are read from that same trial folder, bounded, as
regular files never reached through a link.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner.results import (
    EVENTS_FILE,
    CommandRun,
    EventsRead,
    Grading,
    ModelCall,
    SandboxStarted,
    TrialEnded,
    TrialResult,
    TrialStarted,
    iter_results,
    read_events,
    read_result,
)

from ._files import Excerpt, cap_notes, is_real_folder, read_excerpt, read_text, real_subfolders

LOG_TAIL_BYTES = 64 * 1024
NODE_FILE_BYTES = 32 * 1024
AIDE_JOURNAL_BYTES = 64 * 1024**2
"""The largest AIDE journal read (it holds every node's code and output)."""
SUBMISSION_LINES = 20
MEDALS = ("gold", "silver", "bronze", "none")


class TrialNotFound(LookupError):
    """No recorded trial matches what was asked for; the message says what to do."""


@dataclass(frozen=True)
class Filters:
    """Which trials to list; None matches anything. `agent` matches the agent name or its label; `medal` is a
    medal or `none`."""

    status: str | None = None
    agent: str | None = None
    task: str | None = None
    model: str | None = None
    medal: str | None = None

    def match(self, result: TrialResult) -> bool:
        if self.status is not None and result.status != self.status:
            return False
        if self.agent is not None and self.agent not in (result.agent, result.agent_label):
            return False
        if self.task is not None and self.task != result.task_id:
            return False
        if self.model is not None and self.model != (result.model or ""):
            return False
        return self.medal is None or self.medal == (result.medal or "none")


@dataclass(frozen=True)
class Trial:
    """One recorded trial: its folder and its result."""

    folder: Path
    result: TrialResult

    @property
    def trial_id(self) -> str:
        return self.result.trial_id


def list_trials(runs_dir: Path, filters: Filters | None = None) -> list[Trial]:
    """Every trial the runner recorded under `runs_dir` that `filters` match, in path order."""
    wanted = filters or Filters()
    return [Trial(folder, result) for folder, result in iter_results(runs_dir) if wanted.match(result)]


def row(trial: Trial) -> dict[str, Any]:
    """One trial as a flat record (the JSON and CSV listings)."""
    result = trial.result
    return {
        "trial_id": result.trial_id,
        "task_id": result.task_id,
        "agent": result.agent,
        "agent_label": result.agent_label,
        "model": result.model,
        "seed": result.seed,
        "status": result.status,
        "reason": result.reason,
        "score": result.score,
        "medal": result.medal,
        "normalized_score": result.normalized_score,
        "started_at": result.started_at.isoformat(),
        "duration_s": round(result.duration_s, 3),
        "attempts": result.attempts,
        "input_tokens": result.usage.input_tokens,
        "output_tokens": result.usage.output_tokens,
        "calls": result.usage.calls,
        "cost_usd": result.usage.cost_usd,
        "folder": str(trial.folder),
    }


ROW_COLUMNS = (  # the keys of `row`, in order
    "trial_id", "task_id", "agent", "agent_label", "model", "seed", "status", "reason", "score", "medal",
    "normalized_score", "started_at", "duration_s", "attempts", "input_tokens", "output_tokens", "calls",
    "cost_usd", "folder",
)  # fmt: skip


def status_counts(trials: list[Trial]) -> Counter[str]:
    """How many trials ended in each status."""
    return Counter(trial.result.status for trial in trials)


def _trial_id_of(folder: Path) -> str:
    parts = folder.parts[-3:]
    return "/".join(parts) if len(parts) == 3 else ""


def find_trial(argument: str, runs_dir: Path | None) -> Trial:
    """The trial that `argument` names: a trial folder, or (in `runs_dir`) a trial id, with or without its
    `@digest`, or an unambiguous start of one. TrialNotFound says why not."""
    folder = Path(argument)
    if is_real_folder(folder) and (folder / "result.json").exists():
        trial_id = _trial_id_of(folder.resolve())
        result = read_result(folder, trial_id)
        if result is None:
            raise TrialNotFound(
                f"{argument}: no valid result.json of trial {trial_id!r} there (only records the runner wrote "
                "for the trial of that folder are read)"
            )
        return Trial(folder, result)
    if runs_dir is None:
        raise TrialNotFound(f"{argument!r} is not a trial folder: give one, or a trial id with --runs-dir")
    if not runs_dir.is_dir():
        raise TrialNotFound(f"runs folder {runs_dir} does not exist: pass --runs-dir")
    trials = list_trials(runs_dir)
    for trial in trials:
        if argument in (trial.trial_id, _without_digest(trial.trial_id)):
            return trial
    starts = [t for t in trials if t.trial_id.startswith(argument) or _without_digest(t.trial_id).startswith(argument)]
    if len(starts) == 1:
        return starts[0]
    if starts:
        shown = ", ".join(t.trial_id for t in starts[:3])
        raise TrialNotFound(f"{argument!r} matches {len(starts)} trials ({shown}, ...): give more of the id")
    raise TrialNotFound(f"no trial {argument!r} in {runs_dir}: `runner results {runs_dir}` lists them")


def _without_digest(trial_id: str) -> str:
    task, _, rest = trial_id.partition("/")
    return f"{task.split('@', 1)[0]}/{rest}"


@dataclass
class TreeNode:
    """One node of the llm agent's solution tree (`logs/tree/node-*/`)."""

    id: str
    record: dict[str, Any]
    prompt: Excerpt | None = None
    reply: Excerpt | None = None
    code: Excerpt | None = None
    output: Excerpt | None = None
    children: list[TreeNode] = field(default_factory=list)

    @property
    def parent(self) -> str | None:
        parent = self.record.get("parent")
        return parent if isinstance(parent, str) else None

    @property
    def score(self) -> float | None:
        score = self.record.get("score")
        return float(score) if isinstance(score, int | float) else None


def _text_excerpt(text: str, limit: int = NODE_FILE_BYTES, *, tail: bool = False) -> Excerpt:
    data = text.encode("utf-8", errors="replace")
    start = max(0, len(data) - limit) if tail else 0
    shown = data[start : start + limit]
    return Excerpt(shown.decode("utf-8", errors="replace"), len(data), start, len(shown))


def aide_tree(folder: Path) -> list[TreeNode]:
    """The aide agent's journal (`logs/aide/journal.json`) as solution-tree nodes, in AIDE's step order."""
    try:
        journal = json.loads(read_text(folder / "logs" / "aide" / "journal.json", AIDE_JOURNAL_BYTES) or "")
    except ValueError:  # missing, or cut at the size limit
        return []
    entries = journal.get("nodes") if isinstance(journal, dict) else None
    records = [entry for entry in entries or [] if isinstance(entry, dict) and isinstance(entry.get("id"), str)]
    names = {entry["id"]: f"step-{entry.get('step', index)}" for index, entry in enumerate(records)}
    buggy = {entry["id"] for entry in records if entry.get("is_buggy")}
    # AIDE writes each node's parent in `node2parent` (the nodes' own `parent` fields are cleared).
    parents = journal.get("node2parent") if isinstance(journal.get("node2parent"), dict) else {}
    nodes: dict[str, TreeNode] = {}
    for entry in records:
        parent_id = parents.get(entry["id"])
        parent = names.get(parent_id) if isinstance(parent_id, str) else None
        parent_buggy = parent_id in buggy
        metric = entry.get("metric")
        metric = metric if isinstance(metric, dict) else {}
        output = entry.get("_term_out")
        record = {
            "kind": "draft" if parent is None else ("debug" if parent_buggy else "improve"),
            "parent": parent, "buggy": bool(entry.get("is_buggy")), "error": entry.get("exc_type"),
            "score": metric.get("value"), "plan": entry.get("plan") or None,
            "duration_s": entry.get("exec_time"),
        }  # fmt: skip
        node = TreeNode(id=names[entry["id"]], record=record, code=_text_excerpt(str(entry.get("code") or "")))
        node.reply = _text_excerpt(str(entry.get("analysis") or "")) if entry.get("analysis") else None
        text = "".join(output) if isinstance(output, list) else str(output or "")
        node.output = _text_excerpt(text, tail=True)
        nodes[node.id] = node
    for node in nodes.values():
        if node.parent in nodes:
            nodes[node.parent].children.append(node)
    return list(nodes.values())


def solution_tree(folder: Path) -> list[TreeNode]:
    """The llm agent's nodes in id order, each with its children linked; the aide agent's journal as such nodes;
    empty for other agents."""
    tree = folder / "logs" / "tree"
    if not is_real_folder(tree):
        return aide_tree(folder)
    nodes: dict[str, TreeNode] = {}
    for node_folder in real_subfolders(tree):
        try:
            record = json.loads(read_text(node_folder / "node.json") or "")
        except ValueError:
            record = {}
        nodes[node_folder.name] = TreeNode(
            id=node_folder.name,
            record=record if isinstance(record, dict) else {},
            prompt=read_excerpt(node_folder / "prompt.md", NODE_FILE_BYTES),
            reply=read_excerpt(node_folder / "reply.md", NODE_FILE_BYTES),
            code=read_excerpt(node_folder / "solution.py", NODE_FILE_BYTES),
            output=read_excerpt(node_folder / "output.txt", NODE_FILE_BYTES, tail=True),
        )
    for node in nodes.values():
        if node.parent in nodes:
            nodes[node.parent].children.append(node)
    return list(nodes.values())


def best_node(folder: Path) -> str | None:
    """The node the llm agent submitted, if it did."""
    text = read_text(folder / "logs" / "best_node.txt")
    return text.strip() or None if text else None


def agent_log(folder: Path, limit: int = LOG_TAIL_BYTES) -> Excerpt | None:
    """The tail of the trial's agent.log."""
    return read_excerpt(folder / "logs" / "agent.log", limit, tail=True)


def submission_head(trial: Trial, lines: int = SUBMISSION_LINES) -> Excerpt | None:
    """The first lines of the submission the runner kept beside result.json."""
    details = trial.result.details
    name = getattr(details, "submission_file", None)
    if not name or "/" in name or name.startswith("."):
        return None
    excerpt = read_excerpt(trial.folder / name, 16 * 1024)
    if excerpt is None:
        return None
    head = "".join(excerpt.text.splitlines(keepends=True)[:lines])
    return Excerpt(head, excerpt.size, 0, len(head.encode()))


@dataclass(frozen=True)
class EventsSummary:
    """A trial's event log in figures (its last attempt)."""

    attempts: int
    counts: dict[str, int]
    commands: int
    failed_commands: int
    command_s: float
    model_calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    sandbox_startup_s: float | None
    grading_s: float | None
    bad_lines: int


def events_summary(read: EventsRead) -> EventsSummary:
    """Figures of the last attempt of an event log."""
    events = read.last_attempt()
    commands = [e for e in events if isinstance(e, CommandRun)]
    calls = [e for e in events if isinstance(e, ModelCall)]
    costs = [c.cost_usd for c in calls]
    started = next((e.startup_s for e in events if isinstance(e, SandboxStarted)), None)
    graded = next((e.duration_s for e in events if isinstance(e, Grading)), None)
    return EventsSummary(
        attempts=sum(isinstance(e, TrialStarted) for e in read.events),
        counts=dict(Counter(e.event for e in events)),
        commands=len(commands),
        failed_commands=sum(c.exit_code != 0 for c in commands),
        command_s=sum(c.duration_s for c in commands),
        model_calls=len(calls),
        input_tokens=sum(c.input_tokens for c in calls),
        output_tokens=sum(c.output_tokens for c in calls),
        cost_usd=None if None in costs else sum(c for c in costs if c is not None),
        sandbox_startup_s=started,
        grading_s=graded,
        bad_lines=read.bad_lines,
    )


@dataclass
class TrialView:
    """Everything shown of one trial."""

    trial: Trial
    events: EventsRead
    summary: EventsSummary
    log: Excerpt | None
    earlier_caps: list[str]
    """The sandbox's output-cap notes in the part of the agent log before the shown tail."""
    tree: list[TreeNode]
    best: str | None
    submission: Excerpt | None


def load_trial(trial: Trial, log_bytes: int = LOG_TAIL_BYTES) -> TrialView:
    """Read what the viewer and `runner show` display of one trial."""
    events = read_events(trial.folder)
    log = agent_log(trial.folder, log_bytes)
    return TrialView(
        trial=trial,
        events=events,
        summary=events_summary(events),
        log=log,
        earlier_caps=cap_notes(trial.folder / "logs" / "agent.log", log.start) if log is not None else [],
        tree=solution_tree(trial.folder),
        best=best_node(trial.folder),
        submission=submission_head(trial),
    )


_SEED_FOLDER = re.compile(r"seed-(0|[1-9][0-9]*)")
_LAST_EVENT_BYTES = 8192


@dataclass(frozen=True)
class Unfinished:
    """A trial whose last attempt started and has not ended: running now, or its runner was stopped."""

    trial_id: str
    folder: Path
    summary: EventsSummary


def _ended(folder: Path) -> bool:
    """Whether the last line of the folder's event log is a `trial_ended` (read from the end: logs grow long)."""
    tail = read_excerpt(folder / EVENTS_FILE, _LAST_EVENT_BYTES, tail=True)
    if tail is None:
        return True  # no log: nothing is known to be running
    lines = [line for line in tail.text.splitlines() if line.strip()]
    return bool(lines) and '"event":"trial_ended"' in lines[-1]


def unfinished_trials(runs_dir: Path) -> list[Unfinished]:
    """Trials of `runs_dir` whose event log's last attempt has not ended, in path order. Only the trial-folder
    layout is walked, through real folders, as `runner.results.result_files` does; never a workspace."""
    found: list[Unfinished] = []
    for task in real_subfolders(runs_dir):
        if "@" not in task.name:
            continue
        for label in real_subfolders(task):
            for seed in real_subfolders(label):
                if not _SEED_FOLDER.fullmatch(seed.name) or _ended(seed):
                    continue
                events = read_events(seed)
                attempt = events.last_attempt()
                if attempt and isinstance(attempt[0], TrialStarted) and not isinstance(attempt[-1], TrialEnded):
                    trial_id = f"{task.name}/{label.name}/{seed.name}"
                    found.append(Unfinished(trial_id, seed, events_summary(events)))
    return found
