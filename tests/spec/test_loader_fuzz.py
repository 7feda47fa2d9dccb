"""Property-based fuzzing of the manifest loader.

For any input, `parse_manifest` returns either a model and no problems, or no model and at least one error
problem located in the file (line and column, except for the refusals that are about the file as a whole),
and it never raises. Mutations of the curated penguins manifest check that each kind of mistake is reported
with its own code on the line of the mistake, and valid manifests round-trip through `model_dump`.

Loader bugs this fuzzing found are pinned by the regression tests at the end.
"""

from __future__ import annotations

import io
import math
import re
import string
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from ruamel.yaml import YAML

import spec
from spec import LoadedTask, format_field_path, parse_manifest
from spec._yaml import FieldPath

REPO = Path(__file__).resolve().parents[2]
PENGUINS_BYTES = (REPO / "tests" / "fixtures" / "tasks" / "curated" / "penguins-species.yaml").read_bytes()
MANIFEST = Path("tasks/fuzz/fuzzed-task.yaml")

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MUTATE = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

YAML_CODES = {
    "yaml.too-large", "yaml.not-utf8", "yaml.not-text", "yaml.too-deep", "yaml.syntax", "yaml.empty",
    "yaml.alias", "yaml.merge-key", "yaml.non-string-key", "yaml.duplicate-key", "yaml.unknown-tag", "yaml.bad-value",
}  # fmt: skip
SCHEMA_CODES = {
    "schema.missing-field", "schema.unknown-key", "schema.invalid-choice", "schema.invalid-format",
    "schema.invalid-value", "schema.ambiguous-variant", "schema.out-of-range", "schema.wrong-type",
    "schema.invalid",
}  # fmt: skip
# Refusals about the file as a whole carry no line: the size limit, and bracket nesting refused before parsing
# (the loader reports it as `yaml.too-deep`; nesting found while building the data is located).
WHOLE_FILE_CODES = {"yaml.too-large", "yaml.too-deep"}
# A NUL byte is reported on its line only.
LINE_ONLY_CODES = {"yaml.not-text"}
# Core tags whose values the loader constructs; other tags are refused (see the xfail tests for bad values).
CORE_TAG_NAMES = {"str", "int", "float", "bool", "null", "timestamp", "map", "seq"}
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
_ESCAPED = "\u2028\u2029\ufeff"  # line breaks to libyaml, and the byte order mark


def parse(raw: bytes) -> LoadedTask:
    return parse_manifest(MANIFEST, raw)


# --- the invariants every outcome must satisfy -------------------------------------------------------------


def check_outcome(task: LoadedTask, raw: bytes) -> None:
    """Model and no problems, or no model and only located error problems of known codes."""
    assert task.path == MANIFEST
    assert task.raw == raw
    if task.manifest is not None:
        assert task.problems == []
        return
    assert task.problems, "neither a model nor a problem"
    codes = [problem.code for problem in task.problems]
    if any(code.startswith("yaml.") for code in codes):
        # A YAML-level refusal stops the load: it is the one and only problem.
        assert len(codes) == 1, codes
        assert codes[0] in YAML_CODES | {"yaml.not-a-mapping"}, codes
    else:
        assert set(codes) <= SCHEMA_CODES, codes
    text = raw.decode("utf-8", errors="replace")
    # libyaml puts the end of a stream whose last line is unterminated at the start of the next line.
    last_line = len(_LINE_BREAK.findall(text)) + 1 + (not _LINE_BREAK.fullmatch(text[-1:]))
    for problem in task.problems:
        assert problem.severity == "error"
        assert problem.file == str(MANIFEST)
        if problem.line is None:
            assert problem.code in WHOLE_FILE_CODES, problem
            assert problem.column is None, problem
        else:
            assert 1 <= problem.line <= last_line, (problem, last_line)
            if problem.code in LINE_ONLY_CODES:
                assert problem.column is None, problem
            else:
                assert problem.column is not None, problem
                assert 1 <= problem.column <= len(raw) + 1, problem
        if problem.code == "yaml.too-large":
            assert problem.line is None
    check_schema_paths(task)


