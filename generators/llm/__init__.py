"""The LLM task generator (MLE-Smith style): each stage is a function with pydantic-validated outputs.

- `brainstorm`: the model proposes tasks; only proposals grounded in the profiled table survive;
- `design_prompt` / `refactor` / `static_problems`: the model drafts a design, which is normalised to the spec and
  checked by the static validators; problems go back to the model for a bounded number of repairs;
- the Designer may write a metric script (when no registered metric fits) or a prepare script (when a declarative
  split cannot express the preparation); they go into the task's folder and the validators judge them;
- `review`: the model judges the task against the rubric in `rubric.toml`; `calibrate` first has it review control
  tasks with known answers, and only the criteria it judged right on every control reject tasks;
- `brainstorm_schema` / `design_schema` / `review_schema`: reply schemas built per dataset for `--json-mode schema`
  (a grammar on llama.cpp's server): enums of the table's usable targets and columns, the registry's metrics that
  fit the target, the split methods and test shares the table allows, the rubric's criteria;
- execution: the no-LLM `verify` (reference score, static and execution validators, reference beats trivial).

`generate_llm` runs them over packaged datasets, resumably; prompts are files in `prompts/`, and their SHA-256
digests go into each accepted task's `provenance.generator`. Every model call is saved per dataset under
`<out>/.generation/conversations/` (`Transcript`), so a rejected task can be debugged.
"""

from ._brainstorm import (
    BrainstormReply,
    BrainstormResult,
    LlmProposal,
    ProposalRejection,
    Ungrounded,
    brainstorm,
    brainstorm_prompt,
    ground,
)
from ._calibration import BREAKERS, CALIBRATION_FILE, CONTROL_TASKS, ControlVerdict, ReviewCalibration, calibrate
from ._chat import Chat, JsonMode
from ._designer import (
    ALLOWED_IMPORTS,
    METRIC_FILE,
    PREPARE_FILE,
    DesignDraft,
    DraftSplit,
    LlmTaskDesign,
    MetricScriptDraft,
    design_prompt,
    refactor,
    repair_prompt,
    static_problems,
    title_problems,
    write_scripts,
)
from ._pipeline import (
    LLM_GENERATOR_NAME,
    LLM_GENERATOR_VERSION,
    STAGES,
    LlmGenerationReport,
    StageCount,
    generate_llm,
    generator_info,
    log_label,
)
from ._prompts import PROMPTS, Criterion, Rubric, load_rubric, prompt_digests, prompt_text, render
from ._reply import ReplyError, parse_reply
from ._review import CriterionVerdict, Review, ReviewReply, review, review_prompt
from ._schemas import brainstorm_schema, design_schema, fitting_metrics, review_schema, test_sizes, usable_candidates
from ._transcript import CONVERSATIONS_DIR, CallUsage, Exchange, Transcript, conversation_path, read_conversation

__all__ = [
    "ALLOWED_IMPORTS",
    "BREAKERS",
    "CALIBRATION_FILE",
    "CONTROL_TASKS",
    "CONVERSATIONS_DIR",
    "LLM_GENERATOR_NAME",
    "LLM_GENERATOR_VERSION",
    "METRIC_FILE",
    "PREPARE_FILE",
    "PROMPTS",
    "STAGES",
    "BrainstormReply",
    "BrainstormResult",
    "CallUsage",
    "Chat",
    "ControlVerdict",
    "Criterion",
    "CriterionVerdict",
    "DesignDraft",
    "DraftSplit",
    "Exchange",
    "JsonMode",
    "LlmGenerationReport",
    "LlmProposal",
    "LlmTaskDesign",
    "MetricScriptDraft",
    "ProposalRejection",
    "ReplyError",
    "Review",
    "ReviewCalibration",
    "ReviewReply",
    "Rubric",
    "StageCount",
    "Transcript",
    "Ungrounded",
    "brainstorm",
    "brainstorm_prompt",
    "brainstorm_schema",
    "calibrate",
    "conversation_path",
    "design_prompt",
    "design_schema",
    "fitting_metrics",
    "generate_llm",
    "generator_info",
    "ground",
    "load_rubric",
    "log_label",
    "parse_reply",
    "prompt_digests",
    "prompt_text",
    "read_conversation",
    "refactor",
    "render",
    "repair_prompt",
    "review",
    "review_prompt",
    "review_schema",
    "static_problems",
    "test_sizes",
    "title_problems",
    "usable_candidates",
    "write_scripts",
]
