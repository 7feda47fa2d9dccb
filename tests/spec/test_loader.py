"""The loader turns any bytes into a model or located problems, with actionable messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from spec import CompetitionTask, load_task, parse_manifest
from tests.conftest import PENGUINS


def _codes(raw: bytes) -> list[tuple[str, int | None, str | None]]:
    task = parse_manifest(Path("m.yaml"), raw)
    return [(problem.code, problem.line, problem.path) for problem in task.problems]


def test_curated_manifest_loads() -> None:
    task = load_task(PENGUINS)
    assert task.problems == []
    assert isinstance(task.manifest, CompetitionTask)
    assert task.manifest.resources.time_limit_s == 1800
    assert task.task_dir == PENGUINS.parent / "penguins-species"


def test_unknown_key_suggests_the_close_one() -> None:
    raw = PENGUINS.read_bytes().replace(b"license:", b"licence:")
    task = parse_manifest(Path("m.yaml"), raw)
    unknown = [p for p in task.problems if p.code == "schema.unknown-key"]
    assert len(unknown) == 1
    assert unknown[0].line == 9 and unknown[0].column == 1 and unknown[0].path == "licence"
    assert "did you mean 'license'" in unknown[0].message
    assert ("schema.missing-field", 2, "license") in _codes(raw)


def test_nested_unknown_key_lists_allowed_keys() -> None:
    raw = PENGUINS.read_bytes().replace(b"seed: 0}", b"seed: 0, shuffle: true}")
    [problem] = parse_manifest(Path("m.yaml"), raw).problems
    assert problem.code == "schema.unknown-key"
    assert problem.path == "prepare.split.shuffle"
    assert problem.line == 14
    assert "test_size" in problem.message


def test_extension_keys_are_allowed_anywhere() -> None:
    raw = PENGUINS.read_bytes().replace(b"seed: 0}", b"seed: 0, x-note: kept}") + b"x-owner: team-a\n"
    task = parse_manifest(Path("m.yaml"), raw)
    assert task.problems == []
    assert task.manifest is not None
    assert task.manifest.extensions == {"x-owner": "team-a"}


def test_unquoted_version_number_gets_a_quoting_hint() -> None:
    raw = PENGUINS.read_bytes().replace(b'python: "3.11"', b"python: 3.10")
    [problem] = parse_manifest(Path("m.yaml"), raw).problems
    assert problem.code == "schema.wrong-type"
    assert problem.path == "environment.python"
    assert '"3.10"' in problem.message


def test_missing_and_invalid_kind() -> None:
    assert _codes(PENGUINS.read_bytes().replace(b"kind: competition\n", b"")) == [("schema.missing-field", 2, "kind")]
    assert _codes(PENGUINS.read_bytes().replace(b"kind: competition", b"kind: contest")) == [
        ("schema.invalid-choice", 5, "kind")
    ]


def test_cross_field_rule_gpu_count_needs_gpu() -> None:
    raw = PENGUINS.read_bytes().replace(b"gpu: none,", b"gpu: none, gpu_count: 2,")
    [problem] = parse_manifest(Path("m.yaml"), raw).problems
    assert problem.code == "schema.invalid-value"
    assert problem.path == "resources"
    assert "gpu_count" in problem.message and "optional or required" in problem.message


def test_source_needs_exactly_one_kind_and_url_needs_checksum() -> None:
    ambiguous = PENGUINS.read_bytes().replace(b"    dataset:", b"    kaggle: penguins\n    dataset:")
    assert [code for code, _, _ in _codes(ambiguous)] == ["schema.ambiguous-variant"]
    url = PENGUINS.read_bytes().replace(b"dataset: palmerpenguins:penguins", b"url: https://example.org/p.csv")
    assert _codes(url) == [("schema.missing-field", 11, "sources[0].sha256")]


@pytest.mark.parametrize(
    ("raw", "code", "line"),
    [
        (b"a: 1\na: 2\n", "yaml.duplicate-key", 2),
        (b"a: &x [1, 2]\nb: *x\n", "yaml.alias", 2),
        (b"a: !python/object:os.system ls\n", "yaml.unknown-tag", 1),
        (b"<<: {a: 1}\n", "yaml.merge-key", 1),
        (b"a: [1,\n", "yaml.syntax", 2),
        (b"", "yaml.empty", 1),
        (b"- just\n- a list\n", "yaml.not-a-mapping", 1),
        (b"plain text\n", "yaml.not-a-mapping", 1),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "yaml.not-utf8", 1),
        (b"a: 1\x00", "yaml.not-text", 1),
        (b"1: one\n", "yaml.non-string-key", 1),
    ],
)
def test_unsafe_or_broken_yaml_is_a_located_problem(raw: bytes, code: str, line: int) -> None:
    task = parse_manifest(Path("m.yaml"), raw)
    assert task.manifest is None
    assert [(p.code, p.line) for p in task.problems] == [(code, line)]
    assert all(p.file == "m.yaml" and p.severity == "error" for p in task.problems)


def test_alias_bomb_is_refused_quickly() -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    task = parse_manifest(Path("bomb.yaml"), "\n".join(lines).encode())
    assert [(p.code, p.line) for p in task.problems] == [("yaml.alias", 2)]


def test_deep_nesting_does_not_crash_the_interpreter() -> None:
    for raw in (b"[" * 100_000 + b"]" * 100_000, b"a: " + b"[" * 200 + b"]" * 200):
        [problem] = parse_manifest(Path("deep.yaml"), raw).problems
        assert problem.code == "yaml.too-deep"


def test_unreadable_file(tmp_path: Path) -> None:
    task = load_task(tmp_path / "absent.yaml")
    assert [p.code for p in task.problems] == ["file.unreadable"]