def check_schema_paths(task: LoadedTask) -> None:
    """A schema problem's path names data that is there, or a missing key of a mapping that is there.

    Its line is the line of that data (of the mapping, for a missing key).
    """
    present: dict[str, set[int]] = {}
    for field_path, (line, _column) in task.document.locations.items():
        present.setdefault(format_field_path(field_path), set()).add(line)
    for problem in task.problems:
        if not problem.code.startswith("schema."):
            continue
        path = problem.path or ""
        # Formatted paths can collide (`{"": {"kind": 1}}` and `{"kind": 1}` both give `kind`): any match will do.
        if problem.line in present.get(path, set()):
            continue
        assert problem.code == "schema.missing-field", (problem, sorted(present))
        parent, _dot, key = path.rpartition(".")
        assert key.isidentifier(), problem
        assert parent in present, (problem, sorted(present))
        assert problem.line in present[parent], problem


# --- a YAML writer that knows the line of every key and item -------------------------------------------------


def quote(text: str) -> str:
    """A double-quoted YAML scalar for any text without surrogates."""
    out = ['"']
    for char in text:
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif (0x20 <= code <= 0x7E or 0xA0 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD) and char not in _ESCAPED:
            out.append(char)
        elif code <= 0xFF:
            out.append(f"\\x{code:02x}")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def scalar_text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)
        if "e" in text and "." not in text:
            mantissa, exponent = text.split("e")
            text = f"{mantissa}.0e{exponent}"
        return text
    assert isinstance(value, str)
    return quote(value)


@dataclass
class Rendered:
    """Block-style YAML text for plain data, with the 1-based line of every key and list item."""

    lines: list[str] = field(default_factory=list)
    line_of: dict[FieldPath, int] = field(default_factory=dict)
    indent_of: dict[FieldPath, int] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"

    def raw(self) -> bytes:
        return self.text.encode("utf-8")


def _inline(value: Any) -> str | None:
    if isinstance(value, dict | list):
        return None if value else ("{}" if isinstance(value, dict) else "[]")
    return scalar_text(value)


def render(data: Any) -> Rendered:
    out = Rendered()
    inline = _inline(data)
    if inline is not None:
        out.lines.append(inline)
    else:
        _block(out, data, 0, ())
    return out


def _block(out: Rendered, value: dict[str, Any] | list[Any], indent: int, path: FieldPath) -> None:
    pad = " " * indent
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        item_path = (*path, key)
        inline = _inline(item)
        head = f"{pad}{quote(key)}:" if isinstance(key, str) else f"{pad}-"
        out.indent_of[item_path] = indent
        if inline is not None:
            out.line_of[item_path] = len(out.lines) + 1
            out.lines.append(f"{head} {inline}")
        else:
            out.lines.append(head)
            # A list item's node starts on the next line; a key is where the key is.
            out.line_of[item_path] = len(out.lines) + (0 if isinstance(key, str) else 1)
            _block(out, item, indent + 2, item_path)


# --- strategies ----------------------------------------------------------------------------------------------

MANIFEST_WORDS = [
    "schema_version", "id", "version", "kind", "title", "description", "tags", "license", "sources", "prepare",
    "submission", "metric", "leaderboard", "baselines", "environment", "resources", "provenance", "modality",
    "problem", "domain", "name", "dataset", "url", "file", "kaggle", "sha256", "split", "script", "entrypoint",
    "method", "target", "seed", "test_size", "id_column", "columns", "higher_is_better", "params", "path",
    "origin", "by", "cpus", "gpu", "competition", "research", "speedrun", "records", "x-note",
]  # fmt: skip

