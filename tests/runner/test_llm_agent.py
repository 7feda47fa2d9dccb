"""The llm agent end to end on the local backend, against a real loopback server replaying scripted replies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from runner.agents import AgentRefused, agent_names, get_agent
from runner.agents._llm import LlmOptions, extract_code, parse_score, prompt_digests
from runner.results import TrialResult
from runner.trials import RunSettings, TrialRequest, run_trial
from spec import load_task
from tests.conftest import PENGUINS, REPO, require_bwrap
from tests.runner.test_llm_client import DIE, KEY, KEY_ENV, ScriptedServer, completion

HEAD = """import os
import pandas as pd
from sklearn.model_selection import train_test_split

data = os.environ["BENCHSMITH_DATA"]
train = pd.read_csv(f"{data}/train.csv")
test = pd.read_csv(f"{data}/test.csv")
fit, held_out = train_test_split(train, test_size=0.2, random_state=0, stratify=train["species"])
"""
CRASH = HEAD + 'print(train["no_such_column"].mean())\n'


def constant(species: str) -> str:
    return (
        HEAD
        + f"""
print(f"VALIDATION_SCORE: {{(held_out['species'] == {species!r}).mean()}}")
pd.DataFrame({{"id": test["id"], "species": {species!r}}}).to_csv(os.environ["BENCHSMITH_SUBMISSION"], index=False)
"""
    )


FOREST = (
    HEAD
    + """from sklearn.ensemble import RandomForestClassifier

features = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
fill = train[features].median()
model = RandomForestClassifier(n_estimators=50, random_state=0).fit(fit[features].fillna(fill), fit["species"])
print(f"VALIDATION_SCORE: {model.score(held_out[features].fillna(fill), held_out['species'])}")
model.fit(train[features].fillna(fill), train["species"])
predicted = model.predict(test[features].fillna(fill))
pd.DataFrame({"id": test["id"], "species": predicted}).to_csv(os.environ["BENCHSMITH_SUBMISSION"], index=False)
"""
)


def reply(plan: str, code: str) -> tuple[int, dict[str, Any]]:
    return 200, completion(f"{plan}\n\n```python\n{code}```\n", 1000, 200)


@pytest.fixture(autouse=True)
def _needs_bwrap() -> None:
    require_bwrap()


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)


def _trial(tmp_path: Path, server: ScriptedServer, *args: str) -> tuple[TrialResult, Path]:
    task = load_task(PENGUINS)
    settings = RunSettings(runs_dir=tmp_path / "runs", backend="local", cache_root=tmp_path / "cache")
    arguments = (f"base_url={server.base_url}", f"api_key_env={KEY_ENV}", "run_timeout=120", *args)
    request = TrialRequest(task, "llm", args=arguments, model="local-model")
    result = run_trial(request, settings)
    return result, tmp_path / "runs" / result.trial_id


def _node(folder: Path, node_id: str) -> dict[str, Any]:
    record: dict[str, Any] = json.loads((folder / "logs" / "tree" / node_id / "node.json").read_text())
    return record


def test_tree_search_drafts_debugs_improves_and_submits_the_best(tmp_path: Path, key: None) -> None:
    server = ScriptedServer(
        [
            reply("Draft: read the data.", CRASH),
            reply("Fix: the column does not exist.", constant("Adelie")),
            reply("Another draft.", constant("Gentoo")),
            reply("Improve: a random forest on the measurements.", FOREST),
        ]
    )
    try:
        result, folder = _trial(tmp_path, server, "drafts=2", "debug=1", "improve=1")
    finally:
        server.close()
    assert result.status == "ok", result.reason
    assert result.model == "local-model" and result.agent == "llm"
    assert result.usage.calls == 4 and result.usage.input_tokens == 4000 and result.usage.output_tokens == 800
    assert result.usage.cost_usd == 0.0
    assert result.score is not None and result.score > 0.9

    nodes = {node_id: _node(folder, node_id) for node_id in ("node-000", "node-001", "node-002", "node-003")}
    assert [(n["kind"], n["parent"]) for n in nodes.values()] == [
        ("draft", None), ("debug", "node-000"), ("draft", None), ("improve", "node-001"),
    ]  # fmt: skip
    assert nodes["node-000"]["buggy"] and nodes["node-000"]["score"] is None
    assert "KeyError" in (folder / "logs" / "tree" / "node-000" / "output.txt").read_text()
    assert nodes["node-000"]["children"] == ["node-001"] and nodes["node-001"]["children"] == ["node-003"]
    scores = [nodes[n]["score"] for n in ("node-001", "node-002", "node-003")]
    assert scores[1] < scores[0] < scores[2]
    assert (folder / "logs" / "tree" / "node-003" / "solution.py").read_text() == FOREST
    assert (folder / "logs" / "best_node.txt").read_text().strip() == "node-003"

    # The debug prompt carried the crash's output; no prompt carried the key.
    debug_prompt = server.requests[1]["messages"][-1]["content"]
    assert "no_such_column" in debug_prompt and "KeyError" in debug_prompt and CRASH.strip() in debug_prompt
    assert "VALIDATION_SCORE" in server.requests[0]["messages"][0]["content"]
    assert all(KEY not in json.dumps(request) for request in server.requests)

    submitted = (folder / "submission.csv").read_bytes()
    assert submitted == (folder / "logs" / "tree" / "node-003" / "submission.csv").read_bytes()
    assert submitted != (folder / "logs" / "tree" / "node-001" / "submission.csv").read_bytes()

    provenance = json.loads((folder / "logs" / "llm.json").read_text())
    assert provenance["prompts_sha256"] == prompt_digests()
    assert provenance["settings"]["base_url"] == {"value": server.base_url, "source": "flag --base-url"}
    for path in folder.rglob("*"):
        if path.is_file():
            assert KEY.encode() not in path.read_bytes(), path


def test_server_killed_mid_trial_is_an_infra_error(tmp_path: Path, key: None) -> None:
    """The model going away is not the agent's loss: infra_error (retried, re-run on resume), usage kept."""
    server = ScriptedServer([reply("Draft.", constant("Adelie")), DIE])
    try:
        result, folder = _trial(tmp_path, server, "drafts=2", "improve=0")
    finally:
        server.server.server_close()
    assert result.status == "infra_error"
    assert "not reachable" in (result.reason or "") and server.base_url in (result.reason or "")
    assert result.usage.calls == 1
    assert (folder / "logs" / "tree" / "node-000" / "node.json").is_file()


