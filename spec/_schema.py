"""The JSON Schema generated from the models, committed as spec/task.schema.json for editors and other tools."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ._manifest import MANIFEST_ADAPTER, SCHEMA_VERSION

SCHEMA_PATH = Path(__file__).resolve().parent / "task.schema.json"
SCHEMA_ID = "https://benchsmith.dev/schema/task-v1.json"


def generate_schema() -> dict[str, Any]:
    """The manifest's JSON Schema (draft 2020-12), derived from the pydantic models."""
    schema = MANIFEST_ADAPTER.json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": f"benchsmith task manifest (schema_version {SCHEMA_VERSION})",
        "description": "Generated from spec/ by `nox -s schema`; do not edit by hand.",
        **schema,
    }


def schema_text() -> str:
    """The schema exactly as committed: stable key order, two-space indent, final newline."""
    return json.dumps(generate_schema(), indent=2, ensure_ascii=False) + "\n"


def write_schema(path: Path = SCHEMA_PATH) -> bool:
    """Write the schema; True when the file changed."""
    text = schema_text()
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def schema_is_current(path: Path = SCHEMA_PATH) -> bool:
    """True when the committed schema matches the models."""
    return path.is_file() and path.read_text(encoding="utf-8") == schema_text()


def load_committed_schema(path: Path = SCHEMA_PATH) -> dict[str, Any]:
    """The committed schema file, parsed."""
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded
