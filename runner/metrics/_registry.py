"""The registry itself: the `Metric` record, the `metric` decorator and name lookup."""

from __future__ import annotations

import difflib
import inspect
import math
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, TypeVar, get_args

from runner._errors import BenchsmithError
from runner.plugins import GROUPS, Registry, UnknownPluginError

if TYPE_CHECKING:
    import pandas as pd


# Kept identical to `spec._metric.METRIC_NAME_PATTERN`: every registered name must be writable in a manifest.
METRIC_NAME_PATTERN = r"^[a-z][a-z0-9_]*(?:@k)?$"

PredictionKind = Literal["label", "probability", "value", "ranking"]
"""What a submission's prediction columns hold for a metric."""

MetricFn = Callable[..., float]
"""`fn(answers, predictions, **params) -> float`."""

_F = TypeVar("_F", bound=MetricFn)

_REGISTRY: Registry[Metric] = Registry("metric", GROUPS["metrics"])
"""Metrics by name: the built-ins and those of installed packages (entry-point group `benchsmith.metrics`, naming a
module whose functions use the `metric` decorator)."""


class MetricInputError(BenchsmithError, ValueError):
    """The answers or predictions (or the parameters) cannot be scored by this metric."""


class UnknownMetricError(UnknownPluginError, KeyError):
    """No metric is registered under the requested name."""

    def __init__(self, name: str, suggestions: list[str], hint: str = "") -> None:
        self.suggestions = suggestions
        message = f"unknown metric {name!r}"
        if hint:
            message += f"; {hint}"
        elif suggestions:
            message += f"; did you mean {', '.join(repr(s) for s in suggestions)}?"
        message += " (`runner metrics` lists them all)"
        self.message = message
        super().__init__("metric", name, _REGISTRY.names(), message=message)

    def __str__(self) -> str:
        # KeyError's own __str__ would repr() the message, wrapping it in quotes.
        return self.message


@dataclass(frozen=True)
class Metric:
    """A named, registered scoring function and what it expects.

    `params` maps the function's keyword-only parameter names to their defaults; they are the only
    keyword arguments `score` accepts.
    """

    name: str
    higher_is_better: bool
    best_possible: float | None
    prediction: PredictionKind
    description: str
    params: dict[str, object] = field(compare=False)
    fn: MetricFn = field(compare=False, repr=False)

    def score(self, answers: pd.DataFrame, predictions: pd.DataFrame, **params: object) -> float:
        """Score `predictions` against `answers` (same row order, id column removed).

        Raises `MetricInputError` when the parameters are unknown or the inputs cannot be scored.
        """
        unknown = sorted(set(params) - set(self.params))
        if unknown:
            allowed = ", ".join(sorted(self.params)) if self.params else "none"
            raise MetricInputError(
                f"metric {self.name!r} has no parameter {', '.join(unknown)} (allowed parameters: {allowed})"
            )
        for role, frame in (("answers", answers), ("predictions", predictions)):
            import pandas as pd  # deferred: pandas costs a second at CLI start-up and only scoring needs it

            if not isinstance(frame, pd.DataFrame):
                raise TypeError(f"{role} must be a pandas DataFrame, not {type(frame).__name__}")
            if frame.shape[1] == 0:
                raise MetricInputError(f"{role} have no columns")
            if frame.shape[0] == 0:
                raise MetricInputError(f"{role} have no rows")
        if len(answers) != len(predictions):
            raise MetricInputError(f"answers have {len(answers)} rows but predictions have {len(predictions)}")
        # Libraries announce an undefined score with a warning and return NaN; the warning is kept to
        # explain the NaN, and passed on unchanged otherwise.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                value = float(self.fn(answers, predictions, **params))
            except MetricInputError:
                raise
            except (ValueError, TypeError) as exc:
                raise MetricInputError(f"{self.name}: {exc}") from exc
        if math.isnan(value):
            reasons = "; ".join(dict.fromkeys(str(w.message) for w in caught))
            detail = f": {reasons}" if reasons else ", e.g. because a column is constant or there are too few rows"
            raise MetricInputError(f"{self.name} is undefined for these inputs (the score is NaN){detail}")
        for w in caught:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)
        return value


def metric(
    name: str,
    *,
    higher_is_better: bool,
    best_possible: float | None,
    prediction: PredictionKind,
    description: str | None = None,
) -> Callable[[_F], _F]:
    """Register the decorated `fn(answers, predictions, *, **params) -> float` under `name`.

    The function is returned unchanged. `description` defaults to the first line of its docstring.
    Raises `ValueError` for a malformed or already registered name.
    """
    if not re.fullmatch(METRIC_NAME_PATTERN, name):
        raise ValueError(f"metric name {name!r} does not match {METRIC_NAME_PATTERN}")
    if _REGISTRY.find(name) is not None:
        raise ValueError(f"metric {name!r} is already registered")
    if prediction not in get_args(PredictionKind):
        raise ValueError(f"prediction must be one of {get_args(PredictionKind)}, not {prediction!r}")

    def register(fn: _F) -> _F:
        params: dict[str, object] = {}
        for parameter in inspect.signature(fn).parameters.values():
            if parameter.kind is not inspect.Parameter.KEYWORD_ONLY:
                continue
            if parameter.default is inspect.Parameter.empty:
                raise ValueError(f"metric {name!r}: keyword-only parameter {parameter.name!r} needs a default")
            params[parameter.name] = parameter.default
        if name.endswith("@k") and "k" not in params:
            raise ValueError(f"metric {name!r} is parametrised by k but has no keyword-only parameter k")
        summary = description or (inspect.getdoc(fn) or "").strip().split("\n", 1)[0]
        if not summary:
            raise ValueError(f"metric {name!r} needs a description (argument or docstring)")
        # `add` checks the name again: another registration may have happened between the call and the decoration.
        _REGISTRY.add(
            name,
            Metric(
                name=name,
                higher_is_better=higher_is_better,
                best_possible=best_possible,
                prediction=prediction,
                description=summary,
                params=params,
                fn=fn,
            ),
        )
        return fn

    return register


def get_metric(name: str) -> Metric:
    """The metric registered under `name`; `UnknownMetricError` (listing close matches) otherwise."""
    found = _REGISTRY.find(name)
    if found is not None:
        return found
    names = _REGISTRY.names()
    hint = ""
    # Authors often write the parameter into the name (`map@5`); point them at the `params` form.
    fixed_k = re.fullmatch(r"(.+)@(\d+)", name)
    if fixed_k and _REGISTRY.find(f"{fixed_k.group(1)}@k") is not None:
        hint = f"did you mean {fixed_k.group(1)}@k with params {{k: {fixed_k.group(2)}}}?"
    raise UnknownMetricError(name, difflib.get_close_matches(name, names, n=3, cutoff=0.6), hint) from None


def metric_names() -> list[str]:
    """Names of all registered metrics, sorted."""
    return _REGISTRY.names()