texts = st.text(max_size=20)
keys = st.one_of(st.sampled_from(MANIFEST_WORDS), texts)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False),
    texts,
    st.sampled_from(MANIFEST_WORDS),
)
plain_data = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=5)),
    max_leaves=25,
)
manifestish = st.dictionaries(keys, plain_data, min_size=1, max_size=12)

YAML_ALPHABET = string.ascii_lowercase[:6] + "0123456789" + " \t\n\r:-,.#&*!|>'\"%@`?~{}[]<=\\\ufeff\x85é"
yamlish_text = st.text(alphabet=YAML_ALPHABET, max_size=200)


@st.composite
def spliced_penguins(draw: st.DrawFn) -> bytes:
    """The penguins manifest with a few random byte-level edits."""
    raw = bytearray(PENGUINS_BYTES)
    for _ in range(draw(st.integers(1, 4))):
        start = draw(st.integers(0, len(raw)))
        end = draw(st.integers(start, min(len(raw), start + 12)))
        raw[start:end] = draw(st.binary(max_size=8) | st.text(alphabet=YAML_ALPHABET, max_size=8).map(str.encode))
    return bytes(raw)


def penguins_data() -> dict[str, Any]:
    data = parse(PENGUINS_BYTES).document.data
    assert isinstance(data, dict)
    return data


def get_at(data: Any, path: FieldPath) -> Any:
    for part in path:
        data = data[part]
    return data


def set_at(data: Any, path: FieldPath, value: Any) -> Any:
    """A copy of `data` with the value at `path` replaced."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(data, dict):
        assert isinstance(head, str)
        return {key: set_at(item, rest, value) if key == head else item for key, item in data.items()}
    assert isinstance(data, list) and isinstance(head, int)
    return [set_at(item, rest, value) if index == head else item for index, item in enumerate(data)]


def delete_at(data: Any, path: FieldPath) -> Any:
    parent = get_at(data, path[:-1])
    assert isinstance(parent, dict)
    return set_at(data, path[:-1], {key: item for key, item in parent.items() if key != path[-1]})


def all_paths(data: Any, path: FieldPath = ()) -> list[FieldPath]:
    found: list[FieldPath] = []
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else []
    for key, item in items:
        found.append((*path, key))
        found.extend(all_paths(item, (*path, key)))
    return found


PENGUINS = penguins_data()
PATHS = all_paths(PENGUINS)
KEY_PATHS = [path for path in PATHS if isinstance(path[-1], str)]
LEAF_PATHS = [path for path in PATHS if not isinstance(get_at(PENGUINS, path), dict | list)]
MAPPING_PATHS: list[FieldPath] = [(), *(path for path in PATHS if isinstance(get_at(PENGUINS, path), dict))]
MODELS = [item for item in vars(spec).values() if isinstance(item, type) and issubclass(item, BaseModel)]
FIELD_NAMES = {name for model in MODELS for name in model.model_fields} | set(MANIFEST_WORDS)
# Of penguins' keys: the ones whose absence is still a valid manifest, and the ones that select a variant.
OPTIONAL_KEYS = {
    ("prepare", "split", "test_size"), ("prepare", "split", "seed"), ("environment",), ("environment", "python"),
    ("environment", "packages"), ("resources",), ("resources", "cpus"), ("resources", "memory_gb"),
    ("resources", "gpu"), ("resources", "time_limit"), ("resources", "network"),
}  # fmt: skip
VARIANT_KEYS = {("sources", 0, "dataset"), ("prepare", "split"), ("metric", "name")}

unknown_keys = st.text(min_size=1, max_size=15).filter(lambda key: not key.startswith("x-") and key not in FIELD_NAMES)
containers = st.one_of(st.lists(scalars, max_size=3), st.dictionaries(texts, scalars, max_size=3))
tag_names = st.one_of(
    st.from_regex(r"![A-Za-z][A-Za-z0-9-]{0,10}", fullmatch=True),
    st.from_regex(r"!![a-z][a-z0-9/]{0,10}", fullmatch=True).filter(lambda tag: tag[2:] not in CORE_TAG_NAMES),
    st.from_regex(r"!<tag:example\.com,2024:[a-z]{1,8}>", fullmatch=True),
)


def expect_only(task: LoadedTask, code: str, path: FieldPath | None = None, line: int | None = None) -> None:
    assert task.manifest is None
    assert [problem.code for problem in task.problems] == [code], task.problems
    problem = task.problems[0]
    if path is not None:
        assert problem.path == (format_field_path(path) or None), problem
    if line is not None:
        assert problem.line == line, problem


def is_related(problem_path: str | None, path: FieldPath) -> bool:
    """True when a problem's path is a prefix of `path`, or lies under it."""
    text = problem_path or ""
    prefixes = {format_field_path(path[:end]) for end in range(len(path) + 1)}
    full = format_field_path(path)
    return text in prefixes or text.startswith((f"{full}.", f"{full}["))


