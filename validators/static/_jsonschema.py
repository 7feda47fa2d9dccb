"""Manifests must also satisfy the committed JSON Schema, the contract editors and other tools read."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator

from spec import SCHEMA_PATH, LoadedTask, Problem, load_committed_schema

from .._registry import CheckContext, task_check


@cache
def _validators() -> dict[str, Draft202012Validator] | None:
    """One validator per kind, each over the committed schema's branch for that kind.

    The models already chose the kind, so trying every branch of the root `oneOf` would only repeat work: it
    doubled the time of static validation.
    """
    if not SCHEMA_PATH.is_file():
        return None
    schema: dict[str, Any] = load_committed_schema()
    mapping: dict[str, str] = schema.get("discriminator", {}).get("mapping", {})
    whole = Draft202012Validator(schema)
    validators = {kind: Draft202012Validator({**schema, "oneOf": [{"$ref": ref}]}) for kind, ref in mapping.items()}
    return validators or {"": whole}


@task_check(
    "jsonschema",
    codes=("jsonschema.mismatch", "jsonschema.missing"),
    description="The manifest passes plain JSON Schema validation against spec/task.schema.json.",
)
def check_jsonschema(task: LoadedTask, context: CheckContext) -> Iterator[Problem]:
    validators = _validators()
    if validators is None:
        yield task.problem("jsonschema.missing", f"{SCHEMA_PATH} is missing; run `nox -s schema`")
        return
    kind = task.manifest.kind if task.manifest is not None else ""
    validator = validators.get(kind) or next(iter(validators.values()))
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
