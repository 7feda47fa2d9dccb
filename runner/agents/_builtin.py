"""The built-in agents: sample (the null agent), oracle, baseline and command."""

from __future__ import annotations

import shutil
from pathlib import Path, PurePosixPath

from runner.baselines import baseline_script
from runner.grading import answers_file, perfect_submission, read_answers
from runner.llm import FORWARDER_NAME
from runner.preparation import SAMPLE_FILE
from runner.preparation._split import write_csv
from spec import ResearchTask, SpeedrunTask

from ._base import Agent, AgentContext, AgentOutcome, AgentRefused, agent, outcome_of


def sandbox_command(context: AgentContext, script: str) -> list[str]:
    """The sandbox command that runs a shell `script`: with --allow-model, under the model forwarder."""
    if context.sandbox.spec.model_socket is None:
        return ["sh", "-c", script]
    # --allow-model: the forwarder next to the socket serves the proxy on the sandbox's loopback for the script's
    # lifetime and points OPENAI_BASE_URL at it (the folder is found from the socket's variable because it differs
    # on an unisolated local backend).
    launch = f'exec python "${{BENCHSMITH_MODEL_SOCKET%/*}}/{FORWARDER_NAME}" --model "$1" -- sh -c "$2"'
    return ["sh", "-c", launch, "sh", context.model or "", script]


@agent("sample")
class SampleAgent(Agent):
    """Submits the task's sample submission: the null agent every score is compared against."""

    def run(self, context: AgentContext) -> AgentOutcome:
        if isinstance(context.task, SpeedrunTask):
            return AgentOutcome()  # the workspace already holds record R's script: submit it unchanged (FSR ≈ 0)
        result = context.sandbox.run(["sh", "-c", f'cp "$BENCHSMITH_DATA/{SAMPLE_FILE}" "$BENCHSMITH_SUBMISSION"'])
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
        private = context.prepared.private
        answers = read_answers(private, context.task.submission.id_column, private / answers_file(context.task))
        write_csv(perfect_submission(context.task, answers), context.submission_path)
        return AgentOutcome()


@agent("baseline")
class BaselineAgent(Agent):
    """Runs the task's reference solution (or `--agent-arg NAME` for another named baseline) in the sandbox."""

    def check(self, args: tuple[str, ...], *, validation: bool) -> None:
        if len(args) > 1:
            raise AgentRefused("the baseline agent takes at most one --agent-arg: the baseline's name")

    def run(self, context: AgentContext) -> AgentOutcome:
        if isinstance(context.task, SpeedrunTask):
            return self._run_speedrun(context, context.task)
        name = context.args[0] if context.args else "reference"
        script = baseline_script(context.task, context.manifest_path, name)
        if script is None:
            return AgentOutcome("agent_error", f"task {context.task.id} has no baseline {name!r} with a script")
        if isinstance(context.task, ResearchTask) and context.task.artefact is not None:
            return self._run_research(context, context.task, name, script)
        shutil.copyfile(script, context.code_dir / "solution.py")
        result = context.sandbox.run(["python", "solution.py"])
        context.log(result.stdout + result.stderr)
        return outcome_of(result, f"baseline {name}")

    @staticmethod
    def _run_speedrun(context: AgentContext, task: SpeedrunTask) -> AgentOutcome:
        """Submit record R+1's script in place of record R's (FSR ≈ 1); R comes from the trial's environment."""
        record_id = context.sandbox.spec.env.get("SPEEDRUN_RECORD", task.records[0].id)
        successor = task.successor(record_id)
        if successor is None or successor.script is None:
            return AgentOutcome("agent_error", f"record {record_id} has no next record with a script in the task")
        shutil.copyfile(context.manifest_path.parent / successor.script, context.code_dir / "train.py")
        return AgentOutcome()

    @staticmethod
    def _run_research(context: AgentContext, task: ResearchTask, name: str, script: Path) -> AgentOutcome:
        """A research baseline runs where starter code runs (in place when it is part of it), within the
        task's per-command limit, and leaves the artefact at $BENCHSMITH_ARTEFACT (docs/research.md)."""
        baseline = task.baselines[name]
        assert baseline.script is not None
        inside = task.workspace_location(baseline.script)
        if inside is None:
            inside = PurePosixPath(script.name)
            shutil.copyfile(script, context.code_dir / inside)
        result = context.sandbox.run(["python", inside.as_posix()], timeout_s=task.training_timeout_s)
        context.log(result.stdout + result.stderr)
        return outcome_of(result, f"baseline {name}")


@agent("command")
class CommandAgent(Agent):
    """Runs any program inside the sandbox: `--agent command --agent-arg "CMD"` (AIDE, OpenHands, a script).
    With `runner exec --allow-model` its OPENAI_BASE_URL reaches the runner's model proxy (docs/agents.md)."""

    def check(self, args: tuple[str, ...], *, validation: bool) -> None:
        if len(args) != 1 or not args[0].strip():
            raise AgentRefused('the command agent needs exactly one --agent-arg: the command, e.g. "python agent.py"')

    def run(self, context: AgentContext) -> AgentOutcome:
        result = context.sandbox.run(sandbox_command(context, context.args[0]))
        context.log(result.stdout + result.stderr)
        return outcome_of(result, "the command")