# --- any input -----------------------------------------------------------------------------------------------


def test_penguins_is_valid() -> None:
    task = parse(PENGUINS_BYTES)
    assert task.problems == []
    assert task.manifest is not None
    assert render(PENGUINS).text != PENGUINS_BYTES.decode()  # the writer is really in play below


@FUZZ
@given(st.binary(max_size=300) | spliced_penguins())
def test_any_bytes(raw: bytes) -> None:
    check_outcome(parse(raw), raw)


@FUZZ
@given(st.text(max_size=200) | yamlish_text)
def test_any_text(text: str) -> None:
    raw = text.encode("utf-8")
    check_outcome(parse(raw), raw)


@FUZZ
@given(plain_data | manifestish)
def test_plain_data_reads_back_with_lines(data: Any) -> None:
    rendered = render(data)
    raw = rendered.raw()
    task = parse(raw)
    check_outcome(task, raw)
    document = task.document
    assert document.issues == []
    assert document.data == data
    assert set(document.locations) == {(), *rendered.line_of}
    for path, line in rendered.line_of.items():
        assert document.locations[path][0] == line, path
    if not isinstance(data, dict):
        expect_only(task, "yaml.not-a-mapping", (), 1)


@FUZZ
@given(manifestish, st.booleans())
def test_plain_data_through_ruamel_dump(data: dict[str, Any], flow: bool) -> None:
    dumper = YAML(typ="safe", pure=False)
    dumper.default_flow_style = flow
    buffer = io.StringIO()
    dumper.dump(data, buffer)
    raw = buffer.getvalue().encode("utf-8")
    task = parse(raw)
    check_outcome(task, raw)
    assert task.document.data == data
    assert all(problem.code.startswith("schema.") for problem in task.problems)


# --- mutations of the penguins manifest ----------------------------------------------------------------------


@MUTATE
@given(st.sampled_from(KEY_PATHS))
def test_deleted_key(path: FieldPath) -> None:
    rendered = render(delete_at(PENGUINS, path))
    task = parse(rendered.raw())
    check_outcome(task, rendered.raw())
    parent_line = rendered.line_of.get(path[:-1], 1)
    if path in OPTIONAL_KEYS:
        assert task.manifest is not None, task.problems
    elif path in VARIANT_KEYS:
        expect_only(task, "schema.ambiguous-variant", path[:-1], parent_line)
    else:
        expect_only(task, "schema.missing-field", path, parent_line)


@MUTATE
@given(st.sampled_from(LEAF_PATHS), containers)
def test_leaf_turned_into_a_container(path: FieldPath, value: list[Any] | dict[str, Any]) -> None:
    rendered = render(set_at(PENGUINS, path, value))
    task = parse(rendered.raw())
    check_outcome(task, rendered.raw())
    assert task.manifest is None
    assert {problem.path for problem in task.problems} == {format_field_path(path)}, task.problems
    assert {problem.line for problem in task.problems} == {rendered.line_of[path]}


