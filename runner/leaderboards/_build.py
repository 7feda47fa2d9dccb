"""Build a leaderboard: prepare the task, run the solver ladder in worker processes, grade, rank."""

from __future__ import annotations

import multiprocessing
import tempfile
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spec import LoadedTask

from ._problem import LeaderboardError, Problem, describe_problem
from ._solvers import SOLVERS, Solver

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

    import pandas as pd
    from numpy.typing import NDArray

    from ._worker import Job

DEFAULT_SOLVER_TIMEOUT_S = 120.0
MIN_ENTRIES = 20
PROVENANCE = "reference-solvers"
LEADERBOARD_FILE = "leaderboard.csv"
COLUMNS = ("rank", "team", "score", "family", "params")
_WORKER_MODULE = "runner.leaderboards._warm"
_KILL_GRACE_S = 2.0


@dataclass(frozen=True)
class SolverOutcome:
    """How one solver fared: its score, or why it was skipped."""

    solver: Solver
    score: float | None
    error: str | None
    seconds: float


Progress = Callable[[int, int, "SolverOutcome | None"], None]
"""`progress(done, total, outcome)`: called once with `outcome=None` before the first solver, then per solver."""


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        # The fork server imports scikit-learn once; each worker is then a cheap fork of it, free of this
        # process's threads (a progress bar's refresh thread, for one).
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([_WORKER_MODULE])
        return context
    return multiprocessing.get_context("spawn")


@dataclass
class _Running:
    index: int
    process: BaseProcess
    connection: Connection
    started: float
    deadline: float


def _stop(process: BaseProcess) -> None:
    if process.is_alive():
        process.terminate()
        process.join(_KILL_GRACE_S)
        if process.is_alive():
            process.kill()
    process.join()


def run_jobs(
    jobs: Sequence[Job], workers: int, timeout_s: float, on_result: Callable[[int, Any, str | None, float], None]
) -> None:
    """Run each job in its own worker process, `workers` at a time; `on_result(index, predictions, error, s)`."""
    from ._worker import child

    context = _context()
    pending = deque(range(len(jobs)))
    running: dict[Connection, _Running] = {}
    try:
        while pending or running:
            while pending and len(running) < workers:
                index = pending.popleft()
                receiver, sender = context.Pipe(duplex=False)
                process = context.Process(target=child, args=(jobs[index], sender), daemon=True)
                process.start()
                sender.close()
                now = time.monotonic()
                running[receiver] = _Running(index, process, receiver, now, now + timeout_s)
            nearest = min(entry.deadline for entry in running.values())
            ready = wait(list(running), timeout=max(0.0, nearest - time.monotonic()))
            for connection in ready:
                assert isinstance(connection, Connection)
                entry = running.pop(connection)
                try:
                    status, payload = connection.recv()
                except (EOFError, OSError):
                    entry.process.join(_KILL_GRACE_S)
                    status, payload = "error", f"the worker died (exit code {entry.process.exitcode})"
                connection.close()
                _stop(entry.process)
                seconds = time.monotonic() - entry.started
                on_result(entry.index, payload if status == "ok" else None, None if status == "ok" else payload,
                          seconds)  # fmt: skip
            now = time.monotonic()
            for connection, entry in list(running.items()):
                if now >= entry.deadline:
                    del running[connection]
                    _stop(entry.process)
                    connection.close()
                    on_result(entry.index, None, f"timed out after {timeout_s:g} s", now - entry.started)
    finally:
        for entry in running.values():
            _stop(entry.process)
            entry.connection.close()


def _submission(problem: Problem, ids: pd.Series[Any], predictions: NDArray[Any]) -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame({problem.id_column: ids.to_numpy()})
    for index, column in enumerate(problem.columns):
        frame[column] = predictions[:, index]
    return frame


def _ranked(outcomes: list[SolverOutcome], higher_is_better: bool) -> pd.DataFrame:
    import pandas as pd

    scored = [outcome for outcome in outcomes if outcome.score is not None]
    frame = pd.DataFrame(
        {
            "team": [outcome.solver.name for outcome in scored],
            "score": [outcome.score for outcome in scored],
            "family": [outcome.solver.family for outcome in scored],
            "params": [outcome.solver.params_text for outcome in scored],
        }
    )
    # Ties keep the ladder's order (stable sort), so the file is the same on every build.
    frame = frame.sort_values("score", ascending=not higher_is_better, kind="stable").reset_index(drop=True)
    frame.insert(0, "rank", frame["score"].rank(method="min", ascending=not higher_is_better).astype(int))
    return frame


