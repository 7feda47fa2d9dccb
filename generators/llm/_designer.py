"""Designer and Refactor: the model drafts a task's design (a declarative split or a prepare script; a registered
metric or a metric script); the draft is normalised into a spec manifest, description, reference solution and the
model's scripts, and checked by the static validators. Problems go back to the Designer."""

from __future__ import annotations

import ast
import re
import tempfile
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator

from spec import StrictModel

from .._design import TaskDesign, design
from .._profile import TableProfile
from .._propose import MAX_TEST_FRACTION, TaskProposal
from ._brainstorm import (
    Ungrounded,
    columns_table,
    custom_metric_name,
    metrics_table,
    prediction_format,
    script_prediction,
)
from ._prompts import render

FILES_HEADING = "## Files"
METRIC_FILE = "metric.py"
PREPARE_FILE = "prepare.py"
# What the model's scripts may import. The validators run them (prepare in a child process with a time limit, the
# metric inside the grader, as for any task), so a script reaching for the shell, the network or the file system
# beyond its folders goes back to the Designer rather than being run. A guard against the obvious, not a sandbox.
ALLOWED_IMPORTS = frozenset(
    {"__future__", "collections", "functools", "itertools", "math", "numpy", "pandas", "pathlib", "scipy", "sklearn",
     "statistics", "typing"}
)  # fmt: skip
_FENCED = re.compile(r"^\s*```[a-zA-Z]*[ \t]*\n(.*?)\n?```\s*$", re.DOTALL)


class DraftSplit(StrictModel):
    """The declarative split the Designer chose."""

    method: Literal["random", "stratified", "group", "time"] = Field(description="How rows are split.")
    test_size: float = Field(default=0.25, description="Share of rows held out for the test set.")
    group_column: str | None = Field(default=None, description="For `group`: rows sharing a value stay together.")
    time_column: str | None = Field(default=None, description="For `time`: the column ordering rows in time.")


class MetricScriptDraft(StrictModel):
    """A metric the registry lacks, written by the Designer as the task's metric script."""

    source: str = Field(min_length=1, description="Python source defining `score(submission, answers) -> float`.")
    higher_is_better: bool = Field(description="True when a larger score is better.")
    explanation: str = Field(default="", description="How the score is computed, for participants.")


class DesignDraft(StrictModel):
    """The Designer's reply: what the model decides about a task; the rest is normalised by the Refactor stage."""

    title: str = Field(min_length=1, description="One-line title.")
    overview: str = Field(min_length=1, description="Markdown for participants: context, goal, why it matters.")
    metric: str = Field(min_length=1, description="Name of a registered metric, or of the one `metric_script` scores.")
    split: DraftSplit | None = Field(default=None, description="The declarative split (or `prepare_script`).")
    prepare_script: str | None = Field(
        default=None,
        description="Python source of `prepare.py` defining `prepare(raw, public, private)`, when a declarative "
        "split cannot express the preparation (instead of `split`).",
    )
    metric_script: MetricScriptDraft | None = Field(
        default=None, description="The metric as a script, when no registered metric fits the task."
    )
    domain: str = Field(default="unknown", description="Field the data comes from.")
    keywords: list[str] = Field(default_factory=list, description="Up to five lower-case keywords.")

    @model_validator(mode="after")
    def _one_preparation(self) -> DesignDraft:
        if (self.split is None) == (self.prepare_script is None):
            raise ValueError("give exactly one of `split` (a declarative split) or `prepare_script` (prepare.py)")
        return self


class LlmTaskDesign(TaskDesign):
    """A designed task with the scripts the Designer wrote, which go into the task's folder."""

    files: dict[str, str] = Field(
        default_factory=dict, description="Further files of `<id>/` by name (`metric.py`, `prepare.py`): their text."
    )


def _metric_note(metric: str) -> str:
    from runner.metrics import UnknownMetricError, get_metric

    try:
        get_metric(metric)
    except UnknownMetricError:
        return " (not a registered metric: write it as `metric_script`, or choose a registered metric instead)"
    return ""


