"""The pipeline's prompt files and rubric: loading, `{{key}}` filling, and SHA-256 digests for provenance."""

from __future__ import annotations

import hashlib
import tomllib
from functools import cache
from importlib.resources import files

from pydantic import Field

from spec import StrictModel

PROMPTS = ("system", "brainstorm", "design", "design-scripts", "repair", "review")
RUBRIC_FILE = "rubric.toml"


class Criterion(StrictModel):
    """One criterion of the semantic-review rubric."""

    name: str = Field(pattern=r"^[a-z][a-z0-9-]*$", description="Short name; the rejection code is `review.<name>`.")
    question: str = Field(min_length=1, description="What the reviewing model is asked about the task.")


class Rubric(StrictModel):
    """The semantic-review rubric (`generators/llm/rubric.toml`)."""

    criterion: list[Criterion] = Field(min_length=1, description="The criteria, in the order they are asked.")


@cache
def prompt_text(name: str) -> str:
    """The prompt template `generators/llm/prompts/<name>.md`."""
    return files("generators.llm").joinpath("prompts", f"{name}.md").read_text(encoding="utf-8")


def render(name: str, **values: object) -> str:
    """Fill `{{key}}` placeholders of a prompt file (other braces, e.g. JSON examples, are left alone)."""
    text = prompt_text(name)
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", str(value))
    return text


@cache
def rubric_text() -> str:
    """The rubric file's text."""
    return files("generators.llm").joinpath(RUBRIC_FILE).read_text(encoding="utf-8")


def load_rubric() -> Rubric:
    """The rubric, validated."""
    return Rubric.model_validate(tomllib.loads(rubric_text()))


def prompt_digests() -> dict[str, str]:
    """SHA-256 of every prompt file and of the rubric, keyed by name: the provenance of a generated task."""
    digests = {name: hashlib.sha256(prompt_text(name).encode()).hexdigest() for name in PROMPTS}
    digests["rubric"] = hashlib.sha256(rubric_text().encode()).hexdigest()
    return digests
