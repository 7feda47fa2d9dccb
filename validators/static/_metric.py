"""A named metric exists in the registry, with the direction and parameters the registry knows."""

from __future__ import annotations

from collections.abc import Iterator

from spec import LoadedTask, NamedMetric, Problem, ResearchTask

from .._registry import CheckContext, task_check


@task_check(
    "metric",
    codes=("metric.unknown", "metric.direction-mismatch", "metric.unknown-param"),
    description="A metric name is registered, its declared direction agrees with the registry, its params exist.",
)
def check_metric(task: LoadedTask, context: CheckContext) -> Iterator[Problem]:
    if task.manifest is None or not isinstance(task.manifest.metric, NamedMetric):
        return
    # Imported here: the registry's metric modules import numpy, which a catalogue without named metrics, and
    # importing the validators, need not pay for.
    from runner.metrics import UnknownMetricError, get_metric

    declared = task.manifest.metric
    try:
        metric = get_metric(declared.name)
    except UnknownMetricError as error:
        if isinstance(task.manifest, ResearchTask) and task.manifest.evaluation is not None:
            return  # the name is the key the task's own evaluator prints (docs/research.md)
        yield task.problem("metric.unknown", str(error).strip("'\""), ("metric", "name"))
        return
    if metric.higher_is_better != declared.higher_is_better:
        direction = "true" if metric.higher_is_better else "false"
        yield task.problem(
            "metric.direction-mismatch",
            f"metric {declared.name!r} is {'higher' if metric.higher_is_better else 'lower'}-is-better; "
            f"set higher_is_better: {direction}",
            ("metric", "higher_is_better"),
        )
    for name in declared.params:
        if name not in metric.params:
            allowed = ", ".join(sorted(metric.params)) or "none"
            yield task.problem(
                "metric.unknown-param",
                f"metric {declared.name!r} has no parameter {name!r} (parameters: {allowed})",
                ("metric", "params", name),
            )
