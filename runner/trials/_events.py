"""Writing a trial's event log (`runner.results` holds its records and reader): every command the agent runs in
its sandbox, the sandbox's start and stop, and model calls, as they happen.

Each event is one `write` of a whole line to a file opened with O_APPEND, unbuffered: a trial killed midway leaves
a readable prefix, and a reader drops at most a torn last line.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from runner.llm import ChatReply
from runner.results import ARGUMENT_CHARS, CommandRun, ModelCall, SandboxStarted, SandboxStopped
from runner.sandboxes import ExecResult, Sandbox, SandboxBackend, SandboxSpec


class EventLog:
    """Appends events to one trial's `events.jsonl`; safe across threads (the model proxy calls from its own).

    Writing never fails a trial: the file is opened at the first event, and an event that cannot be written is
    counted in `lost` (reported by `trial_ended`) instead of raising.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lost = 0
        self._lock = threading.Lock()
        self._handle: int | None = None
        self._closed = False

    def emit(self, event: BaseModel) -> None:
        line = (event.model_dump_json() + "\n").encode()
        with self._lock:
            if self._closed:
                return
            try:
                if self._handle is None:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    # Never through a link: the file must be the one in the trial folder.
                    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
                    self._handle = os.open(self.path, flags, 0o644)
                # One write of the whole line: O_APPEND keeps lines whole, and an unbuffered fd needs no flush.
                os.write(self._handle, line)
            except OSError:
                self.lost += 1

    def model_call(self, source: Literal["proxy", "agent"]) -> Callable[[str, ChatReply], None]:
        """The callback a model proxy or agent calls with (model, reply) after each call."""

        def record(model: str, reply: ChatReply) -> None:
            call = ModelCall(
                source=source, model=model, input_tokens=reply.input_tokens,
                output_tokens=reply.output_tokens, cost_usd=reply.cost_usd,
            )  # fmt: skip
            self.emit(call)

        return record

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._handle is not None:
                os.close(self._handle)
                self._handle = None


class RecordingSandbox(Sandbox):
    """A sandbox that logs every command it runs; everything else is the wrapped sandbox's."""

    def __init__(self, inner: Sandbox, events: EventLog) -> None:
        self.inner = inner
        self.spec = inner.spec
        self.events = events

    def run(self, command: Sequence[str], *, timeout_s: float | None = None, stdin: str | None = None) -> ExecResult:
        argv = [part if len(part) <= ARGUMENT_CHARS else part[: ARGUMENT_CHARS - 1] + "…" for part in command]
        started = time.monotonic()
        try:
            result = self.inner.run(command, timeout_s=timeout_s, stdin=stdin)
        except Exception as error:
            failed = CommandRun(argv=argv, exit_code=None, duration_s=time.monotonic() - started,
                                error=f"{type(error).__name__}: {error}")  # fmt: skip
            self.events.emit(failed)
            raise
        ran = CommandRun(
            argv=argv, exit_code=result.exit_code, duration_s=result.duration_s, timed_out=result.timed_out,
            oom=result.oom, stdout_chars=len(result.stdout), stderr_chars=len(result.stderr),
        )  # fmt: skip
        self.events.emit(ran)
        return result

    def close(self) -> None:
        self.inner.close()

    def describe(self) -> dict[str, str]:
        return self.inner.describe()


@contextmanager
def recorded_sandbox(backend: SandboxBackend, spec: SandboxSpec, name: str, events: EventLog) -> Iterator[Sandbox]:
    """Open a sandbox whose start, commands and stop go to `events`; it is closed on leaving."""
    opening = time.monotonic()
    inner = backend.open(spec)
    opened = time.monotonic()
    events.emit(SandboxStarted(backend=name, startup_s=opened - opening))
    try:
        yield RecordingSandbox(inner, events)
    finally:
        try:
            inner.close()
        finally:
            events.emit(SandboxStopped(open_s=time.monotonic() - opened))
