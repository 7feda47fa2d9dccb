"""Safe YAML reading that keeps where every value came from.

The document is composed by libyaml (ruamel's C parser) and turned into plain data here, so one pass gives
both the data and the line of every key and item; nothing is re-parsed to locate an error. Only plain data
survives: aliases, merge keys, duplicate keys and tags other than YAML's core ones are refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.cyaml import CSafeLoader
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

FieldPath = tuple[str | int, ...]
MAX_BYTES = 1024 * 1024
MAX_DEPTH = 64
_PRESCAN_DEPTH = 512
_BRACKETS = re.compile(r"[\[\]{}]")
_COMPACT_INDICATORS = re.compile(r"(?:[-?:][ \t]+){" + str(_PRESCAN_DEPTH) + "}")
_CORE = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_CORE}{name}" for name in ("str", "int", "float", "bool", "null", "timestamp")}
_MAP, _SEQ, _STR, _MERGE, _TIMESTAMP = (f"{_CORE}{name}" for name in ("map", "seq", "str", "merge", "timestamp"))
_ALIAS_MESSAGE = "YAML aliases (*name) are not allowed in manifests; write the value out in full"


@dataclass(frozen=True)
class YamlIssue:
    """A reason the text is not acceptable YAML data, with its 1-based position."""

    code: str
    message: str
    line: int | None = None
    column: int | None = None


@dataclass
class YamlDocument:
    """Plain data and the 1-based (line, column) of each key or item, by field path."""

    data: Any = None
    locations: dict[FieldPath, tuple[int, int]] = field(default_factory=dict)
    scalars: dict[FieldPath, str] = field(default_factory=dict)
    issues: list[YamlIssue] = field(default_factory=list)


class _Loader(CSafeLoader):
    """ruamel's C safe loader, one class for every call (`YAML.compose` builds a loader class per call)."""

    @property
    def processing_version(self) -> tuple[int, int]:
        # The resolver applies YAML 1.2's core rules; the constructor reads this to pick the same version's rules.
        return (1, 2)


class _Refused(Exception):
    def __init__(self, issue: YamlIssue) -> None:
        super().__init__(issue.message)
        self.issue = issue


def _tag(node: Node) -> str | None:
    """`node.tag`, which builds its text on every read (a percent-decoding loop per new tag): the resolver's
    tags are plain strings, read as they are."""
    ctag = node.ctag
    if ctag is not None and ctag.handle is None and isinstance(ctag.suffix, str) and "%" not in ctag.suffix:
        return ctag.suffix
    return node.tag