def build_leaderboard(
    loaded_task: LoadedTask,
    cache_root: Path | None = None,
    jobs: int = 1,
    progress: Progress | None = None,
    *,
    solvers: Sequence[Solver] | None = None,
    timeout_s: float = DEFAULT_SOLVER_TIMEOUT_S,
    min_entries: int = MIN_ENTRIES,
) -> pd.DataFrame:
    """Run the reference solvers on a task's public data and rank their graded scores, best first.

    The frame has the columns `rank, team, score, family, params`; `frame.attrs` holds `skipped` (team →
    reason), `metric` and `higher_is_better`. A solver that fails or runs past `timeout_s` is skipped.
    Raises `LeaderboardError` when the task cannot be solved this way or fewer than `min_entries` succeed.
    """
    from runner.grading import GradingError, grade_submission
    from runner.preparation import PreparationError, prepare_task

    from ._features import clean_features, plan_features
    from ._worker import Job

    task = loaded_task.manifest
    if task is None:
        raise LeaderboardError(f"{loaded_task.path} is not a valid manifest; run `runner validate {loaded_task.path}`")
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    try:
        prepared = prepare_task(loaded_task, cache_root=cache_root)
    except PreparationError as error:
        raise LeaderboardError(f"preparing {task.id} failed: {error}") from None
    problem, train, test = describe_problem(task, prepared.public, prepared.private)
    plan = plan_features(train, problem.features)
    if not (plan.numeric or plan.categorical or plan.text):
        raise LeaderboardError("every feature column of the training table is constant; there is nothing to learn")
    ladder = list(SOLVERS[problem.kind] if solvers is None else solvers)
    train_features, test_features = clean_features(train, plan), clean_features(test, plan)
    target = train.loc[:, list(problem.targets)] if problem.kind == "multilabel" else train[problem.target]
    work = [
        Job(
            kind=problem.kind, prediction=problem.prediction, columns=problem.columns,
            clip_at_zero=problem.clip_at_zero, plan=plan, solver=solver, train=train_features,
            target=target, test=test_features, k=problem.k, threshold=problem.threshold,
        )
        for solver in ladder
    ]  # fmt: skip
    outcomes: list[SolverOutcome | None] = [None] * len(ladder)
    total = len(ladder)
    if progress is not None:
        progress(0, total, None)

    with tempfile.TemporaryDirectory(prefix="benchsmith-leaderboard-") as scratch:

        def on_result(index: int, predictions: Any, error: str | None, seconds: float) -> None:
            solver = ladder[index]
            score: float | None = None
            if predictions is not None:
                path = Path(scratch) / f"{index:03d}.csv"
                _submission(problem, test[problem.id_column], predictions).to_csv(path, index=False)
                try:
                    grade = grade_submission(task, loaded_task.path, path, prepared.private)
                except GradingError as failure:
                    raise LeaderboardError(f"grading is broken for task {task.id}: {failure}") from None
                if grade.valid and grade.score is not None:
                    score = grade.score
                else:
                    error = f"its submission is invalid: {grade.reason}"
            outcome = SolverOutcome(solver=solver, score=score, error=error, seconds=seconds)
            outcomes[index] = outcome
            if progress is not None:
                progress(sum(item is not None for item in outcomes), total, outcome)

        run_jobs(work, jobs, timeout_s, on_result)

    finished = [outcome for outcome in outcomes if outcome is not None]
    frame = _ranked(finished, problem.higher_is_better)
    frame.attrs["skipped"] = {o.solver.name: o.error for o in finished if o.score is None}
    frame.attrs["metric"] = problem.metric
    frame.attrs["higher_is_better"] = problem.higher_is_better
    if len(frame) < min_entries:
        skipped = "; ".join(f"{name}: {reason}" for name, reason in frame.attrs["skipped"].items())
        raise LeaderboardError(
            f"only {len(frame)} of {total} reference solvers produced a valid score, fewer than the "
            f"{min_entries} a leaderboard needs" + (f" (skipped: {skipped})" if skipped else "")
        )
    return frame


def write_leaderboard(frame: pd.DataFrame, path: Path) -> None:
    """Write the leaderboard CSV atomically: a temporary file beside `path`, then a rename over it."""
    missing = [column for column in COLUMNS if column not in frame.columns]
    if missing:
        raise ValueError(f"the leaderboard frame lacks column(s) {', '.join(missing)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with temporary.open("x", encoding="utf-8", newline="") as stream:
            frame.loc[:, list(COLUMNS)].to_csv(stream, index=False, lineterminator="\n")
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
