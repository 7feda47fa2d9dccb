"""The research kind (MLGym-style): starter code, a baseline to beat, a protected evaluator, a dev split.

The contract these fields describe (what the agent's workspace holds, how the evaluator is called, what it
prints) is written out in docs/research.md.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from ._base import StrictModel
from ._fields import PYTHON_NAME_PATTERN, Duration, TaskDir, TaskPath, duration_seconds
from ._metric import NamedMetric
from ._task import _TaskBase

ArtefactType = Literal["csv", "checkpoint", "module"]


def _workspace_relative(value: str) -> str:
    path = PurePosixPath(value)
    if path.is_absolute() or ".." in path.parts or value != path.as_posix() or value in ("", "."):
        raise ValueError(f"{value!r} must be a plain relative path inside the workspace (no leading /, no ..)")
    return value


WorkspacePath = Annotated[
    str,
    AfterValidator(_workspace_relative),
    Field(
        min_length=1,
        description="A path relative to the agent's workspace folder `/workspace/code` (no leading `/`, no `..`).",
        examples=["submission.csv", "strategy.py", "checkpoints/model.npz"],
    ),
]


class ResearchArtefact(StrictModel):
    """What the agent hands in: the file (or folder) the evaluator scores."""

    type: ArtefactType = Field(
        description="csv: a predictions file; checkpoint: a model file or folder the evaluator loads; module: a "
        "Python file exposing `function`, which the evaluator imports and calls."
    )
    path: WorkspacePath = Field(
        description="Where the agent leaves it, relative to `/workspace/code` (the starter code's copy); "
        "`$BENCHSMITH_ARTEFACT` names it inside the sandbox."
    )
    function: str | None = Field(
        default=None,
        pattern=PYTHON_NAME_PATTERN,
        description="Name of the function the module must define; only (and always) for type `module`.",
    )

    @model_validator(mode="after")
    def _function_for_modules(self) -> ResearchArtefact:
        if self.type == "module" and self.function is None:
            raise ValueError("an artefact of type module needs `function`: the name the evaluator calls")
        if self.type != "module" and self.function is not None:
            raise ValueError(f"`function` is only for artefacts of type module, not {self.type}")
        if self.type == "module" and not self.path.endswith(".py"):
            raise ValueError(f"a module artefact is a .py file; {self.path!r} is not")
        return self


class ResearchEvaluation(StrictModel):
    """The task's evaluation script. It is always protected and always run from a pristine copy.

    The primary metric it must report, and its direction, are the manifest's `metric` (`name`: the key in the
    JSON object the script prints; `higher_is_better`).
    """

    script: TaskPath = Field(
        description="Python file run as `python SCRIPT --split dev|test --artefact PATH --public DIR "
        "[--private DIR]`; prints a JSON object of metrics as its last stdout line (docs/research.md)."
    )
    time_limit: Duration = Field(default="10m", description="Wall-clock limit of one evaluation run.")
    dev_split: bool = Field(
        default=True,
        description="Whether the in-sandbox validate command scores the artefact on the dev split (public "
        "data); when false it only checks that the artefact exists.",
    )

    @property
    def time_limit_s(self) -> float:
        """The time limit of one evaluation run, in seconds."""
        return duration_seconds(self.time_limit)


class AgentBudget(StrictModel):
    """What a model-using agent may spend on one trial, as benchmarks such as MLGym fix it."""

    max_steps: int | None = Field(
        default=None, ge=1, description="Model calls (steps) per trial; enforced like `--max-steps`."
    )
    max_cost_usd: float | None = Field(
        default=None, gt=0, description="Model spend per trial in US dollars; enforced like `--max-cost`."
    )


class ResearchTask(_TaskBase):
    """An open-ended research problem scored against a baseline (MLGym-style)."""

    kind: Literal["research"] = Field(description="Task kind.")
    starter_code: TaskDir | None = Field(
        default=None, description="Folder copied into the agent's workspace `/workspace/code`."
    )
    evaluation: ResearchEvaluation | None = Field(
        default=None,
        description="The evaluation script; without one (imported tasks whose evaluator stays upstream) the "
        "artefact is graded by `metric` like a competition's submission.",
    )
    artefact: ResearchArtefact | None = Field(
        default=None, description="What the agent hands in; required together with `evaluation`."
    )
    training_timeout: Duration | None = Field(
        default=None,
        description="Longest any one command of the agent (a training run, the validate command) may run; "
        "the total budget is `resources.time_limit`.",
    )
    protected: list[TaskPath] = Field(
        default_factory=list,
        description="Files the agent may not modify (the evaluation script always is): the evaluator loads "
        "pristine copies, and a changed or deleted copy in the workspace is a `rule_violation`.",
    )
    agent_budget: AgentBudget | None = Field(
        default=None,
        description="Step and cost budgets of agents that use a model (llm, gpt, or command with --allow-model): "
        "each trial gets the smaller of these and the command line's limits. Agents without a model ignore it.",
    )

    @model_validator(mode="after")
    def _evaluation_contract(self) -> ResearchTask:
        if (self.evaluation is None) != (self.artefact is None):
            raise ValueError("evaluation and artefact go together: give both or neither")
        if self.evaluation is not None:
            if not isinstance(self.metric, NamedMetric):
                raise ValueError(
                    "with an evaluation script, metric is {name: <key the script prints>, higher_is_better: ...}"
                )
            if self.metric.params:
                raise ValueError("metric.params are not used with an evaluation script: the script computes it")
        if self.training_timeout is not None and self.training_timeout_s > self.resources.time_limit_s:
            raise ValueError(
                f"training_timeout {self.training_timeout} exceeds the total budget resources.time_limit "
                f"{self.resources.time_limit}"
            )
        return self

    @property
    def training_timeout_s(self) -> float:
        """Longest one command may run, in seconds (the total budget when unset)."""
        if self.training_timeout is None:
            return self.resources.time_limit_s
        return duration_seconds(self.training_timeout)

    def workspace_location(self, path: str) -> PurePosixPath | None:
        """Where a task path lies in the agent's workspace (a copy of the starter code); None when outside it."""
        pure = PurePosixPath(path)
        if self.starter_code is not None and pure.is_relative_to(self.starter_code):
            return pure.relative_to(self.starter_code)
        return None

    def task_location(self, path: str) -> PurePosixPath:
        """Where a protected task path lies inside /task: relative to the starter code when inside it, else to
        the task folder (so an evaluator at /task/evaluate.py imports its pristine neighbours by plain `import`)."""
        inside = self.workspace_location(path)
        if inside is not None:
            return inside
        pure = PurePosixPath(path)
        return pure.relative_to(pure.parts[0]) if len(pure.parts) > 1 else pure

    @property
    def protected_files(self) -> list[str]:
        """Every protected task path: the evaluation script first, then `protected`, without repeats."""
        paths = [self.evaluation.script] if self.evaluation is not None else []
        return list(dict.fromkeys([*paths, *self.protected]))
