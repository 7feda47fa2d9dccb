"""The `aide` agent: AIDE (the `aideml` package, Weco AI) run inside the sandbox, reaching the model only through
the runner's proxy (`runner exec --agent aide --allow-model`).

aideml is installed into the task's sandbox environment with the task's packages (`runner envs build --agent aide`
builds it ahead of time): without its declared dependencies, which name torch, tensorflow-era tooling and dozens more
that AIDE itself never imports, but with those it does import (`AIDE_DEPENDENCIES`). AIDE searches in
`$BENCHSMITH_WORKDIR/aide/`; its journal, config and best solution are copied to the trial's `logs/aide/`, and the
`submission.csv` its last run left in `working/` is handed in.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from runner.sandboxes import HandedInError, copy_tree_handed_in

from ._base import AgentContext, AgentOutcome, AgentRefused, agent, outcome_of
from ._builtin import CommandAgent, sandbox_command

AIDE_VERSION = "0.2.2"
AIDE_DEPENDENCIES = (
    "anthropic>=0.20.0", "backoff", "black==24.3.0", "coolname>=2.2.0", "dataclasses-json>=0.6.4", "funcy==2.0",
    "genson>=1.2.0", "humanize==4.8.0", "igraph>=0.11.3", "jsonschema>=4.19.2", "omegaconf>=2.3.0",
    "openai>=1.69.0", "rich==13.7.0", "shutup>=0.2.0",
)  # fmt: skip
"""What aideml imports to run (its command line, agent, interpreter and OpenAI backend), with its own pins; numpy and
pandas come with every sandbox environment."""
EXPERIMENT = "benchsmith"
_LOGS_MAX_BYTES = 256 * 1024**2
_MODEL_KEYS = ("agent.code.model", "agent.feedback.model", "report.model")
# Set by the agent itself: the contract's folders, where AIDE works and logs, and the model.
_RESERVED = ("data_dir", "desc_file", "goal", "eval", "log_dir", "workspace_dir", "exp_name", *_MODEL_KEYS)


@agent("aide")
class AideAgent(CommandAgent):
    """AIDE (aideml) inside the sandbox with `--allow-model`; `--agent-arg agent.steps=N` and any other AIDE
    setting as `key=value` (docs/agents.md)."""

    sandbox_packages = AIDE_DEPENDENCIES
    sandbox_packages_no_deps = (f"aideml=={AIDE_VERSION}",)

    def check(self, args: tuple[str, ...], *, validation: bool) -> None:
        for arg in args:
            key, equals, _ = arg.partition("=")
            if not equals or not key:
                raise AgentRefused(f"aide: --agent-arg {arg!r} is not KEY=VALUE (an AIDE setting, e.g. agent.steps=5)")
            if key in _RESERVED:
                raise AgentRefused(f"aide: {key} is set by benchsmith (the sandbox's folders and the proxy's model)")

    def run(self, context: AgentContext) -> AgentOutcome:
        if context.sandbox.spec.model_socket is None:
            return AgentOutcome(
                "agent_error", "aide reaches a model only through the runner's proxy: add --allow-model"
            )
        seconds = max(1, int(context.task.resources.time_limit_s))
        # Any name but an OpenAI one makes AIDE use the chat-completions API at OPENAI_BASE_URL (the proxy, which
        # forces the configured model whatever the request names); OpenAI names would take the Responses API.
        model = f"proxy/{context.model or 'model'}"
        settings = [
            'data_dir="$BENCHSMITH_DATA"', 'desc_file="$BENCHSMITH_DESCRIPTION"',
            'log_dir="$BENCHSMITH_WORKDIR/aide/logs"', 'workspace_dir="$BENCHSMITH_WORKDIR/aide/workspaces"',
            f"exp_name={EXPERIMENT}", "generate_report=False", f"exec.timeout={seconds}",
            *(f"{key}={shlex.quote(model)}" for key in _MODEL_KEYS), *(shlex.quote(arg) for arg in context.args),
        ]  # fmt: skip
        working = f'"$BENCHSMITH_WORKDIR"/aide/workspaces/0-{EXPERIMENT}/working/submission.csv'
        script = (
            f"python -m aide.run {' '.join(settings)}; status=$?; "
            f'if [ -f {working} ]; then cp {working} "$BENCHSMITH_SUBMISSION"; fi; exit "$status"'
        )
        result = context.sandbox.run(sandbox_command(context, script))
        context.log(result.stdout + result.stderr)
        self._keep_journal(context)
        return outcome_of(result, "aide")

    @staticmethod
    def _keep_journal(context: AgentContext) -> None:
        """AIDE's journal, config and best solution into the trial's logs/aide/ (the viewer shows them)."""
        source = context.code_dir / "aide" / "logs" / f"0-{EXPERIMENT}"
        logs = Path(context.code_dir).parent.parent / "logs" / "aide"
        if not source.is_dir():
            return
        try:
            copy_tree_handed_in(source, logs, _LOGS_MAX_BYTES)
        except HandedInError as error:  # a link or an oversized file in what AIDE (or its code) wrote
            context.log(f"aide's logs were not kept: {error}")