@MUTATE
@given(st.sampled_from([path for path in PATHS if isinstance(get_at(PENGUINS, path), dict | list)]), scalars)
def test_container_turned_into_a_scalar(path: FieldPath, value: Any) -> None:
    rendered = render(set_at(PENGUINS, path, value))
    task = parse(rendered.raw())
    check_outcome(task, rendered.raw())
    assert task.manifest is None
    for problem in task.problems:
        assert problem.path == format_field_path(path), task.problems
        assert problem.line == rendered.line_of[path]


@MUTATE
@given(st.sampled_from(MAPPING_PATHS), unknown_keys, st.data())
def test_unknown_key(path: FieldPath, key: str, data: st.DataObject) -> None:
    value = data.draw(scalars | containers, label="value")
    mapping = get_at(PENGUINS, path)
    position = data.draw(st.integers(0, len(mapping)), label="position")
    items = list(mapping.items())
    items.insert(position, (key, value))
    rendered = render(set_at(PENGUINS, path, dict(items)))
    task = parse(rendered.raw())
    check_outcome(task, rendered.raw())
    expect_only(task, "schema.unknown-key", (*path, key), rendered.line_of[(*path, key)])
    assert repr(key) in task.problems[0].message


@MUTATE
@given(st.sampled_from(KEY_PATHS), st.sampled_from(["null", '"again"', "{}", "[1, 2]"]))
def test_duplicate_key(path: FieldPath, value: str) -> None:
    rendered = render(PENGUINS)
    line = rendered.line_of[path]
    indent = rendered.indent_of[path]
    # The copy goes first, so the original key, now on the next line, is the second occurrence.
    lines = [*rendered.lines[: line - 1], f"{' ' * indent}{quote(str(path[-1]))}: {value}", *rendered.lines[line - 1 :]]
    raw = ("\n".join(lines) + "\n").encode()
    task = parse(raw)
    check_outcome(task, raw)
    expect_only(task, "yaml.duplicate-key", None, line + 1)
    assert task.problems[0].column == indent + 1
    assert f"first given on line {line}" in task.problems[0].message


def _with_value(rendered: Rendered, path: FieldPath, make: Callable[[str], str]) -> list[str]:
    """The rendered lines with the inline value at `path` rewritten."""
    lines = list(rendered.lines)
    index = rendered.line_of[path] - 1
    head, _sep, value = lines[index].partition(": ") if isinstance(path[-1], str) else lines[index].partition("- ")
    lines[index] = f"{head}{_sep}{make(value)}"
    return lines


@MUTATE
@given(
    st.lists(st.sampled_from(LEAF_PATHS), min_size=2, max_size=2, unique=True),
    st.from_regex(r"[a-z0-9]{1,8}", fullmatch=True),
)
def test_alias(pair: list[FieldPath], anchor: str) -> None:
    rendered = render(PENGUINS)
    first, second = sorted(pair, key=rendered.line_of.__getitem__)
    assume(rendered.line_of[first] != rendered.line_of[second])
    anchored = Rendered(_with_value(rendered, first, lambda value: f"&{anchor} {value}"), rendered.line_of)
    lines = _with_value(anchored, second, lambda _value: f"*{anchor}")
    raw = ("\n".join(lines) + "\n").encode()
    task = parse(raw)
    check_outcome(task, raw)
    # An alias standing as a list item is reported at the list, which starts at its first item.
    where = second if isinstance(second[-1], str) else (*second[:-1], 0)
    expect_only(task, "yaml.alias", None, rendered.line_of[where])


def test_anchor_alone_is_fine() -> None:
    rendered = render(PENGUINS)
    lines = _with_value(rendered, ("title",), lambda value: f"&title {value}")
    task = parse(("\n".join(lines) + "\n").encode())
    assert task.problems == []