def test_agent_registry_arguments_and_parsing() -> None:
    assert {"llm", "gpt"} <= set(agent_names()) and get_agent("gpt").name == "gpt"
    get_agent("llm").check(("drafts=3", "max_steps=5", "base_url=http://127.0.0.1:1/v1"), validation=False)
    with pytest.raises(AgentRefused, match="KEY=VALUE"):
        get_agent("llm").check(("nonsense",), validation=False)
    with pytest.raises(AgentRefused, match="must be a number"):
        LlmOptions.parse(("drafts=two",))
    assert LlmOptions.parse(("max-cost=0.5",)).max_cost == 0.5
    assert extract_code("plan\n```python\nprint(1)\n```\nand\n```\nx\n```") == "print(1)\n"
    assert extract_code("no code") is None
    assert parse_score("VALIDATION_SCORE: 0.5\nVALIDATION_SCORE: 1e-3\n") == 0.001
    assert parse_score("VALIDATION_SCORE: nan") is None


def _exec(tmp_path: Path, env: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    runner = [sys.executable, "-c", "from runner.cli import main; main()"]
    places = ["--runs-dir", str(tmp_path / "runs"), "--cache-dir", str(tmp_path / "cache")]
    command = [*runner, "exec", str(PENGUINS), "--backend", "local", *places, *arguments]
    return subprocess.run(command, capture_output=True, text=True, cwd=REPO, env=env, timeout=300)


def test_runner_exec_passes_the_llm_flags(tmp_path: Path) -> None:
    server = ScriptedServer([reply("A forest.", FOREST)])
    env = {**os.environ, "COLUMNS": "200", KEY_ENV: KEY}
    env.pop("BENCHSMITH_MODEL", None)
    env.pop("OPENAI_BASE_URL", None)
    try:
        completed = _exec(
            tmp_path, env, "--agent", "gpt", "--model", "local-model", "--base-url", server.base_url,
            "--api-key-env", KEY_ENV, "--max-steps", "1", "--max-cost", "5",
        )  # fmt: skip
    finally:
        server.close()
    assert completed.returncode == 0, completed.stderr
    assert KEY not in completed.stdout + completed.stderr
    assert "model: local-model (flag --model)" in completed.stderr
    [result_file] = (tmp_path / "runs").rglob("result.json")
    result = TrialResult.model_validate_json(result_file.read_text())
    assert result.status == "ok" and result.agent == "gpt" and result.model == "local-model"
    assert result.usage.calls == 1 and len(server.requests) == 1

    refused = _exec(tmp_path, env, "--agent", "sample", "--base-url", server.base_url)
    assert refused.returncode == 2 and "only for the llm and gpt agents" in refused.stderr
    missing = _exec(tmp_path, {**env, KEY_ENV: ""}, "--agent", "llm", "--api-key-env", KEY_ENV)
    assert missing.returncode == 2 and f"set {KEY_ENV} or --api-key-env" in missing.stderr


def test_without_model_the_trial_records_the_model_the_endpoint_serves(tmp_path: Path) -> None:
    """Only OPENAI_BASE_URL set (what `runner llm serve` says to export): the trial is labelled, recorded and logged
    with the model the server lists, not the built-in default; a --model it does not list is refused up front."""
    server = ScriptedServer([reply("A constant.", constant("Adelie"))], models=["served-model"])
    env = {**os.environ, "OPENAI_BASE_URL": server.base_url, KEY_ENV: KEY, "COLUMNS": "200"}
    env.pop("BENCHSMITH_MODEL", None)
    command = [sys.executable, "-c", "from runner.cli import main; main()", "exec", str(PENGUINS), "--agent", "llm",
               "--api-key-env", KEY_ENV, "--runs-dir", str(tmp_path / "runs"), "--cache-dir", str(tmp_path / "cache"),
               "--agent-arg", "drafts=1", "--agent-arg", "debug=0", "--agent-arg", "improve=0"]  # fmt: skip
    try:
        completed = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
        refused = subprocess.run([*command, "--model", "gpt-4o-mini"], capture_output=True, text=True, env=env,
                                 cwd=tmp_path, timeout=120)  # fmt: skip
    finally:
        server.close()
    assert completed.returncode == 0, completed.stdout + completed.stderr
    (result_file,) = (tmp_path / "runs").glob("*/*/seed-*/result.json")
    recorded = json.loads(result_file.read_text())
    assert recorded["status"] == "ok" and recorded["model"] == "served-model", recorded["reason"]
    assert recorded["agent_label"].startswith("llm-served-model")
    log = (result_file.parent / "logs" / "agent.log").read_text()
    assert f"[llm] model served-model at {server.base_url} (endpoint /models)" in log
    assert refused.returncode == 2 and not list((tmp_path / "runs").glob("*/llm-gpt-4o-mini*"))
    message = " ".join(refused.stderr.split())
    assert f"model gpt-4o-mini (flag --model) is not served by {server.base_url}, which serves served-model" in message
