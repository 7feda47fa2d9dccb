"""Limits on one trial (steps, tokens, cost, wall time) and a thread-safe cost meter shared by a whole batch."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from runner.results import Usage

from ._client import ChatReply


class BudgetExceeded(RuntimeError):
    """A trial (or the batch) has used up what it may spend; the message says which limit."""


@dataclass(frozen=True)
class Limits:
    """Per-trial limits; None means no limit."""

    max_steps: int | None = None
    max_tokens: int | None = None
    max_cost_usd: float | None = None
    wall_time_s: float | None = None


class CostMeter:
    """Dollars spent by every trial of a batch, against an optional batch-wide limit; safe across threads."""

    def __init__(self, limit_usd: float | None = None) -> None:
        self.limit_usd = limit_usd
        self._lock = threading.Lock()
        self._spent = 0.0
        self._unpriced_calls = 0

    def add(self, cost: float | None) -> None:
        """Count one call's cost (None: the price is unknown; counted as a call the limit cannot see)."""
        with self._lock:
            if cost is None:
                self._unpriced_calls += 1
            else:
                self._spent += cost

    @property
    def spent_usd(self) -> float:
        with self._lock:
            return self._spent

    @property
    def unpriced_calls(self) -> int:
        with self._lock:
            return self._unpriced_calls

    def check(self) -> None:
        """Raise BudgetExceeded once the batch has spent its limit."""
        with self._lock:
            if self.limit_usd is not None and self._spent >= self.limit_usd:
                raise BudgetExceeded(f"batch cost ${self._spent:.4f} reached --max-cost ${self.limit_usd:g}")


_batch_lock = threading.Lock()
_batch: CostMeter | None = None


def set_batch_meter(meter: CostMeter | None) -> None:
    """Install the meter every trial of this process's batch charges (`runner exec --max-cost`); None removes it."""
    global _batch
    with _batch_lock:
        _batch = meter


def batch_meter() -> CostMeter | None:
    """The batch's meter, if one is installed."""
    with _batch_lock:
        return _batch


class Budget:
    """One trial's consumption against its limits and the batch meter; `usage` is what goes into the result."""

    def __init__(
        self, limits: Limits, meter: CostMeter | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits
        self.meter = meter
        self._clock = clock
        self._started = clock()
        self.steps = 0
        self.input_tokens = 0
        self.output_tokens = 0
        self.calls = 0
        self.cost_usd: float | None = 0.0

    @property
    def elapsed_s(self) -> float:
        return self._clock() - self._started

    def remaining_s(self) -> float | None:
        """Wall time left, or None without a wall-time limit."""
        if self.limits.wall_time_s is None:
            return None
        return max(0.0, self.limits.wall_time_s - self.elapsed_s)

    def check(self) -> None:
        """Raise BudgetExceeded when any limit is reached (call before spending more)."""
        limits = self.limits
        if limits.max_steps is not None and self.steps >= limits.max_steps:
            raise BudgetExceeded(f"{self.steps} steps reached --max-steps {limits.max_steps}")
        tokens = self.input_tokens + self.output_tokens
        if limits.max_tokens is not None and tokens >= limits.max_tokens:
            raise BudgetExceeded(f"{tokens} tokens reached max_tokens {limits.max_tokens}")
        if limits.max_cost_usd is not None and self.cost_usd is None:
            # Letting calls go on would silently lift the cap the user set.
            raise BudgetExceeded(
                f"max_cost ${limits.max_cost_usd:g} cannot be enforced: a call's price is unknown (no usage reported, "
                "or the endpoint and model are not in runner/llm/prices.toml)"
            )
        if limits.max_cost_usd is not None and self.cost_usd is not None and self.cost_usd >= limits.max_cost_usd:
            raise BudgetExceeded(f"trial cost ${self.cost_usd:.4f} reached max_cost ${limits.max_cost_usd:g}")
        if limits.wall_time_s is not None and self.elapsed_s >= limits.wall_time_s:
            raise BudgetExceeded(f"{self.elapsed_s:.0f} s reached wall_time {limits.wall_time_s:g} s")
        if self.meter is not None:
            self.meter.check()

    def step(self) -> None:
        """Check the limits, then count one step (one model call that makes a node)."""
        self.check()
        self.steps += 1

    def record(self, reply: ChatReply) -> None:
        """Add one call's tokens and cost (an unknown price makes the trial's cost unknown)."""
        self.calls += 1
        self.input_tokens += reply.input_tokens
        self.output_tokens += reply.output_tokens
        if reply.cost_usd is None:
            self.cost_usd = None
        elif self.cost_usd is not None:
            self.cost_usd += reply.cost_usd
        if self.meter is not None:
            self.meter.add(reply.cost_usd)

    @property
    def usage(self) -> Usage:
        return Usage(
            input_tokens=self.input_tokens, output_tokens=self.output_tokens, calls=self.calls, cost_usd=self.cost_usd
        )
