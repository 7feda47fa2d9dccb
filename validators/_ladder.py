"""The third verification layer: a ladder of solvers of known, increasing strength attempts each task through the
real trial path (sandbox, grading, result), and the task is kept only when their scores increase beyond the
test set's noise.

The rungs are the agents `ladder-dummy`, `ladder-linear` and `ladder-boosting` (runner/agents/_ladder.py), one
trial each (seed 0) through `runner.trials.run_batch`. Each rung's submission, as graded, is rescored on the same
test rows drawn with replacement (a paired bootstrap, `bootstrap_scores`), scores oriented so that higher is
better. For rungs i weaker than j, let [lo(j, i), hi(j, i)] be the percentile interval of score_j - score_i. Over
the rungs that scored, with `top` the strongest:

- `indistinct` when lo(top, dummy) <= 0: the best rung's lead over the prior is within noise (a pure-noise
  target, a test set too small);
- `inverted` when some hi(j, i) < 0: a stronger rung is significantly worse than a weaker one;
- `saturated` when the linear rung's graded score is the metric's best possible one: nothing is left above it
  for stronger agents to show;
- `discriminates` otherwise (kept); `undecided` (not rejected) when fewer than two rungs scored or there is no
  bootstrap (a metric script, too few defined draws).

The verdict is recorded per task digest in `verification.json` (`VerificationRecord.ladders`), so an unchanged
task is not run again (`force` runs it anyway).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from spec import LoadedTask, Problem, task_digest

from ._ladder_record import LadderRecord, LadderVerdict, RungGap, RungScore
from ._verification import _anchored, _relative, read_record, record_path, write_record

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from runner.results import TrialResult

LADDER_RESAMPLES = 200
LADDER_CONFIDENCE = 0.95
LADDER_CODES = ("ladder.indistinct", "ladder.inverted", "ladder.saturated", "ladder.rung-failed", "ladder.undecided")
_SEED = 0
_PERFECT_TOLERANCE = 1e-12


@dataclass
class LadderOutcome:
    """What the ladder made of one task in one run."""

    task: LoadedTask
    record: LadderRecord | None
    """The verdict (new or recorded before); None when the ladder did not finish (see `reason`)."""
    from_record: bool = False
    reason: str | None = None
    """Why there is no verdict: not a competition task, an infrastructure error (run again), an interruption."""
    problems: list[Problem] = field(default_factory=list)
    """The verdict's problems, located in this checkout."""


def ladder_rungs() -> tuple[str, ...]:
    """The ladder's agents, weakest first."""
    from runner.agents import LADDER_RUNGS

    return LADDER_RUNGS


def ladder_runs_dir(cache_root: Path | None = None) -> Path:
    """Where the ladder's trials go by default: under the cache, one folder per ladder version and program (an
    interrupted run resumes from its finished trials; an edited program starts afresh)."""
    from runner.agents import LADDER_PROGRAM_DIGEST, LADDER_VERSION
    from runner.preparation import default_cache_root

    return (cache_root or default_cache_root()) / "ladder" / f"v{LADDER_VERSION}-{LADDER_PROGRAM_DIGEST}"


def recorded_ladder(task: LoadedTask, digest: str, rungs: Sequence[str] | None = None) -> LadderRecord | None:
    """The task's recorded ladder verdict when it is for this digest, this ladder version and these rungs (default
    `ladder_rungs()`). An `undecided` record is not reused: the rungs could not solve the task then (a kind of
    input they did not read yet), and a newer program may."""
    from runner.agents import LADDER_VERSION

    record = read_record(record_path(task.path)).ladders.get(task.id)
    if record is None or record.task_digest != digest or record.ladder_version != LADDER_VERSION:
        return None
    if record.verdict == "undecided":
        return None
    if [rung.agent for rung in record.rungs] != list(rungs or ladder_rungs()):
        return None
    return record


def store_ladder(task: LoadedTask, record: LadderRecord) -> LadderRecord:
    """Put `record` into the verification record beside the task's manifest (atomically); returns it as stored,
    its problems' files relative to the record's folder."""
    path = record_path(task.path)
    current = read_record(path)
    relative = record.model_copy(update={"problems": _relative(record.problems, task.id)})
    updated = current.model_copy(update={"ladders": dict(sorted({**current.ladders, task.id: relative}.items()))})
    write_record(path, updated)
    return relative


def interval(differences: NDArray[np.float64], confidence: float = LADDER_CONFIDENCE) -> tuple[float, float]:
    """The percentile interval of bootstrap differences."""
    import numpy as np

    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(differences, [tail, 100 - tail])
    return float(low), float(high)


