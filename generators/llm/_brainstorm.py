"""Brainstormer: ask the model for task proposals, then keep only those grounded in the profiled table."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field

from spec import StrictModel, target_concern

from .._profile import TableProfile, TargetCandidate
from .._propose import MIN_TASK_ROWS, PredictionFormat, TaskProposal
from ._chat import Chat
from ._prompts import render
from ._reply import ReplyError, parse_reply

ProblemType = Literal["binary", "multiclass", "regression"]
_PREDICTIONS = {"label": "one class label per row", "probability": "class probabilities", "value": "one number per row"}


class LlmProposal(StrictModel):
    """One proposal as the model writes it."""

    target: str = Field(min_length=1, description="Column to predict; must be a column of the table.")
    problem: ProblemType = Field(description="binary, multiclass or regression.")
    metric: str = Field(
        min_length=1, description="Name of a registered metric, or of a custom one the Designer writes as a script."
    )
    drop_columns: list[str] = Field(default_factory=list, description="Columns to withhold as leaky.")
    rationale: str = Field(default="", description="Why this target and metric.")


class BrainstormReply(StrictModel):
    """The Brainstormer's whole reply."""

    proposals: list[LlmProposal] = Field(description="Task proposals, best first.")


class ProposalRejection(StrictModel):
    """A proposal dropped because it is not grounded in the table or does not fit its metric."""

    target: str | None = Field(default=None, description="The proposal's target column, when there was a proposal.")
    code: str = Field(description="Reason code, `brainstorm.<reason>`.")
    reason: str = Field(description="Human-readable reason.")


class BrainstormResult(StrictModel):
    """What the Brainstormer stage made of one table."""

    proposed: int = Field(ge=0, description="Proposals the model made (before grounding).")
    accepted: list[TaskProposal] = Field(description="Grounded proposals, best first.")
    rejected: list[ProposalRejection] = Field(description="Dropped proposals (or a malformed reply), with reasons.")


# -- what the model is shown ---------------------------------------------------------------------------------------


def columns_table(profile: TableProfile) -> str:
    """The profile's columns, one Markdown bullet each."""
    return "\n".join(
        f"- `{c.name}`: {c.kind}, {c.dtype}, {c.cardinality} distinct, {c.missing_share:.0%} missing"
        for c in profile.columns
    )


def _candidate_line(candidate: TargetCandidate) -> str:
    if candidate.kind == "regression":
        detail = "positive" if candidate.positive else "any sign"
        if candidate.skewness is not None:
            detail += f", skewness {candidate.skewness:.2f}"
    else:
        detail = f"classes {', '.join(candidate.classes[:10])}, rarest has {candidate.min_class_rows} rows"
    leaks = f"; leaky: {', '.join(candidate.leaky_columns)}" if candidate.leaky_columns else ""
    return f"- `{candidate.column}`: {candidate.kind} ({detail}{leaks})"


def tabular_metrics() -> list[str]:
    """The registered metrics a tabular task can use: one label, class probabilities or one value per row."""
    from runner.metrics import get_metric, metric_names

    return [
        name
        for name in metric_names()
        if get_metric(name).prediction in ("label", "probability", "value")
        and "@" not in name
        and "samples" not in name
    ]


def metrics_table(names: list[str] | None = None) -> str:
    """The registered metrics `names` (default: every one a tabular task can use), one bullet per kind of
    prediction, each name with the better direction (compact: every prompt token costs a small local model time)."""
    from runner.metrics import get_metric

    groups: dict[str, list[str]] = {}
    for name in tabular_metrics() if names is None else names:
        metric = get_metric(name)
        groups.setdefault(metric.prediction, []).append(
            f"`{name}` ({'higher' if metric.higher_is_better else 'lower'})"
        )
    return "\n".join(f"- {_PREDICTIONS.get(kind, kind)}: {', '.join(items)}" for kind, items in groups.items())


def brainstorm_prompt(profile: TableProfile, dataset: str, max_proposals: int) -> str:
    """The Brainstormer's user prompt for this table."""
    return render(
        "brainstorm",
        dataset=dataset,
        rows=profile.rows,
        columns=columns_table(profile),
        candidates="\n".join(_candidate_line(c) for c in profile.candidates) or "(none)",
        leakage_prone=", ".join(f"`{name}`" for name in profile.leakage_prone) or "none",
        metrics=metrics_table(),
        max_proposals=max_proposals,
    )


# -- grounding -----------------------------------------------------------------------------------------------------


