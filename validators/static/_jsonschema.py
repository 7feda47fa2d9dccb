"""Manifests must also satisfy the committed JSON Schema, the contract editors and other tools read."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple

import jsonschema_rs

from spec import SCHEMA_PATH, LoadedTask, Problem, load_committed_schema

from .._registry import CheckContext, task_check

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator


class _Validator(NamedTuple):
    """The same schema twice: a compiled (Rust) validator that answers whether a manifest passes in a fraction of
    the time, and the schema for the reference one, whose first error becomes the problem's message when it does
    not (built then: importing `jsonschema` alone costs a tenth of a second)."""

    fast: jsonschema_rs.Validator
    schema: dict[str, Any]

    def reference(self) -> Draft202012Validator:
        from jsonschema import Draft202012Validator

        return Draft202012Validator(self.schema)


def _validator(schema: dict[str, Any]) -> _Validator:
    # Formats are annotations only in 2020-12, as the reference validator (given no format checker) treats them.
    return _Validator(jsonschema_rs.Draft202012Validator(schema, validate_formats=False), schema)


@cache
def _validators() -> dict[str, _Validator] | None:
    """One validator per kind, each over the committed schema's branch for that kind.

    The models already chose the kind, so trying every branch of the root `oneOf` would only repeat work: it
    doubled the time of static validation.
    """
    if not SCHEMA_PATH.is_file():
        return None
    schema: dict[str, Any] = load_committed_schema()
    mapping: dict[str, str] = schema.get("discriminator", {}).get("mapping", {})
    validators = {kind: _validator({**schema, "oneOf": [{"$ref": ref}]}) for kind, ref in mapping.items()}
    return validators or {"": _validator(schema)}


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
    if validator.fast.is_valid(task.document.data):
        return
    # One error is enough: the models accepted the manifest, so any mismatch means the committed schema is stale.
    error = next(iter(validator.reference().iter_errors(task.document.data)), None)
    if error is not None:
        field_path = tuple(error.absolute_path)
        yield task.problem(
            "jsonschema.mismatch",
            f"accepted by the models but not by {SCHEMA_PATH.name}: {error.message[:200]}; "
            "the committed schema is stale, run `nox -s schema`",
            field_path,
        )
