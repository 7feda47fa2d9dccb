"""The LLM agent (`llm`, alias `gpt`): an AIDE-style tree search over whole-script solutions.

It drafts K solutions, runs each in the sandbox (`python solution.py`, with a time limit per run), debugs a failing
node from its error output (a bounded number of times), then improves the best node (a bounded number of times).
Nodes are compared by the VALIDATION score each script prints for a split it carves out of the public training
data (`VALIDATION_SCORE: <float>`), never by the test answers, which the agent never sees. Every node (code,
output, score, parent, kind) is kept under `logs/tree/<node-id>/`; the best node's submission is the one
submitted. Prompts are files in `runner/agents/prompts/`; their SHA-256 digests go into `logs/llm.json`.

Arguments (`--agent-arg KEY=VALUE`, repeatable): drafts, debug, improve, max_steps, max_tokens, max_cost (per
trial), wall_time, run_timeout, request_timeout, temperature, base_url, api_key_env. `runner exec --base-url`,
`--api-key-env` and `--max-steps` pass the matching arguments; `--model` is the trial's model.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import shutil
from dataclasses import asdict, dataclass, field, replace
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Literal

from runner.llm import (
    Budget,
    BudgetExceeded,
    Limits,
    ModelClient,
    ModelError,
    Setting,
    batch_meter,
    resolve_settings,
)
from runner.sandboxes import CODE_DIR, DATA_DIR, ExecResult

from ._base import Agent, AgentContext, AgentOutcome, AgentRefused, agent

PROMPTS = ("system", "draft", "debug", "improve")
NodeKind = Literal["draft", "debug", "improve"]
OUTPUT_TAIL = 4000
INVALID_FORMAT_EXIT = 97
_SCORE = re.compile(r"VALIDATION_SCORE:\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)")
_FENCE = re.compile(r"```[ \t]*(python|py)?[ \t]*\n(.*?)```", re.DOTALL | re.IGNORECASE)
_RUN = (
    'rm -f "$BENCHSMITH_SUBMISSION"; python solution.py; status=$?; '
    'if [ "$status" -eq 0 ]; then echo "--- format check ---"; '
    f'$BENCHSMITH_VALIDATE "$BENCHSMITH_SUBMISSION" || exit {INVALID_FORMAT_EXIT}; fi; exit "$status"'
)


@cache
def prompt_text(name: str) -> str:
    """The prompt template `runner/agents/prompts/<name>.md`."""
    return files("runner.agents").joinpath("prompts", f"{name}.md").read_text(encoding="utf-8")


def prompt_digests() -> dict[str, str]:
    """SHA-256 of every prompt file, for provenance."""
    return {name: hashlib.sha256(prompt_text(name).encode()).hexdigest() for name in PROMPTS}


def render(name: str, **values: object) -> str:
    """Fill `{{key}}` placeholders of a prompt file (other braces are left alone)."""
    text = prompt_text(name)
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", str(value))
    return text


def extract_code(reply: str) -> str | None:
    """The longest ```python block of a reply (else the longest fenced block), or None."""
    blocks = [(language, body) for language, body in _FENCE.findall(reply)]
    python = [body for language, body in blocks if language] or [body for _, body in blocks]
    return max(python, key=len).strip() + "\n" if python else None


def parse_score(output: str) -> float | None:
    """The last `VALIDATION_SCORE: <float>` printed, or None (NaN and infinities count as none)."""
    found = _SCORE.findall(output)
    if not found:
        return None
    value = float(found[-1])
    return value if math.isfinite(value) else None


@dataclass
class LlmOptions:
    """The agent's arguments, parsed."""

    drafts: int = 2
    debug: int = 2
    improve: int = 2
    max_steps: int | None = None
    max_tokens: int | None = None
    max_cost: float | None = None
    wall_time: float | None = None
    run_timeout: float = 600.0
    request_timeout: float = 300.0
    temperature: float | None = None
    base_url: str | None = None
    api_key_env: str | None = None

    @classmethod
    def parse(cls, args: tuple[str, ...]) -> LlmOptions:
        options = cls()
        kinds = {name: kind for name, kind in cls.__annotations__.items()}
        for arg in args:
            key, sep, value = arg.partition("=")
            key = key.strip().replace("-", "_")
            if not sep or key not in kinds:
                raise AgentRefused(
                    f"llm agent: bad --agent-arg {arg!r}; use KEY=VALUE with KEY one of {', '.join(sorted(kinds))}"
                )
            kind = kinds[key]
            try:
                if "int" in kind:
                    parsed: object = int(value)
                elif "float" in kind:
                    parsed = float(value)
                else:
                    parsed = value
            except ValueError:
                raise AgentRefused(f"llm agent: {key} must be a number, not {value!r}") from None
            if isinstance(parsed, int | float) and parsed < 0:
                raise AgentRefused(f"llm agent: {key} must not be negative")
            setattr(options, key, parsed)
        if options.drafts < 1:
            raise AgentRefused("llm agent: drafts must be at least 1")
        return options


@dataclass
class Node:
    """One solution in the search tree."""

    id: str
    kind: NodeKind
    parent: str | None
    step: int
    code: str | None = None
    plan: str = ""
    output: str = ""
    exit_code: int | None = None
    timed_out: bool = False
    score: float | None = None
    has_submission: bool = False
    error: str | None = None
    duration_s: float = 0.0
    prompt: str = ""
    prompt_sha256: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    children: list[str] = field(default_factory=list)

    @property
    def buggy(self) -> bool:
        return self.error is not None or self.score is None or not self.has_submission


def _tail(text: str, limit: int = OUTPUT_TAIL) -> str:
    return text if len(text) <= limit else "[...]\n" + text[-limit:]


def _data_listing(public: Path, max_files: int = 20) -> str:
    lines: list[str] = []
    for path in sorted(public.rglob("*"))[:max_files]:
        if not path.is_file():
            continue
        relative = path.relative_to(public)
        lines.append(f"- `{relative}` ({path.stat().st_size:,} bytes)")
        if path.suffix in {".csv", ".tsv", ".txt"}:
            with path.open(encoding="utf-8", errors="replace") as handle:
                head = [next(handle, "").rstrip("\n")[:300] for _ in range(4)]
            lines.append("  ```\n" + "\n".join(f"  {row}" for row in head if row) + "\n  ```")
    return "\n".join(lines) or "(no files)"


class _Search:
    """One trial's tree search."""

    def __init__(self, context: AgentContext, options: LlmOptions, client: ModelClient, budget: Budget) -> None:
        self.context, self.options, self.client, self.budget = context, options, client, budget
        self.higher_is_better = context.task.metric.higher_is_better
        self.tree = context.code_dir.parent.parent / "logs" / "tree"
        self.nodes: list[Node] = []
        task = context.task
        description = context.manifest_path.parent / task.description
        self.values = {
            "description": description.read_text(encoding="utf-8") if description.is_file() else task.title,
            "data": _data_listing(context.public_dir),
            "workdir": self.context.sandbox.contract_path(CODE_DIR),
            "data_dir": self.context.sandbox.contract_path(DATA_DIR),
            "run_timeout": f"{options.run_timeout:g}",
            "metric": f"{getattr(task.metric, 'name', 'see the description')}, "
            + ("higher" if self.higher_is_better else "lower")
            + " is better",
            "packages": ", ".join(task.environment.packages) or "none",
        }
        self.system = render("system", **self.values)

    # -- the tree ----------------------------------------------------------------------------------------------

    def best(self) -> Node | None:
        good = [node for node in self.nodes if not node.buggy]
        if not good:
            return None
        pick = max if self.higher_is_better else min
        return pick(good, key=lambda node: node.score if node.score is not None else 0.0)

    def _memory(self) -> str:
        done = [node for node in self.nodes if node.kind != "debug" or not node.buggy]
        if not done:
            return ""
        rows = [
            f"- {node.id} ({node.kind}): "
            + (f"VALIDATION_SCORE {node.score:g}" if not node.buggy else f"failed: {(node.error or 'no score')[:120]}")
            + (f" — {node.plan[:200]}" if node.plan else "")
            for node in done
        ]
        return "\n# Attempts so far\n\n" + "\n".join(rows) + "\n\nTry something different from these.\n"

    def _save(self, node: Node) -> None:
        folder = self.tree / node.id
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "solution.py").write_text(node.code or "", encoding="utf-8")
        (folder / "output.txt").write_text(node.output, encoding="utf-8")
        record = {key: value for key, value in asdict(node).items() if key not in {"code", "output"}}
        record["buggy"] = node.buggy
        (folder / "node.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")

    # -- one step ----------------------------------------------------------------------------------------------

    def step(self, kind: NodeKind, parent: Node | None) -> Node:
        """Ask the model for a node of this kind, run it, save it."""
        self.budget.step()
        if kind == "draft":
            prompt = render("draft", **self.values, memory=self._memory())
        elif kind == "debug":
            assert parent is not None
            prompt = render("debug", **self.values, code=parent.code or "", output=_tail(parent.output))
        else:
            assert parent is not None
            direction = "higher" if self.higher_is_better else "lower"
            prompt = render(
                "improve", **self.values, code=parent.code or "", output=_tail(parent.output, 1500),
                score=f"{parent.score:g}", direction=direction, memory=self._memory(),
            )  # fmt: skip
        node = Node(
            id=f"node-{len(self.nodes):03d}", kind=kind, parent=parent.id if parent else None, step=self.budget.steps,
            prompt=kind, prompt_sha256=hashlib.sha256(prompt_text(kind).encode()).hexdigest(),
        )  # fmt: skip
        options: dict[str, object] = {}
        if self.options.temperature is not None:
            options["temperature"] = self.options.temperature
        reply = self.client.chat(
            [{"role": "system", "content": self.system}, {"role": "user", "content": prompt}], **options
        )
        self.budget.record(reply)
        if self.context.on_model_call is not None:
            self.context.on_model_call(self.client.model, reply)
        node.input_tokens, node.output_tokens, node.cost_usd = reply.input_tokens, reply.output_tokens, reply.cost_usd
        node.code = extract_code(reply.text)
        node.plan = reply.text.split("```", 1)[0].strip()[:1000]
        folder = self.tree / node.id
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "prompt.md").write_text(prompt, encoding="utf-8")
        (folder / "reply.md").write_text(reply.text, encoding="utf-8")
        if parent is not None:
            parent.children.append(node.id)
            self._save(parent)
        self.nodes.append(node)
        if node.code is None:
            node.error = "the reply had no ```python block"
            node.output = "Your reply contained no ```python fenced block with the script; send the whole script."
        else:
            self._execute(node)
        self._save(node)
        self.context.log(
            f"[llm] {node.id} {kind}"
            + (f" of {node.parent}" if node.parent else "")
            + (f": score {node.score:g}" if not node.buggy else f": failed ({node.error or 'no score'})")
        )
        return node

    def _execute(self, node: Node) -> None:
        (self.context.code_dir / "solution.py").write_text(node.code or "", encoding="utf-8")
        limit = self.options.run_timeout
        remaining = self.budget.remaining_s()
        if remaining is not None:
            limit = min(limit, remaining)
        result: ExecResult = self.context.sandbox.run(["sh", "-c", _RUN], timeout_s=limit)
        node.output = result.stdout + ("\n" if result.stdout and result.stderr else "") + result.stderr
        node.exit_code, node.timed_out, node.duration_s = result.exit_code, result.timed_out, result.duration_s
        node.score = parse_score(result.stdout)
        submission = self.context.submission_path
        if result.timed_out:
            node.error = f"stopped after the {limit:g} s time limit per run"
            node.output += f"\n[benchsmith] the script was stopped after {limit:g} s; make it faster"
        elif result.oom:
            node.error = "ran out of memory"
            node.output += "\n[benchsmith] the script ran out of memory; use less"
        elif result.exit_code == INVALID_FORMAT_EXIT:
            node.error = "the submission's format is invalid"
        elif result.exit_code != 0:
            node.error = f"exited with {result.exit_code}"
        elif node.score is None:
            node.error = "printed no VALIDATION_SCORE line"
            node.output += "\n[benchsmith] no line `VALIDATION_SCORE: <float>` was printed"
        if result.exit_code == 0 and submission.is_file():
            node.has_submission = True
            shutil.copyfile(submission, self.tree / node.id / submission.name)
        elif node.error is None:
            node.error = "wrote no submission file"
            node.output += "\n[benchsmith] no file was written at $BENCHSMITH_SUBMISSION"

    # -- the search --------------------------------------------------------------------------------------------

    def _debug_chain(self, node: Node) -> Node:
        attempts = 0
        while node.buggy and attempts < self.options.debug:
            node = self.step("debug", node)
            attempts += 1
        return node

    def search(self) -> None:
        for _ in range(self.options.drafts):
            self._debug_chain(self.step("draft", None))
        for _ in range(self.options.improve):
            best = self.best()
            if best is None:
                # Nothing works yet: one more draft (with its debugging) instead of an improvement.
                self._debug_chain(self.step("draft", None))
                continue
            self._debug_chain(self.step("improve", best))

    def submit(self) -> Node | None:
        """Put the best node's submission in place (copied; re-run if the copy fails); returns it."""
        best = self.best()
        if best is None:
            return None
        saved = self.tree / best.id / self.context.submission_path.name
        (self.context.code_dir / "solution.py").write_text(best.code or "", encoding="utf-8")
        try:
            self.context.submission_path.unlink(missing_ok=True)
            shutil.copyfile(saved, self.context.submission_path)
        except OSError:
            self.context.sandbox.run(["sh", "-c", _RUN], timeout_s=self.options.run_timeout)
        (self.tree.parent / "best_node.txt").write_text(best.id + "\n", encoding="utf-8")
        return best


