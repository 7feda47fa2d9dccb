"""A speedrun chain is runnable and its times tell a story: an evaluator, hints for every step, times that fall,
compute that fits the resources, and record scripts that preparation can provide."""

from __future__ import annotations

from collections.abc import Iterator

from spec import HINT_LEVELS, LoadedTask, Problem, ScriptMetric, SpeedrunTask, UrlSource

from .._registry import CheckContext, task_check

_SIGNIFICANCE = 3.0


@task_check(
    "speedrun",
    codes=("speedrun.metric-not-script", "speedrun.hint-missing", "speedrun.hint-unused",
           "speedrun.time-not-decreasing", "speedrun.not-significant", "speedrun.date-order",
           "speedrun.gpus-exceed-resources", "speedrun.threads-exceed-cpus", "speedrun.cpu-clock-threads",
           "speedrun.validation-unpinned", "speedrun.script-url-no-source"),
    description="A speedrun chain has an evaluator script, hints at every level for every step, strictly falling "
    "record times, compute that fits its resources, and record scripts that preparation provides.",
)  # fmt: skip
def check_speedrun(task: LoadedTask, context: CheckContext) -> Iterator[Problem]:
    manifest = task.manifest
    if not isinstance(manifest, SpeedrunTask):
        return
    if not isinstance(manifest.metric, ScriptMetric):
        yield task.problem(
            "speedrun.metric-not-script",
            "a speedrun's metric is its evaluator: write `metric: {script: <id>/evaluate.py, higher_is_better: "
            "...}` with `score(submission, answers)` scoring the saved model (docs/speedrun.md)",
            ("metric",),
        )
    yield from _hints(task, manifest)
    yield from _times(task, manifest)
    yield from _compute(task, manifest)
    validation = manifest.invariants.validation
    if validation.sha256 is None:
        yield task.problem(
            "speedrun.validation-unpinned",
            f"the evaluation slice private/{validation.file} has no SHA-256; pin it as invariants.validation.sha256 "
            "so a changed preparation cannot move the target silently",
            ("invariants", "validation"),
            severity="warning",
        )
    fetched = {source.sha256 for source in manifest.sources if isinstance(source, UrlSource)}
    for index, record in enumerate(manifest.records):
        if record.script_url is not None and record.script_url.sha256 not in fetched:
            yield task.problem(
                "speedrun.script-url-no-source",
                f"record {record.id}'s script_url is not among the sources, so preparation never fetches it; add "
                f"`{{name: ..., url: {record.script_url.url}, sha256: {record.script_url.sha256}}}` to sources",
                ("records", index, "script_url"),
            )


def _hints(task: LoadedTask, manifest: SpeedrunTask) -> Iterator[Problem]:
    first = manifest.records[0]
    if any(first.hints.at_level(level) is not None for level in range(1, len(HINT_LEVELS) + 1)):
        yield task.problem(
            "speedrun.hint-unused",
            f"record {first.id} is the first of the chain: its hints describe a change from no predecessor and "
            "are never given to an agent",
            ("records", 0, "hints"),
            severity="warning",
        )
    for index, record in enumerate(manifest.records[1:], start=1):
        missing = [name for name in HINT_LEVELS if getattr(record.hints, name) is None]
        if missing:
            yield task.problem(
                "speedrun.hint-missing",
                f"record {record.id} has no {', '.join(missing)} hint; an agent starting from "
                f"{manifest.records[index - 1].id} at that hint level would get none",
                ("records", index, "hints"),
            )


def _times(task: LoadedTask, manifest: SpeedrunTask) -> Iterator[Problem]:
    for index, (previous, record) in enumerate(zip(manifest.records, manifest.records[1:], strict=False), start=1):
        if record.time_s >= previous.time_s:
            yield task.problem(
                "speedrun.time-not-decreasing",
                f"record {record.id} takes {record.time_s:g} s, not less than {previous.id}'s {previous.time_s:g} s; "
                "every record must be faster than the one before",
                ("records", index, "time_s"),
            )
            continue
        spread = _SIGNIFICANCE * (previous.time_std_s**2 + record.time_std_s**2) ** 0.5
        if previous.time_s - record.time_s < spread:
            yield task.problem(
                "speedrun.not-significant",
                f"record {record.id} is {previous.time_s - record.time_s:.3g} s faster than {previous.id}, less than "
                f"3 standard deviations of the difference ({spread:.3g} s); FSR against it is mostly noise",
                ("records", index, "time_s"),
                severity="warning",
            )
        if previous.date is not None and record.date is not None and record.date < previous.date:
            yield task.problem(
                "speedrun.date-order",
                f"record {record.id} ({record.date}) is dated before {previous.id} ({previous.date}); list records "
                "oldest first",
                ("records", index, "date"),
                severity="warning",
            )


def _compute(task: LoadedTask, manifest: SpeedrunTask) -> Iterator[Problem]:
    protocol, resources = manifest.protocol, manifest.resources
    if protocol.gpus > resources.gpus:
        yield task.problem(
            "speedrun.gpus-exceed-resources",
            f"protocol.gpus is {protocol.gpus} but resources give {resources.gpus}; set resources.gpu: required "
            f"and gpu_count: {protocol.gpus}",
            ("protocol", "gpus"),
        )
    if protocol.threads > resources.cpus:
        yield task.problem(
            "speedrun.threads-exceed-cpus",
            f"protocol.threads is {protocol.threads} but resources.cpus is {resources.cpus:g}",
            ("protocol", "threads"),
        )
    if protocol.clock == "process_cpu" and protocol.threads > 1:
        yield task.problem(
            "speedrun.cpu-clock-threads",
            "clock process_cpu adds up the CPU time of every thread, so more threads never look faster; use "
            "threads: 1, or clock: wall on dedicated hardware",
            ("protocol", "clock"),
            severity="warning",
        )
