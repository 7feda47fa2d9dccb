"""The LLM pipeline: profile → brainstorm → design ⇄ refactor (bounded repairs) → review → execute, resumable."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

from pydantic import Field

from runner.llm import Budget, BudgetExceeded, Limits, ModelClient, batch_meter
from runner.results import Usage
from spec import GeneratorInfo, StrictModel

from .._design import TaskDesign, task_id
from .._generate import (
    DatasetRecord,
    GenerationLog,
    GenerationReport,
    Progress,
    Rejection,
    _read_log,
    _still_done,
    load_raw,
)
from .._generate import _write_log as write_log
from .._profile import TableProfile, profile_table
from .._propose import TaskProposal
from .._verify import verify
from ._brainstorm import Ungrounded, brainstorm
from ._calibration import ReviewCalibration, calibrate
from ._chat import Chat, JsonMode
from ._designer import (
    DesignDraft,
    design_prompt,
    refactor,
    repair_prompt,
    static_problems,
    title_problems,
    write_scripts,
)
from ._prompts import load_rubric, prompt_digests
from ._reply import ReplyError, parse_reply
from ._review import Review, review
from ._schemas import design_schema
from ._transcript import Transcript, conversation_path

LLM_GENERATOR_NAME = "llm-pipeline"
LLM_GENERATOR_VERSION = "0.2.0"
STAGES = ("profile", "brainstorm", "design", "refactor", "review", "execute")


class StageCount(StrictModel):
    """How many items one stage saw, let through and finally rejected."""

    entered: int = Field(default=0, ge=0, description="Datasets (profile, brainstorm) or tasks that reached it.")
    passed: int = Field(default=0, ge=0, description="Of those, how many it let through (at least once).")
    rejected: int = Field(default=0, ge=0, description="Items whose final rejection happened at this stage.")


class LlmGenerationReport(GenerationReport):
    """A `generate` report of the LLM pipeline: the common counts plus per-stage counts, repairs and model usage."""

    model: str = Field(description="Model that drafted the tasks.")
    stages: dict[str, StageCount] = Field(
        default_factory=lambda: {stage: StageCount() for stage in STAGES},
        description="Per-stage counts, in pipeline order.",
    )
    repairs: int = Field(default=0, ge=0, description="Problems sent back to the Designer for another draft.")
    usage: Usage = Field(default_factory=Usage, description="Tokens, calls and cost of every model call.")
    stopped: str | None = Field(default=None, description="Why the run stopped before the last dataset, if it did.")
    calibration: ReviewCalibration | None = Field(
        default=None, description="How the reviewing model did on the control tasks; None when review is off."
    )


def generator_info(model: str, raw_sha256: str) -> GeneratorInfo:
    """The provenance an accepted task carries: this pipeline, the model, every prompt's digest, the raw data's."""
    return GeneratorInfo(
        name=LLM_GENERATOR_NAME,
        version=LLM_GENERATOR_VERSION,
        model=model,
        prompt_digests=prompt_digests(),
        raw_sha256=raw_sha256,
    )


def log_label(model: str) -> str:
    """What the generation log is written by: a different model or different prompts start a fresh log."""
    prompts = hashlib.sha256(json.dumps(prompt_digests(), sort_keys=True).encode()).hexdigest()[:12]
    return f"{LLM_GENERATOR_NAME} {LLM_GENERATOR_VERSION} model={model} prompts={prompts}"


class _Reviewer:
    """The semantic review, its rubric criteria enforced as far as the model proved it can judge them: calibrated
    on control tasks the first time a task reaches review (a run that never gets there spends nothing on it)."""

    def __init__(self, chat: Chat, out: Path, report: LlmGenerationReport) -> None:
        self.chat, self.out, self.report = chat, out, report
        self.rubric = load_rubric()

    def judge(self, task: TaskDesign, profile: TableProfile) -> Review:
        if self.report.calibration is None:
            self.report.calibration = calibrate(self.chat, self.rubric, log_label(self.chat.model), self.out)
        return review(self.chat, task, profile, self.rubric, self.report.calibration.rejecting())


class _Run:
    """One dataset's pass through the stages, charging `report` and `record`."""

    def __init__(self, reference: str, chat: Chat, out: Path, report: LlmGenerationReport, options: dict[str, Any]):
        self.reference, self.chat, self.out, self.report = reference, chat, out, report
        self.max_proposals: int = options["max_proposals"]
        self.max_repairs: int = options["max_repairs"]
        self.reviewer: _Reviewer | None = options["reviewer"]
        self.cache_root: Path | None = options["cache_root"]
        self.record = DatasetRecord()
        self.transcript = Transcript(conversation_path(out, reference), reference)
        chat.transcript = self.transcript

    def reject(self, stage: str, code: str, reason: str, task: str | None = None) -> None:
        rejection = Rejection(dataset=self.reference, task_id=task, stage=stage, code=code, reason=reason[:2000])
        self.record.rejected.append(rejection)
        self.report.rejections.append(rejection)
        self.report.rejected[code] = self.report.rejected.get(code, 0) + 1
        self.report.stages[stage].rejected += 1

    def count(self, stage: str, *, entered: int = 0, passed: int = 0) -> None:
        self.report.stages[stage].entered += entered
        self.report.stages[stage].passed += passed

    def dataset(self, log: GenerationLog) -> bool:
        """Run every stage on the dataset; False when an earlier run already did (skipped)."""
        self.count("profile", entered=1)
        try:
            raw, frame = load_raw(self.reference)
        except ValueError as error:
            self.reject("profile", "dataset.unloadable", str(error))
            return True
        self.record.sha256 = hashlib.sha256(raw).hexdigest()
        previous = log.datasets.get(self.reference)
        if previous is not None and _still_done(self.out, previous, self.record.sha256):
            self.report.stages["profile"].entered -= 1
            self.report.skipped += 1
            return False
        profile = profile_table(frame)
        self.report.profiled += 1
        self.count("profile", passed=1)
        self.count("brainstorm", entered=1)
        result = brainstorm(self.chat, profile, self.reference, self.max_proposals)
        self.report.proposed += len(result.accepted)
        if result.accepted:
            self.count("brainstorm", passed=1)
        for dropped in result.rejected:
            task = task_id(self.reference, dropped.target) if dropped.target else None
            self.reject("brainstorm", dropped.code, dropped.reason, task)
        for proposal in result.accepted:
            self.task(proposal, profile, self.record.sha256)
        return True

    def task(self, proposal: TaskProposal, profile: TableProfile, sha256: str) -> None:
        """Design one grounded proposal, with up to `max_repairs` repairs, then review and execute it."""
        identifier = task_id(self.reference, proposal.target)
        generator = generator_info(self.chat.model, sha256).model_dump(mode="json", exclude_none=True)
        # A schema-constrained reply cannot hold scripts, so the prompt does not explain them.
        prompt = design_prompt(proposal, profile, self.reference, scripts=self.chat.json_mode != "schema")
        turns: list[dict[str, str]] = [{"role": "user", "content": prompt}]
        schema = design_schema(proposal, profile)
        reached: set[str] = set()
        passed: set[str] = set()
        last = ("design", "design.no-draft", "no draft was made")
        self.transcript.task_id = identifier
        for attempt in range(self.max_repairs + 1):
            if attempt:
                self.report.repairs += 1
            reached.add("design")
            self.transcript.attempt = attempt
            text = self.chat.converse(turns, DesignDraft, "design", schema)
            problems, last, accepted = self._attempt(text, proposal, profile, sha256, generator, reached, passed)
            if accepted or last[0] == "review":
                break
            turns += [{"role": "assistant", "content": text}, {"role": "user", "content": repair_prompt(problems)}]
        for stage in reached:
            self.count(stage, entered=1, passed=int(stage in passed))
        if "execute" in passed:
            self.record.accepted.append(identifier)
            self.report.accepted += 1
            self.report.accepted_ids.append(identifier)
            return
        stage, code, reason = last
        self.reject(stage, code, reason, identifier)

    def _attempt(self, text: str, proposal: TaskProposal, profile: TableProfile, sha256: str,
                 generator: dict[str, Any], reached: set[str], passed: set[str],
                 ) -> tuple[list[str], tuple[str, str, str], bool]:  # fmt: skip
        """One draft through refactor, review and execution: (problems for a repair, last failure, accepted)."""
        try:
            draft = parse_reply(text, DesignDraft)
        except ReplyError as error:
            return [f"reply.malformed: {error}"], ("design", "design.malformed", str(error)), False
        passed.add("design")
        self.report.designed += 1
        reached.add("refactor")
        try:
            task = refactor(draft, proposal, profile, self.reference, sha256, generator)
        except ValueError as error:  # Ungrounded: a metric that misfits the target; else a draft design() refuses
            code = "refactor.failed"
            if isinstance(error, Ungrounded):
                code = error.code.replace("brainstorm.", "refactor.")
            return [f"{code}: {error}"], ("refactor", code, str(error)), False
        vague = title_problems(task, proposal.target)
        if vague:
            return vague, ("refactor", "refactor.vague-title", vague[0]), False
        problems = static_problems(task)
        if problems:
            return problems, ("refactor", "refactor.static", "; ".join(problems[:3])), False
        passed.add("refactor")
        if self.reviewer is not None:
            reached.add("review")
            verdict = self.reviewer.judge(task, profile)
            if not verdict.passed:
                return [], ("review", verdict.code or "review.failed", verdict.reason or ""), False
            passed.add("review")
        reached.add("execute")
        write_scripts(task, self.out)  # verify writes the manifest, description and solution beside them
        outcome = verify(task, self.out, self.cache_root)
        if not outcome.accepted:
            code = outcome.code or "execute.failed"
            return [f"{code}: {outcome.reason}"], ("execute", code, outcome.reason or ""), False
        passed.add("execute")
        return [], ("execute", "", ""), True


