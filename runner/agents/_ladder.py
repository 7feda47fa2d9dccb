"""The ladder agents: solvers of known, increasing strength (ladder-dummy < ladder-linear < ladder-boosting).

Each runs one rung of `_ladder_program.py` inside the trial's sandbox, on the task's public data only, and writes
the submission there, so its score is the real grading of a real trial (the third verification layer,
`runner ladder`). The host side tells the program only what the manifest says publicly: the submission's id and
prediction columns, what the metric expects (labels, probabilities, values) and its name.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from spec import ResearchTask, SpeedrunTask

from ._base import Agent, AgentContext, AgentOutcome, agent, outcome_of

LADDER_VERSION = "1"
"""Bumped whenever a rung's program or settings change, so ladder verdicts recorded before are earned again."""
LADDER_RUNGS = ("ladder-dummy", "ladder-linear", "ladder-boosting")
"""The ladder's agents, weakest first."""
_PROGRAM = Path(__file__).with_name("_ladder_program.py")
LADDER_PROGRAM_DIGEST = hashlib.sha256(_PROGRAM.read_bytes()).hexdigest()[:12]
"""The rungs' program by content: trials of another program are never reused, even without a version bump."""
_UNSUPPORTED_EXIT = 3


class LadderAgent(Agent):
    """One rung of the solver ladder; subclasses name the rung."""

    rung = "dummy"
    version = f"{LADDER_VERSION}+{LADDER_PROGRAM_DIGEST}"

    def run(self, context: AgentContext) -> AgentOutcome:
        task = context.task
        if isinstance(task, SpeedrunTask | ResearchTask) or task.submission is None:
            return AgentOutcome("agent_error", f"the ladder solves competition tasks, not {task.kind} tasks")
        from runner.grading import prediction_kind
        from spec import NamedMetric

        described = {
            "id_column": task.submission.id_column,
            "columns": list(task.submission.columns),
            "prediction": prediction_kind(task),
            "metric": task.metric.name if isinstance(task.metric, NamedMetric) else None,
        }
        (context.code_dir / "ladder_task.json").write_text(json.dumps(described), encoding="utf-8")
        shutil.copyfile(_PROGRAM, context.code_dir / "ladder.py")
        result = context.sandbox.run(["python", "ladder.py", self.rung, "ladder_task.json"])
        context.log(result.stdout + result.stderr)
        if result.exit_code == _UNSUPPORTED_EXIT and not result.timed_out and not result.oom:
            return AgentOutcome("agent_error", result.stderr.strip()[-500:] or "unsupported by the ladder")
        return outcome_of(result, f"ladder rung {self.rung}")


@agent("ladder-dummy")
class LadderDummy(LadderAgent):
    """Ladder rung 0: the training prior (most frequent label, class shares, mean value); ignores the features."""

    rung = "dummy"


@agent("ladder-linear")
class LadderLinear(LadderAgent):
    """Ladder rung 1: logistic regression or ridge on imputed, scaled, one-hot / TF-IDF / pixel / spectrum features."""

    rung = "linear"


@agent("ladder-boosting")
class LadderBoosting(LadderAgent):
    """Ladder rung 2: histogram gradient boosting (200 iterations) on the same features."""

    rung = "boosting"
