"""Read a model's reply as one JSON object validated by a pydantic model; anything else is a ReplyError."""

from __future__ import annotations

import json
import re
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from runner import BenchsmithError

_M = TypeVar("_M", bound=BaseModel)
_FENCE = re.compile(r"```[ \t]*(?:json)?[ \t]*\n(.*?)```", re.DOTALL | re.IGNORECASE)
MAX_SHOWN = 300


class ReplyError(BenchsmithError, ValueError):
    """The reply is not one JSON object of the expected shape; the message says what is wrong, for a repair."""


def _candidates(text: str) -> list[str]:
    """Texts that may hold the JSON object: fenced blocks first, then the span from the first `{` to the last `}`."""
    found = [block.strip() for block in _FENCE.findall(text)]
    start, end = text.find("{"), text.rfind("}")
    if start != -1 and end > start:
        found.append(text[start : end + 1])
    return found


def _shown(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + " [...]"


def parse_reply(text: str, model: type[_M]) -> _M:
    """The JSON object in `text` as a `model`; raises ReplyError naming the JSON or schema error."""
    decoded: object = None
    for candidate in _candidates(text):
        try:
            # strict=False: raw newlines inside strings are let through, as llama.cpp's JSON grammar lets a model
            # write them (its string characters are anything but `"` and `\\`).
            decoded = json.loads(candidate, strict=False)
        except json.JSONDecodeError:
            continue
        break
    if not isinstance(decoded, dict):
        raise ReplyError(f"the reply is not a JSON object: {_shown(text) or '(empty)'}")
    try:
        return model.model_validate(decoded)
    except ValidationError as error:
        details = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or '(top)'}: {item['msg']}" for item in error.errors()[:5]
        )
        raise ReplyError(f"the JSON does not have the expected shape: {details}") from None