class Ungrounded(ValueError):
    """A proposal that cannot be used; `code` is its rejection code."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code


def prediction_format(problem: str, metric: str, target: str, candidate: TargetCandidate) -> tuple[
    PredictionFormat, list[str]]:  # fmt: skip
    """What a submission for this metric holds, and its prediction columns; raises Ungrounded on a misfit."""
    from runner.metrics import UnknownMetricError, get_metric

    try:
        kind = get_metric(metric).prediction
    except UnknownMetricError as error:
        raise Ungrounded("brainstorm.unknown-metric", str(error)) from None
    if problem == "regression":
        if kind != "value":
            raise Ungrounded("brainstorm.metric-misfit", f"metric {metric!r} scores {kind}s, not regression values")
        return ("log-value" if metric == "rmsle" else "value"), [target]
    if kind == "label":
        return "label", [target]
    if kind != "probability":
        raise Ungrounded("brainstorm.metric-misfit", f"metric {metric!r} scores {kind}s, not classes")
    if problem == "binary" and candidate.numeric_labels and set(candidate.classes) <= {"0", "1", "False", "True"}:
        return "probability-positive", [target]
    if "id" in candidate.classes:
        raise Ungrounded("brainstorm.metric-misfit", "a class named `id` would clash with the id column")
    return "probability-classes", list(candidate.classes)


def custom_metric_name(name: str) -> str:
    """A metric the registry lacks, named as a manifest may name a metric (snake_case); raises Ungrounded when
    nothing of the name is left."""
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    slug = re.sub(r"^[0-9_]+", "", slug)[:60].rstrip("_")
    if not slug:
        raise Ungrounded("brainstorm.unknown-metric", f"{name!r} is not a metric name")
    return slug


def script_prediction(problem: str) -> PredictionFormat:
    """What a submission scored by a metric script holds: the target itself (grading hands the script the aligned
    submission and answers; the execution checks build perfect and noisy submissions from the answers' values)."""
    return "value" if problem == "regression" else "label"


def ground(proposal: LlmProposal, profile: TableProfile) -> TaskProposal:
    """The proposal as a `TaskProposal` the design stage can use; raises Ungrounded with the reason when it names a
    column the table lacks, a target the profiler found unusable, a problem type or metric that does not fit.
    A metric the registry lacks is kept (snake_cased) for the Designer to write as a metric script."""
    from runner.metrics import get_metric

    names = {column.name for column in profile.columns}
    absent = [name for name in [proposal.target, *proposal.drop_columns] if name not in names]
    if absent:
        raise Ungrounded(
            "brainstorm.absent-column",
            f"column(s) {', '.join(repr(name) for name in absent)} not in the table "
            f"(it has {', '.join(sorted(names))})"[:600],
        )
    candidate = next((c for c in profile.candidates if c.column == proposal.target), None)
    if candidate is None:
        column = profile.column(proposal.target)
        raise Ungrounded(
            "brainstorm.unusable-target",
            f"{proposal.target!r} cannot be a target: {column.kind} column with {column.cardinality} distinct values "
            f"and {column.missing_share:.0%} missing",
        )
    concern = target_concern(proposal.target, proposal.problem != "regression")
    if concern is not None:
        raise Ungrounded("brainstorm.unsuitable-target", concern[1])
    if candidate.kind != proposal.problem:
        raise Ungrounded(
            "brainstorm.problem-misfit", f"{proposal.target!r} is a {candidate.kind} target, not {proposal.problem}"
        )
    metric = proposal.metric
    try:
        prediction, columns = prediction_format(proposal.problem, metric, proposal.target, candidate)
        higher = get_metric(metric).higher_is_better
    except Ungrounded as error:
        if error.code != "brainstorm.unknown-metric":
            raise
        # No registered metric of that name: the Designer writes it as a metric script (or picks a registered one),
        # and the script's declared direction replaces this placeholder.
        metric = custom_metric_name(metric)
        prediction, columns, higher = script_prediction(proposal.problem), [proposal.target], True
    drop = [*proposal.drop_columns, *profile.leakage_prone, *candidate.leaky_columns]
    if "id" in names:
        drop.append("id")  # the split creates the id column; a source column of that name would clash
    drop = [name for name in dict.fromkeys(drop) if name != proposal.target]
    if not [name for name in names if name not in drop and name != proposal.target]:
        raise Ungrounded("brainstorm.no-features", "no feature column would be left")
    return TaskProposal(
        target=proposal.target,
        problem=proposal.problem,
        metric=metric,
        higher_is_better=higher,
        prediction=prediction,
        submission_columns=columns,
        classes=list(candidate.classes),
        drop_columns=drop,
        rationale=proposal.rationale.strip() or f"{proposal.target!r} as a {proposal.problem} target.",
    )


def brainstorm(chat: Chat, profile: TableProfile, dataset: str, max_proposals: int) -> BrainstormResult:
    """Ask the model for up to `max_proposals` proposals and ground each in `profile`.

    A malformed reply (not JSON, wrong shape) or an empty list is a rejection of the whole reply, never an
    exception; a table without a usable target is rejected without asking the model.
    """
    from ._schemas import brainstorm_schema  # the schemas build on this module's grounding

    def nothing(code: str, reason: str) -> BrainstormResult:
        return BrainstormResult(proposed=0, accepted=[], rejected=[ProposalRejection(code=code, reason=reason)])

    if profile.rows < MIN_TASK_ROWS:
        return nothing("brainstorm.too-small", f"{profile.rows} rows, fewer than {MIN_TASK_ROWS}")
    schema = brainstorm_schema(profile, max_proposals)
    if schema is None:
        return nothing("brainstorm.no-target", "the profiler found no column usable as a target")
    text = chat.ask(brainstorm_prompt(profile, dataset, max_proposals), BrainstormReply, "brainstorm", schema)
    try:
        reply = parse_reply(text, BrainstormReply)
    except ReplyError as error:
        return nothing("brainstorm.malformed", str(error))
    if not reply.proposals:
        return nothing("brainstorm.no-proposals", "the model proposed no task")
    accepted: list[TaskProposal] = []
    rejected: list[ProposalRejection] = []
    for proposal in reply.proposals:
        if len(accepted) >= max_proposals:
            rejected.append(ProposalRejection(target=proposal.target, code="brainstorm.over-limit",
                                              reason=f"more than {max_proposals} proposals"))  # fmt: skip
            continue
        if proposal.target in {p.target for p in accepted}:
            rejected.append(ProposalRejection(target=proposal.target, code="brainstorm.duplicate",
                                              reason=f"a task on {proposal.target!r} is already proposed"))  # fmt: skip
            continue
        try:
            accepted.append(ground(proposal, profile))
        except Ungrounded as error:
            rejected.append(ProposalRejection(target=proposal.target, code=error.code, reason=str(error)))
    return BrainstormResult(proposed=len(reply.proposals), accepted=accepted, rejected=rejected)