def decide(
    rungs: Sequence[str], draws: NDArray[np.float64] | None, saturated: bool, confidence: float = LADDER_CONFIDENCE
) -> tuple[LadderVerdict, list[RungGap], list[tuple[LadderVerdict, str]]]:
    """The verdict from the paired draws of the scored rungs (columns, weakest first; oriented, higher better).

    Returns the verdict, an interval for every pair of rungs, and every rejecting condition met with its reason
    (the first one's is the verdict).
    """
    if draws is None or len(rungs) < 2:
        return "undecided", [], []
    gaps = []
    for j in range(1, len(rungs)):
        for i in range(j):
            low, high = interval(draws[:, j] - draws[:, i], confidence)
            gaps.append(RungGap(stronger=rungs[j], weaker=rungs[i], low=low, high=high))
    found: list[tuple[LadderVerdict, str]] = []
    lead = next(gap for gap in gaps if gap.stronger == rungs[-1] and gap.weaker == rungs[0])
    if lead.low <= 0:
        found.append(("indistinct", f"{lead.stronger}'s lead over {lead.weaker} is within noise: a {confidence:.0%} "
                      f"bootstrap interval of the difference is [{lead.low:.4g}, {lead.high:.4g}]"))  # fmt: skip
    for gap in gaps:
        if gap.high < 0:
            found.append(("inverted", f"{gap.stronger} scores significantly worse than the weaker {gap.weaker}: "
                          f"interval of the difference [{gap.low:.4g}, {gap.high:.4g}]"))  # fmt: skip
    if saturated:
        found.append(("saturated", "the linear rung already reaches the metric's best possible score: stronger "
                      "agents cannot be told apart on this task"))  # fmt: skip
    return (found[0][0] if found else "discriminates"), gaps, found


_REMEDY = {
    "indistinct": "the target may be noise, or the test set too small to tell solvers apart; enlarge test_size or "
    "drop the task",
    "inverted": "the task rewards something other than modelling skill (a leak the simple rung exploits, a metric "
    "that favours hedging); inspect the task or drop it",
    "saturated": "make the task harder (another target, fewer features) or drop it",
}
_FIELD: dict[str, tuple[str, ...]] = {"indistinct": ("prepare",), "inverted": ("prepare",), "saturated": ("metric",)}


def judge(
    task: LoadedTask,
    results: Sequence[TrialResult],
    runs_dir: Path,
    cache_root: Path | None = None,
    resamples: int = LADDER_RESAMPLES,
) -> tuple[LadderRecord, list[Problem]]:
    """The ladder's verdict on a task from its rungs' trial results (weakest first) and their kept submissions."""
    from runner.agents import LADDER_VERSION, get_agent
    from runner.metrics import get_metric
    from spec import NamedMetric

    from ._registry import CheckContext
    from .execute import kit_for
    from .execute._kit import reference_frame
    from .execute._significance import bootstrap_scores

    manifest = task.manifest
    assert manifest is not None and manifest.submission is not None
    problems: list[Problem] = []
    rungs = [
        RungScore(
            agent=result.agent, version=getattr(get_agent(result.agent), "version", None),
            scikit_learn=(result.lock.packages.get("scikit-learn") if result.lock else None), status=result.status,
            score=result.score if result.status == "ok" else None, seconds=round(result.duration_s, 3),
            trial_id=result.trial_id,
        )
        for result in results
    ]  # fmt: skip
    frames, scored = [], []
    for result, rung in zip(results, rungs, strict=True):
        submission = runs_dir / result.trial_id / manifest.submission.file
        frame = reference_frame(submission, manifest.submission.id_column) if rung.score is not None else None
        if frame is None:
            reason = (result.reason or result.status).strip().splitlines()[-1][:300] if result.reason else result.status
            problems.append(task.problem("ladder.rung-failed", f"ladder rung {result.agent} did not score ({reason}); "
                                         "the verdict uses the other rungs", severity="warning"))  # fmt: skip
            continue
        frames.append(frame)
        scored.append(rung)
    metric = manifest.metric
    metric_name = metric.name if isinstance(metric, NamedMetric) else None
    draws = None
    if len(frames) >= 2 and scored[0].agent == rungs[0].agent:
        kit = kit_for(task, CheckContext(cache_root=cache_root))
        if not isinstance(kit, Exception):
            draws = bootstrap_scores(kit, frames, resamples, _SEED)
    best = get_metric(metric_name).best_possible if metric_name is not None else None
    linear = next((rung.score for rung in scored if rung.agent == "ladder-linear"), None)
    saturated = best is not None and linear is not None and abs(linear - best) <= _PERFECT_TOLERANCE
    verdict, gaps, found = decide([rung.agent for rung in scored], draws, saturated)
    if verdict == "undecided":
        why = (
            "fewer than two rungs, the dummy among them, scored"
            if len(frames) < 2 or scored[0].agent != rungs[0].agent
            else "the metric is the task's own script"
            if metric_name is None
            else "too few bootstrap draws had a defined score"
        )
        problems.append(task.problem("ladder.undecided", f"the solver ladder cannot judge this task: {why}",
                                     ("metric",), severity="warning"))  # fmt: skip
    for code, message in found:
        problems.append(task.problem(f"ladder.{code}", f"{message}; {_REMEDY[code]}", _FIELD[code]))
    record = LadderRecord(
        task_digest=task_digest(task.path, manifest, task.raw or None), ladder_version=LADDER_VERSION,
        ran_on=datetime.datetime.now(datetime.UTC).date(), metric=metric_name,
        higher_is_better=metric.higher_is_better, resamples=resamples, confidence=LADDER_CONFIDENCE, rungs=rungs,
        gaps=gaps, verdict=verdict, problems=problems,
    )  # fmt: skip
    return record, problems


