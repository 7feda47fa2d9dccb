"""`--allow-model`: a command agent inside a real sandbox reaches a real loopback model server only through the
runner's proxy on a mounted unix socket; the key stays outside, usage is recorded, limits refuse, and the
network stays off."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from runner.llm import CostMeter, Limits, ModelAccess, ModelProxy, parse_limits, resolve_settings
from runner.results import TrialResult, iter_results
from runner.sandboxes import get_backend
from runner.trials import RunSettings, TrialRequest, run_trial
from spec import load_task
from tests.conftest import CURATED, REPO, RUNNER, require, require_bwrap
from tests.runner.test_llm_client import KEY, KEY_ENV, ScriptedServer, completion, error, free_port

MANIFEST = CURATED / "penguins-species.yaml"
MODEL = "served-model"

# The agent: stdlib only (the task's environment has no openai SDK). It reports what it saw as JSON lines.
AGENT = r"""
import json, os, socket, urllib.error, urllib.request
base = os.environ["OPENAI_BASE_URL"]
def call(path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, headers={
        "Authorization": "Bearer " + os.environ["OPENAI_API_KEY"], "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
ask = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
for _ in range(CALLS):
    status, body = call("/chat/completions", ask)
    print(json.dumps({"status": status, "body": body}))
print(json.dumps({"models": call("/models")[1]}))
try:
    socket.create_connection(("127.0.0.1", UPSTREAM_PORT), timeout=5).close()
    direct = "connected"
except OSError as error:
    direct = type(error).__name__
try:
    open(os.path.dirname(os.environ["BENCHSMITH_MODEL_SOCKET"]) + "/forward.py", "a").close()
    writable = True
except OSError:
    writable = False
key_seen = any("KEY_VALUE" in value for value in os.environ.values())
print(json.dumps({"direct": direct, "writable": writable, "key_seen": key_seen,
                  "api_key": os.environ["OPENAI_API_KEY"], "model_env": os.environ.get("OPENAI_MODEL")}))
"""


def agent_command(server: ScriptedServer, calls: int) -> str:
    port = server.server.server_address[1]
    script = AGENT.replace("CALLS", str(calls)).replace("UPSTREAM_PORT", str(port)).replace("KEY_VALUE", KEY)
    return f"python - <<'EOF'\n{script}\nEOF\ncp /data/sample_submission.csv \"$BENCHSMITH_SUBMISSION\""


def access(base_url: str, limits: Limits) -> ModelAccess:
    settings = resolve_settings({"model": MODEL, "base_url": base_url, "api_key_env": KEY_ENV}, environ={})
    return ModelAccess(settings, limits)


def reports(result: TrialResult, runs: Path) -> list[dict[str, Any]]:
    log = (runs / result.trial_id / "logs" / "agent.log").read_text()
    return [json.loads(line) for line in log.splitlines() if line.startswith("{")]


def trial(tmp_path: Path, backend: str, server: ScriptedServer, calls: int, limits: Limits) -> TrialResult:
    task = load_task(MANIFEST)
    settings = RunSettings(runs_dir=tmp_path / "runs", backend=backend, cache_root=tmp_path / "cache")
    request = TrialRequest(task, "command", args=(agent_command(server, calls),), model=MODEL,
                           model_access=access(server.base_url, limits))  # fmt: skip
    return run_trial(request, settings)


@pytest.fixture
def upstream() -> Iterator[Callable[..., ScriptedServer]]:
    """Start scripted loopback model servers; all are stopped after the test."""
    servers: list[ScriptedServer] = []

    def start(*script: tuple[int, dict[str, Any]] | str) -> ScriptedServer:
        servers.append(ScriptedServer(list(script)))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def key_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, KEY)


def check_trial(tmp_path: Path, result: TrialResult, server: ScriptedServer) -> None:
    assert result.status == "ok", result.reason
    seen = reports(result, tmp_path / "runs")
    first, second, refused, models, final = seen
    assert first["status"] == 200 and first["body"]["choices"][0]["message"]["content"] == "one"
    assert second["status"] == 200 and second["body"]["choices"][0]["message"]["content"] == "two"
    assert refused["status"] == 429 and refused["body"]["error"]["code"] == "insufficient_quota"
    assert "2 steps reached" in refused["body"]["error"]["message"]
    assert [entry["id"] for entry in models["models"]["data"]] == [MODEL]
    assert final["direct"] != "connected" and final["key_seen"] is False and final["writable"] is False
    assert final["api_key"] != KEY and final["model_env"] == MODEL
    # The upstream saw the real key and the configured model, twice: the refused call never left the runner.
    assert [headers["authorization"] for headers in server.headers] == [f"Bearer {KEY}"] * 2
    assert [request["model"] for request in server.requests] == [MODEL] * 2
    assert result.usage.calls == 2 and result.usage.input_tokens == 10 + 7 and result.usage.output_tokens == 5 + 3
    assert result.usage.cost_usd == 0.0  # loopback
    on_disk = json.loads((tmp_path / "runs" / result.trial_id / "result.json").read_text())
    assert on_disk["usage"]["input_tokens"] == 17 and on_disk["model"] == MODEL


@pytest.mark.usefixtures("key_set")
def test_command_agent_in_the_local_sandbox_reaches_only_the_proxy(tmp_path: Path, upstream: Any) -> None:
    require_bwrap()
    server = upstream((200, completion("one")), (200, completion("two", 7, 3)))
    check_trial(tmp_path, trial(tmp_path, "local", server, 3, Limits(max_steps=2)), server)


@pytest.mark.slow
@pytest.mark.usefixtures("key_set")
def test_command_agent_in_a_docker_sandbox_reaches_only_the_proxy(tmp_path: Path, upstream: Any) -> None:
    require(get_backend("docker").availability(), ".ci/run installs docker.io and starts dockerd")
    server = upstream((200, completion("one")), (200, completion("two", 7, 3)))
    check_trial(tmp_path, trial(tmp_path, "docker", server, 3, Limits(max_steps=2)), server)


def test_missing_key_is_an_infra_error_naming_the_variable(
    tmp_path: Path, upstream: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_bwrap()
    server = upstream()
    monkeypatch.delenv(KEY_ENV, raising=False)
    result = trial(tmp_path, "local", server, 1, Limits())
    assert result.status == "infra_error" and KEY_ENV in (result.reason or "") and not server.requests


def forward(proxy: ModelProxy, code: str) -> subprocess.CompletedProcess[str]:
    """Run `code` under the forwarder, on the host: the proxy's HTTP side without a sandbox around it."""
    env = {**os.environ, "BENCHSMITH_MODEL_SOCKET": str(proxy.socket)}
    env.pop(KEY_ENV, None)
    command = [sys.executable, str(proxy.folder / "forward.py"), "--model", MODEL, "--", sys.executable, "-c", code]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)


OPENAI_AGENT = """
import openai
client = openai.OpenAI(max_retries=0)
try:
    reply = client.chat.completions.create(model="x", messages=[{"role": "user", "content": "hi"}], stream=STREAM)
    if STREAM:
        print("".join(chunk.choices[0].delta.content or "" for chunk in reply))
    else:
        print(reply.choices[0].message.content)
except openai.RateLimitError as error:
    print("refused", error.code)
"""


def test_openai_sdk_through_the_forwarder_and_the_batch_meter(upstream: Any) -> None:
    server = upstream((200, completion("hello", 4, 2)))
    meter = CostMeter(limit_usd=None)
    with ModelProxy(access(server.base_url, Limits()), meter, environ={KEY_ENV: KEY}) as proxy:
        done = forward(proxy, OPENAI_AGENT.replace("STREAM", "False"))
        assert done.returncode == 0 and done.stdout.strip() == "hello", done.stderr
        assert proxy.usage.calls == 1 and proxy.usage.input_tokens == 4
        meter.limit_usd = 0.0  # the batch has spent its --max-cost
        done = forward(proxy, OPENAI_AGENT.replace("STREAM", "False"))
        assert done.stdout.strip() == "refused insufficient_quota", done.stderr
    assert len(server.requests) == 1 and not proxy.socket.exists()


def test_streamed_replies_are_counted_and_the_unasked_usage_chunk_dropped(tmp_path: Path) -> None:
    chunks: list[dict[str, Any]] = [{"choices": [{"index": 0, "delta": {"content": part}}]} for part in ("hel", "lo")]
    chunks.append({"choices": [], "usage": {"prompt_tokens": 6, "completion_tokens": 2, "total_tokens": 8}})
    body = "".join(f"data: {json.dumps(chunk)}\n\n" for chunk in chunks) + "data: [DONE]\n\n"
    server = StreamServer(body)
    try:
        with ModelProxy(access(server.base_url, Limits(max_tokens=8)), environ={KEY_ENV: KEY}) as proxy:
            done = forward(proxy, OPENAI_AGENT.replace("STREAM", "True"))
            assert done.returncode == 0 and done.stdout.strip() == "hello", done.stderr
            assert proxy.usage.input_tokens == 6 and proxy.usage.output_tokens == 2
            assert server.asked["stream_options"] == {"include_usage": True}
            done = forward(proxy, OPENAI_AGENT.replace("STREAM", "True"))
            assert done.stdout.strip() == "refused insufficient_quota"  # 8 tokens reached max_tokens 8
    finally:
        server.close()


RAW_CALL = """
import json, os, urllib.error, urllib.request
url = os.environ["OPENAI_BASE_URL"] + "/chat/completions"
request = urllib.request.Request(url, data=b'{"messages": []}', headers={"Content-Type": "application/json"})
try:
    urllib.request.urlopen(request, timeout=30)
except urllib.error.HTTPError as error:
    print(error.code, json.loads(error.read())["error"]["code"])
"""


def test_a_refused_key_and_a_dead_server_say_what_to_fix(upstream: Any) -> None:
    server = upstream(error(401, "invalid api key"))
    with ModelProxy(access(server.base_url, Limits()), environ={KEY_ENV: KEY}) as proxy:
        assert forward(proxy, RAW_CALL).stdout.split() == ["401", "runner_key_refused"]
    dead = f"http://127.0.0.1:{free_port()}/v1"
    with ModelProxy(access(dead, Limits()), environ={KEY_ENV: KEY}) as proxy:
        assert forward(proxy, RAW_CALL).stdout.split() == ["502", "upstream_unreachable"]
        assert proxy.usage.calls == 0


class StreamServer:
    """A loopback endpoint that answers every chat completion with one fixed server-sent-event stream."""

    def __init__(self, body: str) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        outer = self
        self.asked: dict[str, Any] = {}

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                outer.asked = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                self.wfile.write(body.encode())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_limits_parse_and_name_the_bad_pair() -> None:
    assert parse_limits(["tokens=100", "cost=0.5", "wall_time=60"], max_calls=3) == Limits(3, 100, 0.5, 60.0)
    with pytest.raises(ValueError, match="KEY one of calls, tokens, cost, wall_time"):
        parse_limits(["steps=3"])
    with pytest.raises(ValueError, match="tokens must be a number"):
        parse_limits(["tokens=lots"])


def _exec(tmp_path: Path, *arguments: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [*RUNNER, "exec", str(MANIFEST), "--backend", "local", "--runs-dir", str(tmp_path / "runs"),
               "--cache-dir", str(tmp_path / "cache"), *arguments]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, cwd=REPO, env=env, timeout=300)


def test_runner_exec_allow_model_end_to_end(tmp_path: Path, upstream: Any) -> None:
    require_bwrap()
    server = upstream((200, completion("one")), (200, completion("two", 7, 3)))
    env = {**os.environ, KEY_ENV: KEY, "COLUMNS": "200"}
    done = _exec(tmp_path, "--agent", "command", "--agent-arg", agent_command(server, 3), "--allow-model",
                 "--model", MODEL, "--base-url", server.base_url, "--api-key-env", KEY_ENV, "--max-steps", "2",
                 env=env)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    [result] = [result for _, result in iter_results(tmp_path / "runs")]
    check_trial(tmp_path, result, server)


def test_allow_model_is_refused_for_agents_outside_the_sandbox(tmp_path: Path) -> None:
    done = _exec(tmp_path, "--agent", "sample", "--allow-model", env={**os.environ, "COLUMNS": "200"})
    assert done.returncode == 2 and "only for agents that run inside the sandbox" in done.stderr
    done = _exec(tmp_path, "--agent", "sample", "--model-limit", "tokens=5", env={**os.environ, "COLUMNS": "200"})
    assert done.returncode == 2 and "--model-limit" in done.stderr
