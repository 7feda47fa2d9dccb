"""Manifests must also satisfy the committed JSON Schema, the contract editors and other tools read."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from spec import SCHEMA_PATH, LoadedTask, Problem, load_committed_schema

from .._registry import CheckContext, task_check


@cache
def _validator() -> Draft202012Validator | None:
    if not SCHEMA_PATH.is_file():
        return None
    schema: dict[str, Any] = load_committed_schema()
    return Draft202012Validator(schema)


@task_check(
    "jsonschema",
    codes=("jsonschema.mismatch", "jsonschema.missing"),
    description="The manifest passes plain JSON Schema validation against spec/task.schema.json.",
)
def check_jsonschema(task: LoadedTask, context: CheckContext) -> Iterator[Problem]:
    validator = _validator()
    if validator is None:
        yield task.problem("jsonschema.missing", f"{SCHEMA_PATH} is missing; run `nox -s schema`")
        return
    # One error is enough: the models accepted the manifest, so any mismatch means the committed schema is stale.
    error = next(iter(validator.iter_errors(task.document.data)), None)
    if error is not None:
        field_path = tuple(error.absolute_path)
        yield task.problem(
            "jsonschema.mismatch",
            f"accepted by the models but not by {SCHEMA_PATH.name}: {error.message[:200]}; "
            "the committed schema is stale, run `nox -s schema`",
            field_path,
        )