@agent("llm")
class LlmAgent(Agent):
    """An AIDE-style tree search with a chat model (OpenAI protocol): draft, debug, improve; best by validation."""

    def check(self, args: tuple[str, ...], *, validation: bool) -> None:
        LlmOptions.parse(args)

    def run(self, context: AgentContext) -> AgentOutcome:
        options = LlmOptions.parse(context.args)
        settings = resolve_settings(
            {"model": context.model, "base_url": options.base_url, "api_key_env": options.api_key_env}
        )
        if context.model and context.model_source:
            settings = replace(settings, model=Setting(context.model, context.model_source))
        steps = options.max_steps
        if steps is None:
            steps = (options.drafts + options.improve) * (1 + options.debug)
        wall = options.wall_time if options.wall_time is not None else context.task.resources.time_limit_s * 0.95
        limits = Limits(max_steps=steps, max_tokens=options.max_tokens, max_cost_usd=options.max_cost, wall_time_s=wall)
        budget = Budget(limits, batch_meter())
        logs = context.code_dir.parent.parent / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        provenance = {
            "agent": self.name,
            "settings": settings.describe(),
            "prompts_sha256": prompt_digests(),
            "options": asdict(options),
            "limits": asdict(limits),
        }
        (logs / "llm.json").write_text(json.dumps(provenance, indent=2) + "\n", encoding="utf-8")
        context.log(f"[llm] model {settings.model.value} at {settings.base_url.value} ({settings.model.source})")
        try:
            client = ModelClient(settings, timeout_s=options.request_timeout)
            search = _Search(context, options, client, budget)
            try:
                search.search()
            except BudgetExceeded as error:
                context.log(f"[llm] stopped: {error}")
        except ModelError as error:
            # The model being down, refusing us or too small is not the agent's loss: retried, re-run on resume.
            return AgentOutcome("infra_error", f"model unavailable: {error}", budget.usage)
        best = search.submit()
        usage = budget.usage
        if best is None:
            return AgentOutcome(
                "agent_error", f"no node out of {len(search.nodes)} produced a submission and a validation score", usage
            )
        context.log(f"[llm] submitted {best.id} (VALIDATION_SCORE {best.score:g}) out of {len(search.nodes)} nodes")
        return AgentOutcome("ok", None, usage)


@agent("gpt")
class GptAgent(LlmAgent):
    """Alias of `llm`."""
