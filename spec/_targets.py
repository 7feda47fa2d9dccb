"""Targets no reviewer would set: sensitive attributes, identifiers and experimental-design factors.

One list for everyone: the generators never choose such a column as a target, and the validators warn when a
hand-written task predicts one.
"""

from __future__ import annotations

import re
from typing import Literal

TargetConcern = Literal["sensitive", "identifier", "design"]

# Any word of the name: `sex`, `Gender`, `mother_race`, `ethnicity_code`, `female`.
SENSITIVE_WORDS = frozenset(
    {
        "sex", "gender", "male", "female", "race", "racial", "ethnicity", "ethnic", "ethnicgroup", "religion",
        "religious", "religiousness", "caste", "sexuality", "afam", "hispanic", "latino", "nonwhite", "nationality",
    }
)  # fmt: skip
PERSON_GROUP_WORDS = frozenset({"black", "white", "nwhite", "nonblack", "asian", "minority"})
"""Words that name a racial or ethnic group when the column sorts people into classes (`black` in the NSW job
training data), but a measurement when it is a number (`black` pepper's price): sensitive for class targets only,
and only alone or beside words about people or indicators (`IndWhiteDefendant`, not `white_wine` or `black_box`)."""
PERSON_GROUP_COMPANIONS = frozenset(
    {
        "ind", "is", "d", "dum", "dummy", "non", "race", "racial", "person", "respondent", "head", "spouse", "mother",
        "father", "parent", "child", "student", "patient", "worker", "employee", "defendant", "victim", "suspect",
        "driver", "officer", "applicant", "owner", "borrower", "voter", "resident", "member", "participant",
    }
)  # fmt: skip
SENSITIVE_NAMES = frozenset({"sexualorientation", "skincolor", "skincolour"})
"""Whole names (words joined) of sensitive attributes whose words alone are not (`skin` thickness is a measurement)."""
AGGREGATE_WORDS = frozenset({"ratio", "share", "percent", "pct", "prop", "proportion", "rate", "count", "gap"})
"""A sensitive word with one of these measures a population (`sex_ratio`), not a person: not a concern."""
# The whole name, or its last word (`subject_id`, `patientID`, `rownames`).
IDENTIFIER_NAMES = frozenset(
    {
        "id", "ids", "identifier", "rownames", "rowname", "row", "index", "obs", "observation", "record", "serial",
        "key", "uid", "uuid", "case", "caseid", "name", "names", "patient", "person", "household",
        "individual", "respondent", "family", "famid", "idno", "code",
    }
)  # fmt: skip
# The whole name (digits aside): what an experimenter assigns or groups by, not an outcome.
DESIGN_NAMES = frozenset(
    {
        "group", "grp", "groups", "trt", "treat", "treatment", "treatments", "tx", "rep", "reps", "replicate",
        "replication", "block", "blk", "blocks", "plot", "run", "batch", "arm", "condition", "cond", "cohort",
        "sample", "unit", "site", "panel", "wave", "round", "trial", "session", "order", "sequence", "seq",
        "dose", "variety", "cultivar", "strain", "litter", "pair", "set", "experiment", "subject", "subj",
        "subjects", "period",
    }
)  # fmt: skip


def _words(name: str) -> list[str]:
    """`motherRace_2` → [mother, race]; digits dropped, camelCase and punctuation split."""
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name)
    return [word for word in re.split(r"[^a-z]+", spaced.lower()) if word]


def target_concern(name: str, classes: bool = False) -> tuple[TargetConcern, str] | None:
    """Why a column called `name` should not be a prediction target, or None when nothing is wrong with it.

    Returns (`sensitive` | `identifier` | `design`, a reason to show). Judged on the name (and, for words like
    `black`, on whether the target is a class: `classes`), so it errs on the side of caution for generators and is
    only a warning for hand-written tasks.
    """
    words = _words(name)
    if not words:
        return None
    whole = "".join(words)
    about_people = classes and set(words) <= PERSON_GROUP_WORDS | PERSON_GROUP_COMPANIONS
    groups = PERSON_GROUP_WORDS if about_people else frozenset()
    sensitive = sorted(set(words) & (SENSITIVE_WORDS | groups)) or ([whole] if whole in SENSITIVE_NAMES else [])
    if sensitive and not set(words) & AGGREGATE_WORDS:
        return "sensitive", f"{name!r} names a sensitive attribute ({sensitive[0]}); predicting it is not a task"
    if whole in IDENTIFIER_NAMES or words[-1] in ("id", "ids", "idno", "uid", "uuid") or whole in ("rowid",):
        return "identifier", f"{name!r} names an identifier; it labels rows rather than measuring them"
    if whole in DESIGN_NAMES or "_".join(words) in DESIGN_NAMES:
        return "design", f"{name!r} names an experimental-design factor, assigned by the experimenter"
    return None


MODEL_OUTPUT_WORDS = frozenset({"fitted", "fit", "yhat", "predicted", "prediction", "pred", "forecast", "fcst"})
"""Words naming a model's output (`fitted`, `yhat`, `forecast`): a column another model computed, not a measurement."""
_BOUND = re.compile(r"(?:lo|hi|lwr|upr|lower|upper|lb|ub|lcl|ucl)(?:50|68|80|90|95|99)")
"""An interval bound with its confidence level in the word: `lo80`, `hi95`, `upr90`."""
_BOUND_WORDS = frozenset({"lo", "hi", "lwr", "upr", "lower", "upper", "lb", "ub", "lcl", "ucl"})
_LEVELS = frozenset({"50", "68", "80", "90", "95", "99"})


def derived_target(name: str) -> str | None:
    """Why a column called `name` is a model's output rather than an observation (a forecast, a fitted value or a
    forecast interval's bound: `p_lo80`, `f_hi95`, `lower_95`, `yhat`), or None.

    Predicting one asks a model to imitate another model's arithmetic, not to learn anything about the world.
    """
    parts = [part for part in re.split(r"[^a-z0-9]+", re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()) if part]
    for position, part in enumerate(parts):
        following = parts[position + 1] if position + 1 < len(parts) else ""
        if _BOUND.fullmatch(part) or (part in _BOUND_WORDS and following in _LEVELS):
            return f"{name!r} names a bound of a forecast or confidence interval, a model's output"
        if part in MODEL_OUTPUT_WORDS:
            return f"{name!r} names a model's fitted or forecast value, not an observation"
    return None