def design_prompt(proposal: TaskProposal, profile: TableProfile, dataset: str, *, scripts: bool = True) -> str:
    """The Designer's first prompt for one grounded proposal: the metrics that fit its target, the test shares that
    leave enough test rows, and, with `scripts` (off when the reply schema rules them out), how to write a metric or
    prepare script."""
    from ._schemas import fitting_metrics, test_sizes

    classes = f"; classes {', '.join(proposal.classes[:20])}" if proposal.classes else ""
    candidate = next(c for c in profile.candidates if c.column == proposal.target)
    sizes = test_sizes(profile.rows) or [MAX_TEST_FRACTION]
    return render(
        "design",
        dataset=dataset,
        rows=profile.rows,
        columns=columns_table(profile),
        target=proposal.target,
        problem=proposal.problem,
        classes=classes,
        metric=proposal.metric,
        metric_note=_metric_note(proposal.metric),
        drop_columns=", ".join(f"`{name}`" for name in proposal.drop_columns) or "none",
        rationale=proposal.rationale,
        metrics=metrics_table(fitting_metrics(candidate)),
        test_sizes=", ".join(f"{size:g}" for size in sizes),
        test_size=f"{sizes[0]:g}",
        scripts=render("design-scripts", target=proposal.target) if scripts else "",
    )


def repair_prompt(problems: list[str]) -> str:
    """The prompt that sends problems back to the Designer."""
    return render("repair", problems="\n".join(f"- {problem}" for problem in problems))


def _with_metric(proposal: TaskProposal, draft: DesignDraft, profile: TableProfile) -> TaskProposal:
    """The proposal scored by the draft's metric instead; an unregistered metric without a script is kept as named,
    for the validators."""
    from runner.metrics import UnknownMetricError, get_metric

    metric = draft.metric
    if draft.metric_script is not None:
        try:
            name = custom_metric_name(metric)
        except Ungrounded:
            name = "custom_metric"
        return proposal.model_copy(update={
            "metric": name, "prediction": script_prediction(proposal.problem), "submission_columns": [proposal.target],
            "higher_is_better": draft.metric_script.higher_is_better,
        })  # fmt: skip
    candidate = next(c for c in profile.candidates if c.column == proposal.target)
    try:
        prediction, columns = prediction_format(proposal.problem, metric, proposal.target, candidate)
        higher = get_metric(metric).higher_is_better
    except Ungrounded as error:
        if error.code != "brainstorm.unknown-metric":
            raise
        # The static validators name an unknown metric with its nearest registered names: their problem is the
        # clearest thing to send back to the Designer.
        return proposal.model_copy(update={"metric": metric})
    except UnknownMetricError:  # pragma: no cover - prediction_format already raised
        return proposal.model_copy(update={"metric": metric})
    return proposal.model_copy(
        update={"metric": metric, "prediction": prediction, "submission_columns": columns, "higher_is_better": higher}
    )


def script_source(text: str) -> str:
    """A script as the model wrote it, without a Markdown fence around it, ending in a newline."""
    fenced = _FENCED.match(text)
    return (fenced.group(1) if fenced else text).strip("\n") + "\n"


