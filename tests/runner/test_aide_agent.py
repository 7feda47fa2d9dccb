"""`--agent aide`: the real aideml, installed in the task's sandbox environment, searches inside a real sandbox and
reaches a real loopback model server only through the runner's proxy; its journal is kept and its usage recorded."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from runner.agents import AgentRefused, get_agent
from runner.results import iter_results
from runner.viewer import find_trial, load_trial
from tests.conftest import REPO, RUNNER, require_bwrap
from tests.runner.test_llm_client import KEY, KEY_ENV, ScriptedServer, completion

MANIFEST = REPO / "tasks" / "curated" / "penguins-species.yaml"
MODEL = "served-model"

# What a model would write at AIDE's draft step: a plan, then a script that trains on ./input and writes
# ./working/submission.csv, as AIDE's prompt asks.
DRAFT = """Predict the most frequent species.

```python
import pandas as pd
train = pd.read_csv("./input/train.csv")
test = pd.read_csv("./input/test.csv")
majority = train["species"].mode()[0]
print("Validation accuracy:", (train["species"] == majority).mean())
pd.DataFrame({"id": test["id"], "species": majority}).to_csv("./working/submission.csv", index=False)
```
"""


def review(metric: float) -> dict[str, Any]:
    """AIDE's feedback step: a `submit_review` tool call."""
    body = completion("", 30, 12)
    arguments = {"is_bug": False, "summary": "The majority class.", "metric": metric, "lower_is_better": False}
    body["choices"][0]["message"] = {"role": "assistant", "content": None, "tool_calls": [{
        "id": "call-1", "type": "function",
        "function": {"name": "submit_review", "arguments": json.dumps(arguments)}}]}  # fmt: skip
    body["choices"][0]["finish_reason"] = "tool_calls"
    return body


def test_aide_arguments_are_aide_settings() -> None:
    aide = get_agent("aide")
    aide.check(("agent.steps=3", "agent.search.num_drafts=2"), validation=False)
    with pytest.raises(AgentRefused, match="not KEY=VALUE"):
        aide.check(("steps",), validation=False)
    with pytest.raises(AgentRefused, match="set by benchsmith"):
        aide.check(("data_dir=/etc",), validation=False)
    assert any(package.startswith("aideml==") for package in aide.sandbox_packages_no_deps)


def test_runner_exec_aide_through_the_proxy(tmp_path: Path) -> None:
    require_bwrap()
    server = ScriptedServer([(200, completion(DRAFT, 400, 90)), (200, review(0.44))])
    try:
        done = subprocess.run(
            [*RUNNER, "exec", str(MANIFEST), "--agent", "aide", "--agent-arg", "agent.steps=1", "--allow-model",
             "--model", MODEL, "--base-url", server.base_url, "--api-key-env", KEY_ENV, "--max-steps", "5",
             "--backend", "local", "--runs-dir", str(tmp_path / "runs"), "--cache-dir", str(tmp_path / "cache")],
            capture_output=True, text=True, cwd=REPO, env={**os.environ, KEY_ENV: KEY, "COLUMNS": "200"}, timeout=600,
        )  # fmt: skip
    finally:
        server.close()
    assert done.returncode == 0, done.stdout + done.stderr
    [result] = [result for _, result in iter_results(tmp_path / "runs")]
    assert result.status == "ok", result.reason
    assert result.agent == "aide" and result.model == MODEL
    # Both of AIDE's calls went through the proxy, which counted them and forced the configured model.
    assert result.usage.calls == 2
    assert result.usage.input_tokens == 400 + 30 and result.usage.output_tokens == 90 + 12
    assert [request["model"] for request in server.requests] == [MODEL] * 2
    assert server.requests[1]["tools"][0]["function"]["name"] == "submit_review"
    # What AIDE submitted (the majority species) was graded, and its journal kept under logs/aide/.
    assert result.score is not None and 0 < result.score < 1
    trial = tmp_path / "runs" / result.trial_id
    journal = json.loads((trial / "logs" / "aide" / "journal.json").read_text())
    assert len(journal["nodes"]) == 1 and "majority" in journal["nodes"][0]["code"]
    assert (trial / "logs" / "aide" / "best_solution.py").is_file()
    # The viewer and `runner show` show the journal as the trial's solution tree.
    [node] = load_trial(find_trial(str(trial), None)).tree
    assert node.record["kind"] == "draft" and node.score == 0.44 and node.code is not None
    assert "majority" in node.code.text


def test_aide_without_allow_model_says_what_to_add(tmp_path: Path) -> None:
    require_bwrap()
    done = subprocess.run(
        [*RUNNER, "exec", str(MANIFEST), "--agent", "aide", "--backend", "local", "--runs-dir", str(tmp_path / "runs"),
         "--cache-dir", str(tmp_path / "cache"), "--retry-on-error", "0"],
        capture_output=True, text=True, cwd=REPO, timeout=600,
    )  # fmt: skip
    [result] = [result for _, result in iter_results(tmp_path / "runs")]
    assert result.status == "agent_error" and "--allow-model" in (result.reason or ""), done.stderr


def test_packages_without_dependencies_change_the_key_only_when_given() -> None:
    from runner.environments import EnvironmentSpec

    plain = EnvironmentSpec(("pandas",))
    assert EnvironmentSpec(("pandas",), ()).key == plain.key  # existing environments keep their folders
    with_aide = EnvironmentSpec(("pandas",), ("aideml==0.2.2",))
    assert with_aide.key != plain.key and with_aide.requirements == plain.requirements
