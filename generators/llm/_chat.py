"""One model conversation helper for every stage: the system prompt, reply options, and the run's budget."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel

from runner.llm import Budget, BudgetExceeded, Message, ModelClient, ModelError

from ._prompts import prompt_text
from ._transcript import CallUsage, Transcript, utc_now

JsonMode = Literal["off", "object", "schema"]
"""How replies are constrained: not at all; to JSON (`response_format: json_object`, OpenAI, vLLM, llama.cpp); or
to JSON of the stage's reply schema (`json_object` with a `schema`, as llama.cpp's server takes it)."""


class Chat:
    """Sends a stage's prompt (after the pipeline's system prompt) and charges the run's budget for the reply.

    Raises `runner.llm.ModelError` when the model cannot be used and `runner.llm.BudgetExceeded` when the run has
    spent its limit: both end the run, unlike a malformed reply, which a stage handles itself. Every call (and such
    a failure) is appended to `transcript` when one is set.
    """

    def __init__(self, client: ModelClient, budget: Budget, json_mode: JsonMode = "off", **options: Any) -> None:
        self.client = client
        self.budget = budget
        self.json_mode = json_mode
        self.options = {key: value for key, value in options.items() if value is not None}
        self.transcript: Transcript | None = None

    @property
    def model(self) -> str:
        return self.client.model

    def _response_format(self, reply: type[BaseModel], schema: dict[str, Any] | None) -> dict[str, Any] | None:
        if self.json_mode == "off":
            return None
        if self.json_mode == "object":
            return {"type": "json_object"}
        return {"type": "json_object", "schema": schema or reply.model_json_schema()}

    def converse(
        self, turns: Sequence[Message], reply: type[BaseModel], stage: str, schema: dict[str, Any] | None = None
    ) -> str:
        """The reply to `turns` (user and assistant messages, oldest first), after the system prompt; `reply` is the
        model the stage will parse the reply into; `stage` names the asking stage in the transcript. In `schema`
        mode the reply is constrained to `schema` (a narrowing of `reply`'s schema built for this dataset, see
        `_schemas`), else to `reply`'s own schema."""
        messages: list[Message] = [{"role": "system", "content": prompt_text("system")}, *turns]
        options = dict(self.options)
        response_format = self._response_format(reply, schema)
        if response_format is not None:
            options["response_format"] = response_format
        at, started = utc_now(), time.perf_counter()
        request = {"messages": [dict(message) for message in messages], "options": options}
        try:
            self.budget.check()
            answer = self.client.chat(messages, **options)
        except (ModelError, BudgetExceeded) as error:
            if self.transcript is not None:
                self.transcript.record(stage, at=at, seconds=time.perf_counter() - started, error=str(error),
                                       **request)  # fmt: skip
            raise
        self.budget.record(answer)
        if self.transcript is not None:
            usage = CallUsage(input_tokens=answer.input_tokens, output_tokens=answer.output_tokens,
                              cost_usd=answer.cost_usd)  # fmt: skip
            self.transcript.record(stage, at=at, seconds=time.perf_counter() - started, reply=answer.text,
                                   usage=usage, **request)  # fmt: skip
        return answer.text

    def ask(self, prompt: str, reply: type[BaseModel], stage: str, schema: dict[str, Any] | None = None) -> str:
        """The reply to one user prompt."""
        return self.converse([{"role": "user", "content": prompt}], reply, stage, schema)
