"""Each dataset's model conversation on disk, so a rejected task can be debugged from what the model was asked
and what it answered: one JSON line per model call in `<out>/.generation/conversations/<dataset-slug>.jsonl`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import Field

from spec import StrictModel

from .._design import slugify

CONVERSATIONS_DIR = Path(".generation") / "conversations"


class CallUsage(StrictModel):
    """What one model call consumed."""

    input_tokens: int = Field(ge=0, description="Prompt tokens.")
    output_tokens: int = Field(ge=0, description="Completion tokens.")
    cost_usd: float | None = Field(description="Cost in US dollars; null when the price is unknown.")


class Exchange(StrictModel):
    """One model call of the pipeline: the request as sent and the reply (or the error that ended the run)."""

    dataset: str = Field(description="Dataset reference, `<provider>:<name>`.")
    stage: str = Field(description="Pipeline stage that asked: brainstorm, design or review.")
    task_id: str | None = Field(default=None, description="Task id, once a proposal is being designed.")
    attempt: int | None = Field(default=None, ge=0, description="Design round (0: first draft, then repairs).")
    at: datetime = Field(description="When the request was sent (UTC).")
    seconds: float = Field(ge=0, description="Wall-clock seconds the call took.")
    messages: list[dict[str, str]] = Field(description="The request's messages: system, user and assistant turns.")
    options: dict[str, Any] = Field(description="Other request options (temperature, max_tokens, response_format).")
    reply: str | None = Field(default=None, description="The model's reply text; null when the call failed.")
    error: str | None = Field(default=None, description="Why the call failed (model unusable, budget spent).")
    usage: CallUsage | None = Field(default=None, description="Tokens and cost of the call; null when it failed.")


def conversation_path(out: Path, dataset: str) -> Path:
    """Where the conversation about `dataset` is kept in the output folder `out`."""
    return out / CONVERSATIONS_DIR / f"{slugify(dataset, limit=120)}.jsonl"


def read_conversation(path: Path) -> list[Exchange]:
    """The exchanges saved in a conversation file, oldest first."""
    return [Exchange.model_validate_json(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


class Transcript:
    """The conversation about one dataset, rewritten atomically after every call: a crash or an interrupted run
    leaves the calls made so far, never a half-written line. A new transcript replaces an earlier run's file."""

    def __init__(self, path: Path, dataset: str) -> None:
        self.path = path
        self.dataset = dataset
        self.task_id: str | None = None
        self.attempt: int | None = None
        self._lines: list[str] = []

    def record(self, stage: str, **fields: Any) -> Exchange:
        """Append one exchange (the `Exchange` fields other than dataset, stage, task id and attempt)."""
        from runner.results import write_atomic

        exchange = Exchange(dataset=self.dataset, stage=stage, task_id=self.task_id, attempt=self.attempt, **fields)
        self._lines.append(exchange.model_dump_json(exclude_none=True) + "\n")
        write_atomic(self.path, "".join(self._lines))
        return exchange


def utc_now() -> datetime:
    return datetime.now(UTC)