def _position(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _refuse(code: str, message: str, node: Node) -> _Refused:
    line, column = _position(node)
    return _Refused(YamlIssue(code, message, line, column))


class _Builder:
    def __init__(self, document: YamlDocument, constructor: SafeConstructor) -> None:
        self.document = document
        self.constructor = constructor
        self.seen: set[int] = set()

    def build(self, node: Node, path: FieldPath, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise _refuse("yaml.too-deep", f"nesting deeper than {MAX_DEPTH} levels", node)
        if id(node) in self.seen:
            line, column = self.document.locations.get(path, _position(node))
            raise _Refused(YamlIssue("yaml.alias", _ALIAS_MESSAGE, line, column))
        self.seen.add(id(node))
        if isinstance(node, MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, SequenceNode):
            if _tag(node) != _SEQ:
                raise self._unknown_tag(node)
            items = []
            locations = self.document.locations
            for index, item in enumerate(node.value):
                if id(item) in self.seen:
                    # An alias item carries its anchor's position; the list it stands in is the better place.
                    raise _refuse("yaml.alias", _ALIAS_MESSAGE, node)
                item_path = (*path, index)
                locations[item_path] = _position(item)
                items.append(self.build(item, item_path, depth + 1))
            return items
        return self._scalar(node, path)

    def _mapping(self, node: MappingNode, path: FieldPath, depth: int) -> dict[str, Any]:
        if _tag(node) != _MAP:
            raise self._unknown_tag(node)
        result: dict[str, Any] = {}
        locations = self.document.locations
        for key_node, value_node in node.value:
            key_tag = _tag(key_node)
            if key_tag == _MERGE:
                raise _refuse("yaml.merge-key", "merge keys (<<) are not allowed; write the keys out", key_node)
            if not isinstance(key_node, ScalarNode) or key_tag != _STR:
                raise _refuse(
                    "yaml.non-string-key",
                    "keys must be plain text; quote the key if it looks like a number",
                    key_node,
                )
            key = str(key_node.value)
            key_path = (*path, key)
            if key in result:
                first_line = locations[key_path][0]
                raise _refuse(
                    "yaml.duplicate-key",
                    f"duplicate key {key!r} (first given on line {first_line}); keep one of them",
                    key_node,
                )
            locations[key_path] = _position(key_node)
            result[key] = self.build(value_node, key_path, depth + 1)
        return result

    def _scalar(self, node: Node, path: FieldPath) -> Any:
        tag = _tag(node)
        if tag not in _SCALAR_TAGS:
            raise self._unknown_tag(node)
        text = str(node.value)
        self.document.scalars[path] = text
        if tag in (_STR, _TIMESTAMP):
            # Timestamps stay text so data round-trips through JSON; pydantic parses dates where a field wants one.
            return text
        try:
            # The scalar's own constructor, without `construct_object`'s bookkeeping for recursive nodes.
            return self.constructor.yaml_constructors[tag](self.constructor, node)
        except (KeyError, ValueError, TypeError, OverflowError, YAMLError):
            kind = tag.removeprefix(_CORE)
            shown = str(node.value)[:40]
            raise _refuse(
                "yaml.bad-value", f"{shown!r} cannot be read as {kind}; fix the value or quote it", node
            ) from None

    @staticmethod
    def _unknown_tag(node: Node) -> _Refused:
        return _refuse(
            "yaml.unknown-tag",
            f"tag {node.tag!r} is not allowed; manifests hold plain maps, lists, text, numbers, booleans and null",
            node,
        )


def _decode(raw: bytes) -> str | YamlIssue:
    if len(raw) > MAX_BYTES:
        return YamlIssue("yaml.too-large", f"file is {len(raw)} bytes; manifests are limited to {MAX_BYTES}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        return YamlIssue("yaml.not-utf8", "file is not UTF-8 text; save it as UTF-8", line, column)
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        return YamlIssue("yaml.not-text", "file contains NUL bytes; it is binary, not a YAML manifest", line)
    return text


def _compact_nesting_too_deep(text: str) -> bool:
    # Block collections nested on one line ("- - - ...") recurse in libyaml just like brackets do.
    return _COMPACT_INDICATORS.search(text) is not None


def _flow_nesting_too_deep(text: str) -> bool:
    # libyaml's composer recurses on the C stack and crashes the interpreter on tens of thousands of nested
    # brackets, so such text is refused before it is parsed. Brackets inside strings count too: the bound is
    # far above any real manifest, and MAX_DEPTH is enforced exactly after parsing.
    if text.count("[") + text.count("{") <= _PRESCAN_DEPTH:
        return False
    depth = 0
    for match in _BRACKETS.finditer(text):
        depth += 1 if match.group() in "[{" else -1
        if depth > _PRESCAN_DEPTH:
            return True
    return False


def _syntax_issue(error: Exception, text: str | None = None) -> YamlIssue:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    if isinstance(error, MarkedYAMLError):
        what = " ".join(part for part in (error.context, error.problem) if part)
    else:
        what = str(error).splitlines()[0] if str(error) else type(error).__name__
    line = mark.line + 1 if mark is not None else None
    column = mark.column + 1 if mark is not None else None
    position = getattr(error, "position", None)
    if line is None and isinstance(position, int) and text is not None:
        # The reader reports a character offset, not a mark: count lines up to it.
        line = text.count("\n", 0, position) + 1
        column = position - (text.rfind("\n", 0, position) + 1) + 1
    return YamlIssue("yaml.syntax", f"not valid YAML: {what}", line, column)


def read_yaml(raw: bytes) -> YamlDocument:
    """Parse manifest bytes into plain data with locations; never raises on bad input."""
    document = YamlDocument()
    text = _decode(raw)
    if isinstance(text, YamlIssue):
        document.issues.append(text)
        return document
    if _flow_nesting_too_deep(text) or _compact_nesting_too_deep(text):
        message = f"collections nested deeper than {_PRESCAN_DEPTH} levels ([, {{ or - on one line)"
        document.issues.append(YamlIssue("yaml.too-deep", message))
        return document
    # libyaml composes the nodes; the loader's resolver applies YAML 1.2's core rules, as `YAML(typ="safe")` does
    # (whose C path ignores `%YAML` directives too), without building a loader class per call.
    loader = _Loader(text)
    try:
        try:
            root = loader.get_single_node()
        except (YAMLError, ValueError) as error:
            document.issues.append(_syntax_issue(error, text))
            return document
        except RecursionError:
            document.issues.append(YamlIssue("yaml.too-deep", f"nesting deeper than {MAX_DEPTH} levels"))
            return document
        if root is None:
            document.issues.append(YamlIssue("yaml.empty", "file is empty; a manifest is a mapping of fields", 1, 1))
            return document
        document.locations[()] = _position(root)
        try:
            document.data = _Builder(document, loader).build(root, (), 0)
        except _Refused as refused:
            document.data = None
            document.issues.append(refused.issue)
        except (YAMLError, ValueError, OverflowError) as error:
            document.data = None
            document.issues.append(_syntax_issue(error))
        return document
    finally:
        loader.dispose()