@MUTATE
@given(st.sampled_from(PATHS), tag_names)
def test_unknown_tag(path: FieldPath, tag: str) -> None:
    rendered = render(PENGUINS)
    lines = list(rendered.lines)
    index = rendered.line_of[path] - 1
    if isinstance(get_at(PENGUINS, path), dict | list):
        line = rendered.line_of[path] if isinstance(path[-1], str) else rendered.line_of[path] - 1
        lines[line - 1] += f" {tag}"  # `key: !tag` or `- !tag` above the block
    else:
        line = index + 1
        lines = _with_value(rendered, path, lambda value: f"{tag} {value}")
    raw = ("\n".join(lines) + "\n").encode()
    task = parse(raw)
    check_outcome(task, raw)
    expect_only(task, "yaml.unknown-tag", None, line)
    assert task.problems[0].column == lines[line - 1].rindex(tag) + 1
    assert tag.lstrip("!<").rstrip(">") in task.problems[0].message or tag.startswith("!!")


@MUTATE
@given(st.lists(st.tuples(st.sampled_from(LEAF_PATHS), scalars), min_size=1, max_size=3))
def test_random_leaf_values(swaps: list[tuple[FieldPath, Any]]) -> None:
    data = PENGUINS
    for path, value in swaps:
        data = set_at(data, path, value)
    rendered = render(data)
    task = parse(rendered.raw())
    check_outcome(task, rendered.raw())
    swapped = [path for path, _value in swaps]
    if task.manifest is None and ("kind",) not in swapped:
        for problem in task.problems:
            assert any(is_related(problem.path, path) for path in swapped), (problem, swapped)


# --- valid manifests round-trip ------------------------------------------------------------------------------

free_text = st.text(min_size=1, max_size=40)
VALID_LEAVES: dict[FieldPath, st.SearchStrategy[Any]] = {
    ("id",): st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True),
    ("version",): st.builds("{}.{}.{}".format, st.integers(0, 99), st.integers(0, 99), st.integers(0, 99)),
    ("kind",): st.sampled_from(["competition", "research"]),
    ("title",): free_text,
    ("description",): st.just("penguins-species/description.md"),
    ("license",): free_text,
    ("tags", "domain"): free_text,
    ("tags", "modality"): st.sampled_from(["tabular", "image", "text", "graph"]),
    ("prepare", "split", "target"): free_text,
    ("prepare", "split", "test_size"): st.floats(min_value=0, max_value=1, exclude_min=True, exclude_max=True),
    ("prepare", "split", "seed"): st.integers(min_value=0, max_value=2**70),
    ("submission", "columns", 0): free_text.filter(lambda text: text != "id"),
    ("metric", "higher_is_better"): st.booleans(),
    ("resources", "cpus"): st.floats(min_value=0, max_value=1024, exclude_min=True) | st.integers(1, 1024),
    ("resources", "memory_gb"): st.floats(min_value=0, max_value=4096, exclude_min=True),
    ("resources", "time_limit"): st.from_regex(r"\d{1,4}(?:\.\d{1,2})?[smh]", fullmatch=True),
    ("resources", "network"): st.booleans(),
    ("provenance", "by"): free_text,
}


