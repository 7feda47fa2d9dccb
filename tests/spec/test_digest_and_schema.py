"""The content digest and the committed JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from spec import SCHEMA_PATH, generate_schema, iter_manifests, load_task, schema_is_current, task_digest
from tests.conftest import PENGUINS, REPO, replace_in


def test_committed_schema_is_current() -> None:
    assert schema_is_current(), "spec/task.schema.json is stale: run `nox -s schema`"


def test_every_catalogue_manifest_passes_plain_jsonschema() -> None:
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    manifests = list(iter_manifests(REPO / "tasks"))
    assert manifests
    for path in manifests:
        task = load_task(path)
        assert task.manifest is not None, task.problems
        jsonschema.validate(task.document.data, schema)


def test_schema_rejects_unknown_keys_but_allows_extensions() -> None:
    schema = generate_schema()
    data = load_task(PENGUINS).document.data
    jsonschema.validate({**data, "x-anything": {"a": 1}}, schema)
    try:
        jsonschema.validate({**data, "surprise": 1}, schema)
    except jsonschema.ValidationError:
        pass
    else:
        raise AssertionError("an unknown key passed the schema")


def test_every_schema_property_has_a_description() -> None:
    schema = generate_schema()
    undocumented = []
    for name, definition in schema["$defs"].items():
        for field, body in definition.get("properties", {}).items():
            if "description" not in body:
                undocumented.append(f"{name}.{field}")
    assert undocumented == []


def test_digest_covers_manifest_task_files_and_nothing_else(catalogue: Path) -> None:
    manifest = catalogue / "curated" / "breast-cancer-diagnosis.yaml"
    task = load_task(manifest)
    first = task_digest(manifest, task.manifest)
    assert first == task_digest(manifest, task.manifest), "digest is not deterministic"
    cache = manifest.with_suffix("") / "__pycache__"
    cache.mkdir()
    (cache / "prepare.cpython-311.pyc").write_bytes(b"junk")
    assert task_digest(manifest, task.manifest) == first, "byte-code caches must not change the digest"
    replace_in(manifest.with_suffix("") / "prepare.py", "random_state=0", "random_state=1")
    second = task_digest(manifest, task.manifest)
    assert second != first
    (manifest.with_suffix("") / "notes.txt").write_text("new file")
    third = task_digest(manifest, task.manifest)
    assert third not in (first, second)
    replace_in(manifest, "title: Breast", "title:  Breast")
    assert task_digest(manifest, task.manifest) != third
