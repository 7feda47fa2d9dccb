"""runner.llm against a real loopback HTTP server speaking the chat-completions protocol: settings resolution,
retries, immediate errors with the setting to fix, prices and budgets."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from runner.llm import (
    Budget,
    BudgetExceeded,
    ChatReply,
    CostMeter,
    Limits,
    ModelClient,
    ModelError,
    cost_usd,
    is_loopback,
    price_for,
    resolve_settings,
)

KEY_ENV = "BENCHSMITH_TEST_KEY"
KEY = "sk-test-not-a-real-key"
DIE = "die"
"""A script entry that makes the server drop the connection and shut down (a server killed mid-trial)."""


def completion(text: str, prompt_tokens: int = 10, completion_tokens: int = 5) -> dict[str, Any]:
    """A chat-completions response body."""
    return {
        "id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": "scripted",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }  # fmt: skip


def error(status: int, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"error": {"message": message, "type": "test", "code": None}}


@dataclass
class ScriptedServer:
    """Replays scripted (status, body) responses in order on 127.0.0.1 and records every request."""

    script: list[tuple[int, dict[str, Any]] | str]
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    models: list[str] | None = None
    """What GET /v1/models lists; None: the server does not implement it (404), as some do not."""

    def __post_init__(self) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                found = outer.models is not None and self.path.rstrip("/") == "/v1/models"
                listing = {"object": "list", "data": [{"id": name, "object": "model", "created": 0,
                                                      "owned_by": "test"} for name in outer.models or ()]}  # fmt: skip
                data = json.dumps(listing if found else {"error": {"message": "not found"}}).encode()
                self.send_response(200 if found else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                with outer._lock:
                    outer.requests.append({"path": self.path, **body})
                    outer.headers.append({k.lower(): v for k, v in self.headers.items()})
                    entry = outer.script.pop(0) if outer.script else error(400, "the script is exhausted")
                if entry == DIE:
                    self.close_connection = True
                    outer.server.socket.close()
                    threading.Thread(target=outer.server.shutdown, daemon=True).start()
                    return
                assert not isinstance(entry, str)
                status, payload = entry
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def serve() -> Iterator[Any]:
    servers: list[ScriptedServer] = []

    def start(*script: tuple[int, dict[str, Any]] | str) -> ScriptedServer:
        server = ScriptedServer(list(script))
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def client_for(base_url: str, model: str = "local-model", **kwargs: Any) -> ModelClient:
    settings = resolve_settings(
        {"model": model, "base_url": base_url, "api_key_env": KEY_ENV}, environ={}, cwd=Path("/nonexistent")
    )
    return ModelClient(settings, environ={KEY_ENV: KEY}, timeout_s=10, **kwargs)


# -- settings ------------------------------------------------------------------------------------------------------


def test_settings_resolve_flag_then_env_then_config_then_default(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.benchsmith]\nmodel = "config-model"\nbase_url = "http://config:1/v1"\napi_key_env = "CONFIG_KEY"\n'
    )
    env = {"BENCHSMITH_MODEL": "env-model", "OPENAI_BASE_URL": "http://env:1/v1"}
    settings = resolve_settings({"model": "flag-model", "base_url": None}, environ=env, cwd=tmp_path)
    assert (settings.model.value, settings.model.source) == ("flag-model", "flag --model")
    assert (settings.base_url.value, settings.base_url.source) == ("http://env:1/v1", "env OPENAI_BASE_URL")
    assert settings.api_key_env.value == "CONFIG_KEY"
    assert settings.api_key_env.source == f"config {tmp_path / 'pyproject.toml'} [tool.benchsmith]"

    settings = resolve_settings({}, environ={}, cwd=tmp_path)
    assert settings.model.value == "config-model" and settings.model.source.startswith("config ")

    (tmp_path / "benchsmith.toml").write_text('model = "file-model"\n')
    settings = resolve_settings({}, environ={}, cwd=tmp_path)
    assert (settings.model.value, settings.model.source) == ("file-model", f"config {tmp_path / 'benchsmith.toml'}")
    assert (settings.base_url.value, settings.base_url.source) == ("https://api.openai.com/v1", "default")

    settings = resolve_settings(None, environ={}, cwd=tmp_path / "empty")
    assert [(s.value, s.source) for s in (settings.model, settings.base_url, settings.api_key_env)] == [
        ("gpt-4o-mini", "default"), ("https://api.openai.com/v1", "default"), ("OPENAI_API_KEY", "default"),
    ]  # fmt: skip


def test_describe_never_shows_the_key() -> None:
    settings = resolve_settings({"api_key_env": KEY_ENV}, environ={}, cwd=Path("/nonexistent"))
    shown = json.dumps(settings.describe({KEY_ENV: KEY}))
    assert KEY not in shown and '"set"' in shown
    assert settings.describe({})["api_key"]["value"] == "missing"


# -- the client ----------------------------------------------------------------------------------------------------


def test_chat_returns_text_tokens_and_free_cost_on_loopback(serve: Any) -> None:
    server = serve((200, completion("hello", 12, 3)))
    reply = client_for(server.base_url).chat([{"role": "user", "content": "hi"}], temperature=0.5)
    assert reply == ChatReply("hello", 12, 3, 0.0)
    [request] = server.requests
    assert request["path"] == "/v1/chat/completions" and request["model"] == "local-model"
    assert request["messages"] == [{"role": "user", "content": "hi"}] and request["temperature"] == 0.5
    assert server.headers[0]["authorization"] == f"Bearer {KEY}"


def test_retries_429_and_500_with_backoff_then_succeeds(serve: Any) -> None:
    server = serve(error(429, "slow down"), error(500, "oops"), error(503, "busy"), (200, completion("ok")))
    sleeps: list[float] = []
    reply = client_for(server.base_url, sleep=sleeps.append, backoff_s=0.5).chat([{"role": "user", "content": "x"}])
    assert reply.text == "ok" and len(server.requests) == 4
    assert sleeps == [0.5, 1.0, 2.0]


def test_gives_up_after_four_tries(serve: Any) -> None:
    server = serve(*[error(500, "down")] * 5)
    with pytest.raises(ModelError, match="after 4 tries"):
        client_for(server.base_url, sleep=lambda _: None).chat([{"role": "user", "content": "x"}])
    assert len(server.requests) == 4


def test_401_fails_at_once_naming_the_key_variable(serve: Any) -> None:
    server = serve(error(401, "bad key"), (200, completion("never")))
    with pytest.raises(ModelError, match=f"set {KEY_ENV} .*--api-key-env") as raised:
        client_for(server.base_url).chat([{"role": "user", "content": "x"}])
    assert len(server.requests) == 1 and KEY not in str(raised.value)


def test_404_fails_at_once_naming_the_model(serve: Any) -> None:
    server = serve(error(404, "The model `nope` does not exist"), (200, completion("never")))
    with pytest.raises(ModelError, match=f"model nope unknown at {server.base_url}: fix --model"):
        client_for(server.base_url, model="nope").chat([{"role": "user", "content": "x"}])
    assert len(server.requests) == 1


def test_connection_refused_fails_at_once() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    sleeps: list[float] = []
    with pytest.raises(ModelError, match=f"server at {url} not reachable: start it or fix --base-url"):
        client_for(url, sleep=sleeps.append).chat([{"role": "user", "content": "x"}])
    assert sleeps == []


def test_missing_key_fails_before_any_request() -> None:
    settings = resolve_settings({"api_key_env": "NO_SUCH_KEY_VARIABLE"}, environ={}, cwd=Path("/nonexistent"))
    with pytest.raises(ModelError, match="set NO_SUCH_KEY_VARIABLE or --api-key-env"):
        ModelClient(settings, environ={})


# -- prices and budgets --------------------------------------------------------------------------------------------


def test_prices_loopback_free_unknown_none_known_priced(serve: Any) -> None:
    for url in ("http://127.0.0.1:8000/v1", "http://127.3.4.5/v1", "http://localhost:11434/v1", "http://[::1]:80/v1"):
        assert is_loopback(url) and cost_usd(url, "gpt-4o", 1_000_000, 1_000_000) == 0.0
    assert not is_loopback("https://api.openai.com/v1") and not is_loopback("http://10.0.0.1/v1")
    assert price_for("https://api.openai.com/v1", "no-such-model") is None
    assert cost_usd("https://example.org/v1", "gpt-4o", 10, 10) is None
    assert cost_usd("https://api.openai.com/v1", "gpt-4o-mini", 1_000_000, 1_000_000) == pytest.approx(0.75)
    # A local server that answers to a paid model's name is still free.
    server = serve((200, completion("x", 1000, 1000)))
    assert client_for(server.base_url, model="gpt-4o").chat([{"role": "user", "content": "x"}]).cost_usd == 0.0


def test_budget_limits_and_shared_meter() -> None:
    meter = CostMeter(limit_usd=1.0)
    now = [0.0]
    budget = Budget(Limits(max_steps=2, max_tokens=100, wall_time_s=60), meter, clock=lambda: now[0])
    budget.step()
    budget.record(ChatReply("", 10, 5, 0.25))
    budget.step()
    with pytest.raises(BudgetExceeded, match="max-steps 2"):
        budget.step()
    assert budget.usage.model_dump() == {"input_tokens": 10, "output_tokens": 5, "calls": 1, "cost_usd": 0.25}
    budget.record(ChatReply("", 0, 0, None))
    assert budget.usage.cost_usd is None and meter.unpriced_calls == 1

    other = Budget(Limits(wall_time_s=60), meter, clock=lambda: now[0])
    now[0] = 61.0
    with pytest.raises(BudgetExceeded, match="wall_time"):
        other.check()
    now[0] = 0.0
    other = Budget(Limits(), meter, clock=lambda: now[0])

    def spend() -> None:
        for _ in range(250):
            meter.add(0.001)

    threads = [threading.Thread(target=spend) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert meter.spent_usd == pytest.approx(1.25)
    with pytest.raises(BudgetExceeded, match="--max-cost"):
        other.check()
    tokens = Budget(Limits(max_tokens=10, max_cost_usd=0.1))
    tokens.record(ChatReply("", 8, 2, 0.0))
    with pytest.raises(BudgetExceeded, match="tokens"):
        tokens.check()
    unpriced = Budget(Limits(max_cost_usd=0.1))
    unpriced.check()
    unpriced.record(ChatReply("", 1, 1, None))
    with pytest.raises(BudgetExceeded, match="cannot be enforced"):
        unpriced.check()


def test_config_command_shows_values_and_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from runner.llm._cli import llm_app

    (tmp_path / "benchsmith.toml").write_text('[tool.benchsmith]\nbase_url = "http://127.0.0.1:9/v1"\n')
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BENCHSMITH_MODEL", "env-model")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("BENCHSMITH_API_KEY_ENV", raising=False)
    monkeypatch.setenv(KEY_ENV, KEY)
    completed = CliRunner().invoke(llm_app, ["config", "--api-key-env", KEY_ENV, "--json"])
    assert completed.exit_code == 0, completed.output
    shown = json.loads(completed.output)
    assert shown["model"] == {"value": "env-model", "source": "env BENCHSMITH_MODEL"}
    assert shown["base_url"] == {"value": "http://127.0.0.1:9/v1", "source": f"config {tmp_path / 'benchsmith.toml'}"}
    assert shown["api_key_env"] == {"value": KEY_ENV, "source": "flag --api-key-env"}
    assert shown["api_key"]["value"] == "set" and KEY not in completed.output
    assert shown["price_usd_per_mtok"]["value"] == "0 in / 0 out"