def run_ladder(
    tasks: Sequence[LoadedTask],
    runs_dir: Path | None = None,
    *,
    backend: str = "local",
    cache_root: Path | None = None,
    jobs: int = 1,
    force: bool = False,
    resamples: int = LADDER_RESAMPLES,
    extra_agents: Sequence[str] = (),
    model: str | None = None,
    on_task: Callable[[LadderOutcome], None] | None = None,
) -> list[LadderOutcome]:
    """Run the ladder on every task without a verdict for its digest (all of them with `force`), recording each
    verdict as soon as its rungs are done; returns an outcome per task, in the order given.

    Trials go through `runner.trials.run_batch` (`jobs` at a time) into `runs_dir` (default `ladder_runs_dir`),
    so an interrupted run resumes from the trials that finished; with `force` the tasks' earlier rung trials there
    are deleted first. A task with a rung ending in infra_error gets no verdict and runs again next time.

    `extra_agents` (e.g. `llm`, with `model` when given) are rungs above boosting, strongest last: they take part
    in the verdict like the others, and a record made without them is not reused.
    """
    import shutil

    from runner.trials import RunSettings, TrialRequest, run_batch

    runs_dir = runs_dir or ladder_runs_dir(cache_root)
    rungs = (*ladder_rungs(), *extra_agents)
    outcomes: dict[int, LadderOutcome] = {}
    waiting: dict[str, tuple[int, LoadedTask, dict[str, TrialResult]]] = {}
    requests: list[TrialRequest] = []

    def finish(position: int, outcome: LadderOutcome) -> None:
        outcomes[position] = outcome
        if on_task is not None:
            on_task(outcome)

    for position, task in enumerate(tasks):
        manifest = task.manifest
        if manifest is None or manifest.kind != "competition" or manifest.submission is None:
            finish(position, LadderOutcome(task, None, reason="the ladder runs on competition tasks only"))
            continue
        digest = task_digest(task.path, manifest, task.raw or None)
        recorded = None if force else recorded_ladder(task, digest, rungs)
        if recorded is not None:
            finish(position, LadderOutcome(task, recorded, from_record=True,
                                           problems=_anchored(recorded.problems, task.path.parent)))  # fmt: skip
            continue
        waiting[digest] = (position, task, {})
        requests.extend(
            TrialRequest(task=task, agent=rung, seed=0, model=model if rung in extra_agents else None) for rung in rungs
        )

    def on_done(result: TrialResult | None, how: str) -> None:
        if result is None or result.task_digest not in waiting:
            return
        position, task, done = waiting[result.task_digest]
        done[result.agent] = result
        if len(done) < len(rungs):
            return
        del waiting[result.task_digest]
        ordered = [done[rung] for rung in rungs]
        failed = [result for result in ordered if result.status == "infra_error"]
        if failed:
            reason = f"{failed[0].agent}: {failed[0].reason}; run the ladder again"
            finish(position, LadderOutcome(task, None, reason=reason))
            return
        record, problems = judge(task, ordered, runs_dir, cache_root, resamples)
        finish(position, LadderOutcome(task, store_ladder(task, record), problems=problems))

    if force:
        for request in requests:
            shutil.rmtree(request.key.folder(runs_dir), ignore_errors=True)
    settings = RunSettings(runs_dir=runs_dir, backend=backend, cache_root=cache_root)
    report = run_batch(requests, settings, jobs=jobs, on_done=on_done)
    for position, task, _ in waiting.values():
        why = "interrupted" if report.interrupted else "a rung's trial did not finish (busy or lost); run it again"
        finish(position, LadderOutcome(task, None, reason=why))
    return [outcomes[position] for position in sorted(outcomes)]
