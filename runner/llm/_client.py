"""A chat client over the official `openai` SDK: retries 429 and 5xx with backoff, fails at once otherwise, and
says which setting to fix."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import openai

from runner._errors import BenchsmithError

from ._prices import cost_usd
from ._settings import ModelSettings, reconcile_with_endpoint, resolve_settings

Message = Mapping[str, str]
"""A chat message: {"role": "system" | "user" | "assistant", "content": "..."}."""

MAX_TRIES = 4
BACKOFF_S = 1.0


class ModelError(BenchsmithError, RuntimeError):
    """The model cannot be used; the message says which setting to fix. Never contains the key.

    It is never the agent's fault (the endpoint is down, refuses connections, keeps failing with 5xx, rejects the
    key, or has too small a context for the runner's prompts), so a trial that meets it is an infra_error.
    """


_CONTEXT_LENGTH = re.compile(
    r"context[ _-]?(length|window|size)|maximum context|too many tokens|exceeds? the (available )?context",
    re.IGNORECASE,
)
"""How servers say a request does not fit the model's context (OpenAI's `context_length_exceeded`, vLLM's "maximum
context length", llama.cpp's "exceeds the available context size")."""


def _context_too_small(error: openai.APIStatusError) -> bool:
    code = getattr(error, "code", None)
    return error.status_code in (400, 413) and (
        code == "context_length_exceeded" or bool(_CONTEXT_LENGTH.search(str(error.message)))
    )


@dataclass(frozen=True)
class ChatReply:
    """One completion: its text, token counts and cost (None when the price is unknown)."""

    text: str
    input_tokens: int
    output_tokens: int
    cost_usd: float | None


class ModelClient:
    """Chat completions from one (base_url, model); the key is read from the named variable when made."""

    def __init__(
        self,
        settings: ModelSettings,
        *,
        environ: Mapping[str, str] | None = None,
        timeout_s: float = 600.0,
        max_tries: int = MAX_TRIES,
        backoff_s: float = BACKOFF_S,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.model = settings.model.value
        self.base_url = settings.base_url.value
        self.max_tries = max(1, max_tries)
        self.backoff_s = backoff_s
        self._sleep = sleep
        key_env = settings.api_key_env.value
        key = (os.environ if environ is None else environ).get(key_env)
        if not key:
            raise ModelError(f"no API key: set {key_env} or --api-key-env (the variable that holds the key)")
        self._client = openai.OpenAI(api_key=key, base_url=self.base_url, timeout=timeout_s, max_retries=0)

    def _fatal(self, error: openai.OpenAIError) -> ModelError:
        where, key_env = self.base_url, self.settings.api_key_env.value
        if isinstance(error, openai.APITimeoutError):
            return ModelError(f"server at {where} did not answer in time: check it or fix --base-url")
        if isinstance(error, openai.APIConnectionError):
            return ModelError(f"server at {where} not reachable: start it or fix --base-url")
        if isinstance(error, openai.AuthenticationError | openai.PermissionDeniedError):
            return ModelError(
                f"key rejected by {where} (HTTP {error.status_code}): set {key_env} to a valid key or fix --api-key-env"
            )
        if isinstance(error, openai.NotFoundError):
            return ModelError(f"model {self.model} unknown at {where}: fix --model (or a wrong --base-url path)")
        if isinstance(error, openai.APIStatusError) and _context_too_small(error):
            return ModelError(
                f"model {self.model} at {where} has too small a context for the prompt (HTTP {error.status_code}: "
                f"{error.message}"[:800]
                + "): serve it with a longer context, or choose a model that has one"
            )
        if isinstance(error, openai.APIStatusError):
            return ModelError(f"{where} refused the request (HTTP {error.status_code}): {error.message}"[:1000])
        return ModelError(f"calling {self.model} at {where} failed: {type(error).__name__}: {error}"[:1000])

    def served_models(self) -> list[str] | None:
        """The model ids the endpoint lists at `/models`; None when it does not answer that request (not every
        OpenAI-compatible server implements it), so callers fall back to the configured model."""
        try:
            return sorted(model.id for model in self._client.models.list())
        except openai.OpenAIError:
            return None

    def chat(self, messages: Sequence[Message], **options: Any) -> ChatReply:
        """One chat completion; `options` go to the API (temperature, max_tokens, seed, ...)."""
        payload = [dict(message) for message in messages]
        for attempt in range(1, self.max_tries + 1):
            try:
                response = self._client.chat.completions.create(
                    model=self.model, messages=cast(Any, payload), **options
                )
            except (openai.RateLimitError, openai.InternalServerError) as error:
                if attempt == self.max_tries:
                    raise ModelError(
                        f"{self.base_url} kept failing (HTTP {error.status_code}) after {attempt} tries: "
                        "retry later or lower --jobs"
                    ) from None
                self._sleep(self.backoff_s * 2 ** (attempt - 1))
                continue
            except openai.OpenAIError as error:
                raise self._fatal(error) from None
            text = response.choices[0].message.content or "" if response.choices else ""
            usage = response.usage
            tokens_in = usage.prompt_tokens if usage else 0
            tokens_out = usage.completion_tokens if usage else 0
            return ChatReply(text, tokens_in, tokens_out, cost_usd(self.base_url, self.model, tokens_in, tokens_out))
        raise AssertionError("unreachable")  # pragma: no cover


def served_settings(flags: Mapping[str, str | None], *, timeout_s: float = 10.0) -> ModelSettings:
    """Settings resolved from `flags` (then environment, config, defaults), with the key variable checked and the
    model reconciled with what the endpoint serves, so what a run records is the model that answers.

    Raises ModelError without a key, ModelMismatch when the model and the endpoint disagree.
    """
    resolved = resolve_settings(flags)
    if not resolved.key_present():
        raise ModelError(f"no API key: set {resolved.api_key_env.value} or --api-key-env")
    return reconcile_with_endpoint(
        resolved, lambda settings: ModelClient(settings, timeout_s=timeout_s).served_models()
    )
