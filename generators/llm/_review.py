"""Semantic review: the model judges a designed task against the rubric in `rubric.toml`."""

from __future__ import annotations

from collections.abc import Collection

from pydantic import Field

from spec import StrictModel

from .._design import TaskDesign
from .._profile import TableProfile
from .._verify import dump_yaml
from ._brainstorm import columns_table
from ._chat import Chat
from ._designer import LlmTaskDesign
from ._prompts import Rubric, load_rubric, render
from ._reply import ReplyError, parse_reply
from ._schemas import review_schema


class CriterionVerdict(StrictModel):
    """The model's judgement on one criterion."""

    name: str = Field(description="The criterion's name, as in the rubric.")
    passed: bool = Field(description="True when the task clearly meets the criterion.")
    reason: str = Field(default="", description="One sentence of justification.")


class ReviewReply(StrictModel):
    """The reviewer's whole reply."""

    criteria: list[CriterionVerdict] = Field(description="One verdict per rubric criterion.")


class Review(StrictModel):
    """The outcome of the semantic review of one task."""

    passed: bool = Field(description="True when every criterion passed.")
    code: str | None = Field(default=None, description="`review.<criterion>` of the first failure, or "
                             "`review.malformed` / `review.incomplete` when the reply could not be used.")  # fmt: skip
    reason: str | None = Field(default=None, description="Why it failed.")
    verdicts: list[CriterionVerdict] = Field(default_factory=list, description="The model's verdicts.")


def _scripts(task: TaskDesign) -> str:
    files = task.files if isinstance(task, LlmTaskDesign) else {}
    return "\n\n".join(f"`{task.id}/{name}`:\n\n```python\n{text}```" for name, text in files.items()) or "none"


def review_prompt(task: TaskDesign, profile: TableProfile, rubric: Rubric) -> str:
    """The reviewer's prompt for one task. It opens with the table as the brainstorm and design prompts do, so a
    server that caches the previous prompt's prefix (llama.cpp) does not read the table again."""
    return render(
        "review",
        dataset=task.manifest["sources"][0]["dataset"],
        rows=profile.rows,
        manifest=dump_yaml(task.manifest).strip(),
        description=task.description.strip(),
        scripts=_scripts(task),
        columns=columns_table(profile),
        rubric="\n".join(f"- `{c.name}`: {c.question}" for c in rubric.criterion),
    )


def review(chat: Chat, task: TaskDesign, profile: TableProfile, rubric: Rubric | None = None,
           enforced: Collection[str] | None = None) -> Review:  # fmt: skip
    """Ask the model to judge `task` against the rubric; a task passes when every criterion of `enforced` (default:
    all) is judged passed. The verdicts on the others are kept in the review, rejecting nothing.

    A reply that is not JSON of the expected shape, or that leaves a criterion out, fails the review.
    """
    rubric = rubric or load_rubric()
    text = chat.ask(review_prompt(task, profile, rubric), ReviewReply, "review", review_schema(rubric))
    try:
        reply = parse_reply(text, ReviewReply)
    except ReplyError as error:
        return Review(passed=False, code="review.malformed", reason=str(error))
    by_name = {verdict.name: verdict for verdict in reply.criteria}
    missing = [c.name for c in rubric.criterion if c.name not in by_name]
    if missing:
        return Review(passed=False, code="review.incomplete", reason=f"no verdict on {', '.join(missing)}",
                      verdicts=reply.criteria)  # fmt: skip
    for criterion in rubric.criterion:
        verdict = by_name[criterion.name]
        if not verdict.passed and (enforced is None or criterion.name in enforced):
            reason = f"{criterion.name}: {verdict.reason or 'failed'}"
            return Review(passed=False, code=f"review.{criterion.name}", reason=reason, verdicts=reply.criteria)
    return Review(passed=True, verdicts=reply.criteria)