def refactor(
    draft: DesignDraft,
    proposal: TaskProposal,
    profile: TableProfile,
    source_ref: str,
    sha256: str,
    generator: dict[str, Any],
) -> LlmTaskDesign:
    """Normalise a draft to the spec: the profiler's task skeleton (id, source pinned at `sha256`, reference
    solution, environment, resources) with the draft's title, split or prepare script, metric or metric script,
    tags and overview, and `generator` (a `GeneratorInfo` mapping) as provenance. Raises Ungrounded when the draft's
    registered metric misfits the target."""
    chosen = _with_metric(proposal, draft, profile)
    task = design(chosen, source_ref, sha256)
    manifest = task.manifest
    manifest["title"] = " ".join(draft.title.split())
    files: dict[str, str] = {}
    if draft.prepare_script is not None:
        files[PREPARE_FILE] = script_source(draft.prepare_script)
        manifest["prepare"] = {"script": f"{task.id}/{PREPARE_FILE}"}
    elif draft.split is not None:
        split: dict[str, Any] = manifest["prepare"]["split"]
        split["method"] = draft.split.method
        split["test_size"] = draft.split.test_size
        for key in ("group_column", "time_column"):
            split.pop(key, None)  # the draft's method decides which of them the split may have
            value = getattr(draft.split, key)
            if value is not None:
                split[key] = value
    explanation = ""
    if draft.metric_script is not None:
        files[METRIC_FILE] = script_source(draft.metric_script.source)
        manifest["metric"] = {"script": f"{task.id}/{METRIC_FILE}",
                              "higher_is_better": draft.metric_script.higher_is_better}  # fmt: skip
        explanation = " ".join(draft.metric_script.explanation.split())
    manifest["tags"]["domain"] = draft.domain.strip().lower() or "unknown"
    keywords = [k.strip().lower() for k in draft.keywords if k.strip()][:5]
    manifest["tags"]["keywords"] = list(dict.fromkeys(["generated", *keywords]))
    manifest["provenance"] = {"origin": "generated", "by": f"benchsmith generators ({generator['name']})",
                              "generator": generator}  # fmt: skip
    # The Files/Submission/Metric sections stay the generator's own, so they always match the manifest.
    normative = task.description[task.description.find(FILES_HEADING) :] if FILES_HEADING in task.description else ""
    description = f"# {manifest['title']}\n\n{draft.overview.strip()}\n\n{normative}".rstrip() + "\n"
    if explanation:
        description += f"\n{explanation}\n"
    return LlmTaskDesign(id=task.id, manifest=manifest, description=description, solution=task.solution, files=files)


def write_scripts(task: TaskDesign, out: Path) -> None:
    """Write the Designer's scripts of `task` (if any) into `<out>/<id>/`, beside what `write_task` writes."""
    files = task.files if isinstance(task, LlmTaskDesign) else {}
    for name, text in files.items():
        path = out / task.id / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def import_problems(task: TaskDesign) -> list[str]:
    """The Designer's scripts' imports outside `ALLOWED_IMPORTS`, as problem lines (syntax errors are left to the
    static validators, which say where)."""
    lines = []
    for name, source in (task.files if isinstance(task, LlmTaskDesign) else {}).items():
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            if isinstance(node, ast.ImportFrom) and node.level:
                modules = ["(a relative import)"]
            for module in modules:
                if module.partition(".")[0] not in ALLOWED_IMPORTS:
                    lines.append(
                        f"refactor.script-import at {task.id}/{name}:{node.lineno}: `{module}` may not be imported; "
                        f"use only {', '.join(sorted(ALLOWED_IMPORTS - {'__future__'}))}"
                    )
    return lines


def _words(text: str) -> list[str]:
    """Lower-case words of `text`, camelCase and dotted names split (`Sepal.Length`, `gradeLevel`)."""
    return re.findall(r"[a-z0-9]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", text).lower())


def title_problems(task: TaskDesign, target: str) -> list[str]:
    """A title that does not name what is predicted (any word of the target column's name; a longer word may be
    inflected, `job` → `jobs`) is sent back: "The task to design" tells a participant nothing."""
    title = str(task.manifest.get("title", ""))
    wanted = _words(target)
    said = _words(title)
    if any(word in said or (len(word) >= 3 and any(w.startswith(word) for w in said)) for word in wanted):
        return []
    return [f"refactor.vague-title at title: {title!r} does not say what is predicted; name the target `{target}`"]


def static_problems(task: TaskDesign) -> list[str]:
    """The scripts' disallowed imports, then the task's loader and static-validator errors, as `code at field:
    message` lines (empty: none)."""
    from validators import validate_paths

    from .._verify import write_task

    with tempfile.TemporaryDirectory(prefix="benchsmith-refactor-") as scratch:
        path = write_task(task, Path(scratch))
        write_scripts(task, Path(scratch))
        report = validate_paths([path], layers=("static",))
    lines = import_problems(task)
    for entry in report.tasks:
        for problem in entry.problems:
            if problem.severity != "error":
                continue
            where = f" at {problem.path}" if problem.path else ""
            if not where and problem.file:  # a script's problem: its file and line say more than a field path
                where = f" at {Path(problem.file).name}{f':{problem.line}' if problem.line else ''}"
            lines.append(f"{problem.code}{where}: {problem.message}")
    return lines