@st.composite
def valid_manifests(draw: st.DrawFn) -> dict[str, Any]:
    data = PENGUINS
    chosen = draw(st.lists(st.sampled_from(sorted(VALID_LEAVES)), max_size=8, unique=True))
    for path in chosen:
        data = set_at(data, path, draw(VALID_LEAVES[path]))
    if draw(st.booleans()):
        data = set_at(data, ("tags",), {**data["tags"], "keywords": draw(st.lists(free_text, max_size=3))})
    if draw(st.booleans()):
        gpu = {"gpu": draw(st.sampled_from(["optional", "required"])), "gpu_count": draw(st.integers(1, 64))}
        data = set_at(data, ("resources",), {**data["resources"], **gpu})
    if draw(st.booleans()):
        baseline = {"score": draw(st.floats(allow_nan=False, allow_infinity=False)), "tolerance": draw(st.floats(0, 1))}
        data = {**data, "baselines": {draw(VALID_LEAVES[("id",)]): baseline}}
    return data


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_manifests(), st.sampled_from(["render", "ruamel-block", "ruamel-flow"]))
def test_valid_model_round_trips(data: dict[str, Any], writer: str) -> None:
    rendered = render(data)
    task = parse(rendered.raw())
    assert task.problems == []
    model = task.manifest
    assert model is not None
    dumped = model.model_dump(mode="json", exclude_none=True)
    if writer == "render":
        raw = render(dumped).raw()
    else:
        dumper = YAML(typ="safe", pure=False)
        dumper.default_flow_style = writer == "ruamel-flow"
        buffer = io.StringIO()
        dumper.dump(dumped, buffer)
        raw = buffer.getvalue().encode("utf-8")
    again = parse(raw)
    assert again.problems == []
    assert again.manifest == model
    assert again.manifest.model_dump(mode="json", exclude_none=True) == dumped


# --- located refusals, by example ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "code", "line"),
    [
        (b"a: 1\n" * 300_000, "yaml.too-large", None),
        (b"[" * 600, "yaml.too-deep", None),
        (b"a:\n" + b"".join(b" " * level + b"- \n" for level in range(1, 80)), "yaml.too-deep", 66),
        (b"id: x\n\xff\xfe", "yaml.not-utf8", 2),
        (b"id: x\n\x00", "yaml.not-text", 2),
        (b"", "yaml.empty", 1),
        (b"- 1\n", "yaml.not-a-mapping", 1),
        (b"a: 1\nb: [\n", "yaml.syntax", 3),
        (b"a: &x 1\nb: *x\n", "yaml.alias", 2),
        (b"a: {c: 1}\nb:\n  <<: {c: 2}\n", "yaml.merge-key", 3),
        (b"a: 1\n1: 2\n", "yaml.non-string-key", 2),
    ],
)
def test_refusal_examples(raw: bytes, code: str, line: int | None) -> None:
    task = parse(raw)
    check_outcome(task, raw)
    expect_only(task, code, None, line)


# --- regressions found by fuzzing ---


def test_bool_tag_with_bad_value_is_a_problem() -> None:
    raw = b"a: !!bool foo\n"
    check_outcome(parse(raw), raw)


@pytest.mark.parametrize("raw", [b"a: !!int abc\n", b"a: !!float abc\n", b"a: !!int 0x\n", b"a: " + b"1" * 4301])
def test_bad_core_scalar_is_located(raw: bytes) -> None:
    task = parse(raw)
    check_outcome(task, raw)
    assert task.problems[0].line == 1


def test_control_character_is_located() -> None:
    raw = b"a: 1\nb: x\x01y\n"
    task = parse(raw)
    assert [(problem.code, problem.line, problem.column) for problem in task.problems] == [("yaml.syntax", 2, 5)]


def test_deep_block_nesting_does_not_crash() -> None:
    code = "from pathlib import Path\nfrom spec import parse_manifest\nparse_manifest(Path('x.yaml'), b'- ' * 40000)\n"
    completed = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.returncode


def test_dict_key_error_path_names_the_key() -> None:
    raw = PENGUINS_BYTES + b"baselines:\n  Bad Key: {score: 1}\n"
    task = parse(raw)
    assert [(problem.code, problem.path) for problem in task.problems] == [
        ("schema.invalid-format", "baselines.Bad Key")
    ]


def test_extension_keys_round_trip() -> None:
    model = parse(PENGUINS_BYTES + b"x-note: kept\n").manifest
    assert model is not None and model.extensions == {"x-note": "kept"}
    dumped = model.model_dump(mode="json", exclude_none=True)
    assert parse(render(dumped).raw()).manifest == model
