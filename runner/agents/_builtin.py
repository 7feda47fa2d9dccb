"""The built-in agents: sample (the null agent), oracle, baseline and command."""

from __future__ import annotations

import shutil

from runner.baselines import baseline_script
from runner.grading import perfect_submission, read_answers
from runner.preparation import SAMPLE_FILE
from runner.preparation._split import write_csv
from runner.sandboxes import DATA_DIR

from ._base import Agent, AgentContext, AgentOutcome, AgentRefused, agent, outcome_of


@agent("sample")
class SampleAgent(Agent):
    """Submits the task's sample submission: the null agent every score is compared against."""

    def run(self, context: AgentContext) -> AgentOutcome:
        result = context.sandbox.run(["sh", "-c", f'cp "{DATA_DIR}/{SAMPLE_FILE}" "$BENCHSMITH_SUBMISSION"'])
        return outcome_of(result, "copying the sample submission")


@agent("oracle")
class OracleAgent(Agent):
    """Submits the answers. Only for validating tasks and the runner itself: it reads private data."""

    needs_private = True

    def check(self, args: tuple[str, ...], *, validation: bool) -> None:
        if not validation:
            raise AgentRefused("the oracle agent submits the private answers; it runs only with --validation")

    def run(self, context: AgentContext) -> AgentOutcome:
        if context.prepared is None or context.task.submission is None:
            return AgentOutcome("agent_error", "the oracle needs the prepared answers")
        answers = read_answers(context.prepared.private, context.task.submission.id_column)
        write_csv(perfect_submission(context.task, answers), context.submission_path)
        return AgentOutcome()


@agent("baseline")
class BaselineAgent(Agent):
    """Runs the task's reference solution (or `--agent-arg NAME` for another named baseline) in the sandbox."""

    def check(self, args: tuple[str, ...], *, validation: bool) -> None:
        if len(args) > 1:
            raise AgentRefused("the baseline agent takes at most one --agent-arg: the baseline's name")

    def run(self, context: AgentContext) -> AgentOutcome:
        name = context.args[0] if context.args else "reference"
        script = baseline_script(context.task, context.manifest_path, name)
        if script is None:
            return AgentOutcome("agent_error", f"task {context.task.id} has no baseline {name!r} with a script")
        shutil.copyfile(script, context.code_dir / "solution.py")
        result = context.sandbox.run(["python", "solution.py"])
        context.log(result.stdout + result.stderr)
        return outcome_of(result, f"baseline {name}")


@agent("command")
class CommandAgent(Agent):
    """Runs any program inside the sandbox: `--agent command --agent-arg "CMD"` (AIDE, OpenHands, a script)."""

    def check(self, args: tuple[str, ...], *, validation: bool) -> None:
        if len(args) != 1 or not args[0].strip():
            raise AgentRefused('the command agent needs exactly one --agent-arg: the command, e.g. "python agent.py"')

    def run(self, context: AgentContext) -> AgentOutcome:
        result = context.sandbox.run(["sh", "-c", context.args[0]])
        context.log(result.stdout + result.stderr)
        return outcome_of(result, "the command")
