"""How a submission is scored."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Discriminator, Field, Tag

from ._base import StrictModel, key_discriminator
from ._fields import EntryPoint, TaskPath, import_path_field

METRIC_NAME_PATTERN = r"^[a-z][a-z0-9_]*(?:@k)?$"


class _MetricBase(StrictModel):
    higher_is_better: bool = Field(description="True when a larger score is better.")


class NamedMetric(_MetricBase):
    """A metric from benchsmith's registry (`runner metrics`)."""

    name: str = Field(pattern=METRIC_NAME_PATTERN, description="Registry name, e.g. `accuracy`, `rmse`, `map@k`.")
    params: dict[str, Any] = Field(
        default_factory=dict, description="Keyword arguments of the metric, e.g. `{k: 5}` for `map@k`."
    )


class ScriptMetric(_MetricBase):
    """A metric defined by the task's own script: `score(submission, answers) -> float`."""

    script: TaskPath = Field(description="Python file defining `score(submission, answers)`.")


class EntrypointMetric(_MetricBase):
    """A metric provided by an installed package: `function(submission, answers) -> float`."""

    entrypoint: EntryPoint = Field(description="`module:function` with the signature `(submission, answers)`.")
    import_path: str | None = import_path_field()


Metric = Annotated[
    Annotated[NamedMetric, Tag("metric:name")]
    | Annotated[ScriptMetric, Tag("metric:script")]
    | Annotated[EntrypointMetric, Tag("metric:entrypoint")],
    Discriminator(
        key_discriminator("metric", "name", "script", "entrypoint"),
        custom_error_type="metric_kind",
        custom_error_message="metric needs exactly one of the keys name, script or entrypoint",
    ),
]