def generate_llm(
    references: list[str],
    out: Path,
    client: ModelClient,
    *,
    max_proposals: int = 2,
    max_repairs: int = 2,
    review: bool = True,
    max_cost: float | None = None,
    temperature: float | None = None,
    max_reply_tokens: int | None = None,
    json_mode: JsonMode = "off",
    cache_root: Path | None = None,
    progress: Progress | None = None,
) -> LlmGenerationReport:
    """Make tasks from each packaged dataset in `references` with the model behind `client`, into `out`.

    Accepted tasks (they passed the static and execution validators, and the rubric review unless `review` is
    off) stay in `out` with provenance; rejected ones are logged with stage and reason in `generation-log.json`.
    A dataset an earlier run with the same model and prompts already handled is skipped. Raises
    `runner.llm.ModelError` when the model cannot be used; a spent `max_cost` ends the run early (`stopped`).
    `json_mode` asks the server to constrain replies to JSON (`response_format`; see `JsonMode`).
    """
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    log = _read_log(out, log_label(client.model))
    report = LlmGenerationReport(datasets=len(references), model=client.model)
    budget = Budget(Limits(max_cost_usd=max_cost), batch_meter())
    chat = Chat(client, budget, json_mode, temperature=temperature, max_tokens=max_reply_tokens)
    reviewer = _Reviewer(chat, out, report) if review else None
    options = {"max_proposals": max_proposals, "max_repairs": max_repairs, "reviewer": reviewer,
               "cache_root": cache_root}  # fmt: skip
    try:
        for reference in references:
            if progress is not None:
                progress(reference, "start")
            run = _Run(reference, chat, out, report, options)
            try:
                if run.dataset(log):
                    log.datasets[reference] = run.record
            except BudgetExceeded as error:
                report.stopped = str(error)
                break
            finally:
                write_log(out, log)
                report.usage = budget.usage
            if progress is not None:
                progress(reference, "done")
    finally:
        report.seconds = time.perf_counter() - started
    return report
