"""public/ holds what the description promises and a valid sample submission; private/ holds the answers."""

from __future__ import annotations

import re
from collections.abc import Iterator

from spec import LoadedTask, Problem

from .._registry import CheckContext, task_check

# File names a description promises, written as `name.ext` in backticks.
_PROMISED = re.compile(r"`([A-Za-z0-9_.-]+\.(?:csv|parquet|json|jsonl|txt|npy|npz|zip|png|wav|tsv))`")


@task_check(
    "layout",
    layer="execute",
    codes=("layout.promised-file-missing", "layout.no-sample-submission", "layout.sample-invalid"),
    description="Files the description promises exist in public/; the sample submission exists and is valid.",
)
def check_layout(task: LoadedTask, context: CheckContext) -> Iterator[Problem]:
    from runner.preparation import SAMPLE_FILE, PreparationError

    from ._kit import kit_for

    kit = kit_for(task, context)
    if isinstance(kit, PreparationError):
        return
    public = kit.prepared.public
    description = task.path.parent / kit.manifest.description
    try:
        promised = set(_PROMISED.findall(description.read_text(encoding="utf-8")))
    except OSError:
        promised = set()
    present = {path.name for path in public.rglob("*") if path.is_file()}
    promised.discard(kit.manifest.submission.file if kit.manifest.submission else "submission.csv")
    for name in sorted(promised - present):
        yield task.problem(
            "layout.promised-file-missing",
            f"the description promises `{name}` but preparation wrote no such file to public/ "
            f"(it has: {', '.join(sorted(present)) or 'nothing'})",
            ("description",),
        )
    sample = kit.sample()
    if sample is None:
        yield task.problem("layout.no-sample-submission", f"public/{SAMPLE_FILE} is missing", ("prepare",))
        return
    outcome = kit.score(sample)
    if isinstance(outcome, str):
        yield task.problem("layout.sample-invalid", f"the sample submission is not valid: {outcome}", ("prepare",))
