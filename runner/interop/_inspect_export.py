"""benchsmith trials as Inspect logs: `runner export inspect RUNS_DIR` writes `.eval` files `inspect view` opens.

One log per agent label (agent, model, arguments), one sample per trial: the sample's id is `<task>@<digest12>`,
its epoch the seed + 1, its input the task's description as the trial's sandbox had it, its messages that and the
trial's event log (a line per command, model call and grading), its score the trial's
outcome (`result_score`: the normalized score as value, status, validity, raw score and medal in its metadata),
and its metadata the whole `result.json`. Only the runner's own records are read (`iter_results`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from inspect_ai.log import (
    EvalConfig,
    EvalDataset,
    EvalLog,
    EvalMetric,
    EvalPlan,
    EvalResults,
    EvalSample,
    EvalScore,
    EvalSpec,
    EvalStats,
    write_eval_log,
)
from inspect_ai.model import ChatMessageAssistant, ChatMessageUser, ModelOutput, ModelUsage

from runner.results import CommandRun, Event, Grading, ModelCall, TrialResult, iter_results, read_events

from ._inspect import SCORER_NAME, InspectTaskError, result_score

_DESCRIPTION_CHARS = 20_000


def export_inspect_logs(runs_dir: Path, out_dir: Path) -> list[Path]:
    """Write one Inspect `.eval` log per agent label of the trials under `runs_dir` into `out_dir`; their paths."""
    by_label: dict[str, list[tuple[Path, TrialResult]]] = defaultdict(list)
    for folder, result in iter_results(runs_dir):
        by_label[result.agent_label].append((folder, result))
    if not by_label:
        raise InspectTaskError(f"{runs_dir}: no trial results found (a runs folder of `runner exec` holds them)")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for label, trials in sorted(by_label.items()):
        path = out_dir / f"benchsmith_{_file_name(label)}.eval"
        scratch = path.with_name(f".{path.name}.tmp")
        write_eval_log(_log(label, trials), str(scratch), format="eval")
        scratch.replace(path)
        written.append(path)
    return written


def _log(label: str, trials: list[tuple[Path, TrialResult]]) -> EvalLog:
    trials = sorted(trials, key=lambda item: (item[1].task_id, item[1].seed))
    first = trials[0][1]
    model = f"benchsmith/{first.model or first.agent}"
    samples = [_sample(folder, result, model) for folder, result in trials]
    started = min(result.started_at for _, result in trials)
    ended = max(result.started_at.timestamp() + result.duration_s for _, result in trials)
    values = [sample.scores[SCORER_NAME] for sample in samples if sample.scores]
    metrics = {
        "mean": sum(float(score.as_float()) for score in values) / len(values),
        "valid": sum(1 for score in values if (score.metadata or {}).get("valid")) / len(values),
        "medal": sum(1 for score in values if (score.metadata or {}).get("medal")) / len(values),
    }
    spec = EvalSpec(
        created=started.isoformat(),
        task=f"benchsmith/{label}",
        task_id=_file_name(label),
        task_registry_name="benchsmith",
        dataset=EvalDataset(name="benchsmith", samples=len(samples), sample_ids=[s.id for s in samples]),
        model=model,
        config=EvalConfig(),
        solver=first.agent,
        metadata={"agent": first.agent, "agent_label": label, "exported_by": "runner export inspect"},
    )
    return EvalLog(
        status="success",
        eval=spec,
        plan=EvalPlan(name=first.agent),
        results=EvalResults(
            total_samples=len(samples),
            completed_samples=len(samples),
            scores=[
                EvalScore(
                    name=SCORER_NAME,
                    scorer=SCORER_NAME,
                    metrics={name: EvalMetric(name=name, value=value) for name, value in metrics.items()},
                )
            ],
        ),
        stats=EvalStats(
            started_at=started.isoformat(),
            completed_at=datetime.fromtimestamp(ended, UTC).isoformat(),
            model_usage={model: _usage(trials)},
        ),
        samples=samples,
    )


def _sample(folder: Path, result: TrialResult, model: str) -> EvalSample:
    score = result_score(
        status=result.status, score=result.score, normalized=result.normalized_score, medal=result.medal,
        percentile=result.percentile, reason=result.reason, higher_is_better=result.higher_is_better,
    )  # fmt: skip
    description = _description(folder) or f"{result.task_id} {result.task_version}"
    outcome = f"{result.agent} ended with status {result.status}" + (f": {result.reason}" if result.reason else "")
    usage = ModelUsage(
        input_tokens=result.usage.input_tokens,
        output_tokens=result.usage.output_tokens,
        total_tokens=result.usage.input_tokens + result.usage.output_tokens,
        total_cost=result.usage.cost_usd,
    )
    return EvalSample(
        id=f"{result.task_id}@{result.task_digest[:12]}",
        epoch=result.seed + 1,
        input=description,
        target="",
        messages=[
            ChatMessageUser(content=description),
            *([ChatMessageAssistant(content=events, model=model)] if (events := _events(folder)) else []),
            ChatMessageAssistant(content=outcome, model=model),
        ],
        output=ModelOutput.from_content(model=model, content=outcome),
        scores={SCORER_NAME: score},
        metadata=result.model_dump(mode="json"),
        model_usage={model: usage} if result.usage.calls else {},
        started_at=result.started_at.isoformat(),
        completed_at=datetime.fromtimestamp(result.started_at.timestamp() + result.duration_s, UTC).isoformat(),
        total_time=result.duration_s,
    )


def _description(folder: Path) -> str | None:
    """The description the runner copied for the trial (never through a link: the trial folder is the runner's,
    but a copy is read as data only)."""
    path = folder / "task" / "description.md"
    if path.is_symlink() or not path.is_file():
        return None
    with path.open(encoding="utf-8", errors="replace") as handle:
        return handle.read(_DESCRIPTION_CHARS)


def _events(folder: Path) -> str:
    """The trial's event log (`events.jsonl`, docs/viewer.md), one line per event; empty without one."""
    return "\n".join(_event_line(event) for event in read_events(folder).events)


def _event_line(event: Event) -> str:
    when = event.at.strftime("%H:%M:%S")
    if isinstance(event, CommandRun):
        ended = "timed out" if event.timed_out else "out of memory" if event.oom else f"exit {event.exit_code}"
        return f"{when} $ {' '.join(event.argv)}  ({ended}, {event.duration_s:.1f} s)"
    if isinstance(event, ModelCall):
        return f"{when} model call to {event.model}: {event.input_tokens} + {event.output_tokens} tokens"
    if isinstance(event, Grading):
        return f"{when} graded: {event.status}" + (f" {event.score:g}" if event.score is not None else "")
    return f"{when} {event.event.replace('_', ' ')}"


def _usage(trials: list[tuple[Path, TrialResult]]) -> ModelUsage:
    input_tokens = sum(result.usage.input_tokens for _, result in trials)
    output_tokens = sum(result.usage.output_tokens for _, result in trials)
    costs = [result.usage.cost_usd for _, result in trials]
    # One trial whose price is unknown makes the total unknown rather than an undercount.
    cost = None if None in costs else sum(cost for cost in costs if cost is not None)
    return ModelUsage(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        total_tokens=input_tokens + output_tokens,
        total_cost=cost,
    )


def _file_name(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", label).strip("-") or "agent"
