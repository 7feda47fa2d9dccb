"""The runner-side model proxy for agents that run inside the sandbox (`runner exec --allow-model`).

It serves HTTP on a unix socket in a fresh host folder that the sandbox backends mount read-only at
`/run/benchsmith` (the network stays off). `POST /v1/chat/completions` goes to the configured endpoint with the
real key injected (the sandbox only ever holds a dummy key) and the configured model forced, so the sandbox cannot
pick a pricier one; `GET /v1/models` lists that one model. Tokens and cost are counted per call from the
responses (streamed ones too, by asking the endpoint for the final usage chunk) with the prices of
`runner.llm`, and once a per-trial limit or the batch's `--max-cost` is reached every call is answered with
HTTP 429 `insufficient_quota` and `x-should-retry: false`, which the OpenAI SDKs take as final.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import socketserver
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from importlib.resources import files
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from runner.results import Usage

from ._budget import Budget, BudgetExceeded, CostMeter, Limits
from ._client import ChatReply, ModelError
from ._prices import cost_usd, is_loopback
from ._settings import ModelSettings

SOCKET_NAME = "model.sock"
FORWARDER_NAME = "forward.py"
MAX_BODY_BYTES = 64 * 1024**2
DEFAULT_TIMEOUT_S = 600.0
MAX_IN_FLIGHT = 4
"""Model calls one trial may have running at once (bounds how far calls in flight can overshoot a limit)."""
CLOSE_WAIT_S = 30.0
"""How long closing the proxy waits for calls still in flight, so their tokens are counted."""
LIMIT_KEYS = {"calls": "max_steps", "tokens": "max_tokens", "cost": "max_cost_usd", "wall_time": "wall_time_s"}
"""`--model-limit KEY=VALUE` keys and the Limits field each sets."""


@dataclass(frozen=True)
class ModelAccess:
    """What the proxy of one trial serves: the resolved settings (the key's variable, never the key) and limits."""

    settings: ModelSettings
    limits: Limits


def parse_limits(pairs: Sequence[str], max_calls: int | None = None) -> Limits:
    """Per-trial limits from `KEY=VALUE` pairs (calls, tokens, cost in USD, wall_time in seconds); ValueError says
    which pair is wrong. `max_calls` (`--max-steps`) is the default for `calls`."""
    values: dict[str, float | int | None] = {"max_steps": max_calls}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        field = LIMIT_KEYS.get(key.strip().replace("-", "_"))
        if not sep or field is None:
            raise ValueError(f"--model-limit {pair!r}: use KEY=VALUE with KEY one of {', '.join(LIMIT_KEYS)}")
        try:
            number = float(text) if field in ("max_cost_usd", "wall_time_s") else int(text)
        except ValueError:
            raise ValueError(f"--model-limit {pair!r}: {key} must be a number") from None
        if number < 0:
            raise ValueError(f"--model-limit {pair!r}: {key} must not be negative")
        values[field] = number
    return Limits(**values)  # type: ignore[arg-type]


def _error_body(message: str, kind: str, code: str) -> bytes:
    return json.dumps({"error": {"message": message, "type": kind, "param": None, "code": code}}).encode()


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    block_on_close = False
    proxy: ModelProxy


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "benchsmith-model-proxy"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the trial's usage is the record; a line per request would only fill stderr

    def address_string(self) -> str:
        return "sandbox"  # a unix-socket peer has no (host, port)

    def _reply(self, status: int, body: bytes, headers: Mapping[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        with contextlib.suppress(OSError):
            self.wfile.write(body)

    def _not_found(self) -> None:
        message = f"the benchsmith model proxy serves only /v1/chat/completions and /v1/models, not {self.path}"
        self._reply(404, _error_body(message, "invalid_request_error", "unknown_url"))

    def do_GET(self) -> None:
        if self.path.rstrip("/") != "/v1/models":
            return self._not_found()
        model = self.server.proxy.model
        listing = {"object": "list", "data": [{"id": model, "object": "model", "created": 0, "owned_by": "benchsmith"}]}
        self._reply(200, json.dumps(listing).encode())

    def do_POST(self) -> None:
        if self.path.rstrip("/") != "/v1/chat/completions":
            return self._not_found()
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 < length <= MAX_BODY_BYTES:
            return self._reply(400, _error_body("a JSON body is required", "invalid_request_error", "bad_body"))
        try:
            request = json.loads(self.rfile.read(length))
        except ValueError:
            return self._reply(400, _error_body("the body is not JSON", "invalid_request_error", "bad_body"))
        if not isinstance(request, dict):
            return self._reply(400, _error_body("the body is not a JSON object", "invalid_request_error", "bad_body"))
        self.server.proxy._forward(self, request)


class ModelProxy:
    """One trial's proxy: listening from construction until `close()`; `usage` is what goes into result.json."""

    def __init__(
        self,
        access: ModelAccess,
        meter: CostMeter | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        on_call: Callable[[str, ChatReply], None] | None = None,
    ) -> None:
        """`on_call` is called with (model, reply) after each counted call (the trial's event log)."""
        self.on_call = on_call
        settings = access.settings
        self.model = settings.model.value
        self.base_url = settings.base_url.value.rstrip("/")
        self.key_env = settings.api_key_env.value
        key = (os.environ if environ is None else environ).get(self.key_env)
        if not key:
            raise ModelError(f"no API key: set {self.key_env} or --api-key-env (the variable that holds the key)")
        self._key = key
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ModelError(f"--base-url {self.base_url!r} is not an http(s) URL: fix --base-url")
        self._parts = parts
        self.budget = Budget(access.limits, meter)
        self.refusal: str | None = None
        self.outage: str | None = None
        """The last failure of the model server itself (unreachable, 5xx, our key refused), if any: a trial that
        then fails is an infra_error, not the agent's loss."""
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(MAX_IN_FLIGHT)
        # A short path: a unix socket's path may not exceed 107 bytes, and the default temp folder can be long.
        self.folder = Path(tempfile.mkdtemp(prefix="benchsmith-model-", dir="/tmp" if Path("/tmp").is_dir() else None))
        try:
            self.folder.chmod(0o755)  # the sandbox's user is not ours
            forwarder = files("runner.llm").joinpath("_forward.py").read_text(encoding="utf-8")
            (self.folder / FORWARDER_NAME).write_text(forwarder, encoding="utf-8")
            self.socket = self.folder / SOCKET_NAME
            self._server = _Server(str(self.socket), _Handler)
            self.socket.chmod(0o777)  # connecting needs write permission on the socket
        except BaseException:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise
        self._server.proxy = self
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.1,), daemon=True)
        self._thread.start()

    @property
    def usage(self) -> Usage:
        with self._lock:
            return self.budget.usage

    def close(self) -> None:
        """Stop listening, wait (bounded) for calls in flight so their tokens are in `usage`, remove the socket."""
        self._server.shutdown()
        self._server.server_close()
        deadline = time.monotonic() + CLOSE_WAIT_S
        for _ in range(MAX_IN_FLIGHT):
            if not self._slots.acquire(timeout=max(0.0, deadline - time.monotonic())):
                break
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> ModelProxy:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def _record(self, input_tokens: int, output_tokens: int, usage_known: bool) -> None:
        # A stream whose endpoint sent no usage cost something unknown (free only on loopback).
        known = usage_known or is_loopback(self.base_url)
        cost = cost_usd(self.base_url, self.model, input_tokens, output_tokens) if known else None
        reply = ChatReply("", input_tokens, output_tokens, cost)
        with self._lock:
            self.budget.record(reply)
        if self.on_call is not None:
            self.on_call(self.model, reply)

    def _forward(self, handler: _Handler, request: dict[str, Any]) -> None:
        # Limits are checked before a call, so calls in flight can overshoot them: at most MAX_IN_FLIGHT calls.
        with self._slots:
            self._forward_one(handler, request)

    def _forward_one(self, handler: _Handler, request: dict[str, Any]) -> None:
        with self._lock:
            try:
                self.budget.step()
            except BudgetExceeded as exceeded:
                self.refusal = str(exceeded)
                message = f"benchsmith: {exceeded}; the trial may make no more model calls"
                handler._reply(429, _error_body(message, "insufficient_quota", "insufficient_quota"),
                               {"x-should-retry": "false"})  # fmt: skip
                return
            remaining = self.budget.remaining_s()
        request["model"] = self.model
        streaming = bool(request.get("stream"))
        wants_usage = False
        if streaming:
            options = request.get("stream_options")
            options = dict(options) if isinstance(options, dict) else {}
            wants_usage = bool(options.get("include_usage"))
            request["stream_options"] = {**options, "include_usage": True}
        timeout = DEFAULT_TIMEOUT_S if remaining is None else max(1.0, min(DEFAULT_TIMEOUT_S, remaining))
        parts = self._parts
        kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        connection = kind(parts.hostname or "", parts.port, timeout=timeout)
        headers = {"Content-Type": "application/json", "Accept": handler.headers.get("Accept") or "application/json",
                   "Authorization": f"Bearer {self._key}"}  # fmt: skip
        try:
            connection.request("POST", f"{parts.path}/chat/completions", json.dumps(request).encode(), headers)
            response = connection.getresponse()
            if streaming and response.status == 200:
                self._relay_stream(handler, response, wants_usage)
                return
            body = response.read()
        except (OSError, http.client.HTTPException) as error:
            message = f"benchsmith proxy: the model server at {self.base_url} failed: {type(error).__name__}: {error}"
            self.outage = f"{self.base_url} not reachable: {type(error).__name__}: {error}"
            handler._reply(502, _error_body(message, "api_error", "upstream_unreachable"))
            return
        finally:
            connection.close()
        if response.status == 200:
            try:
                usage = json.loads(body).get("usage") or {}
            except (ValueError, AttributeError):
                usage = {}
            self._record(int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0), bool(usage))
        elif response.status in (401, 403):
            message = f"the runner's key (${self.key_env}) was refused by {self.base_url}: fix it on the host"
            self.outage = message
            body = _error_body(message, "authentication_error", "runner_key_refused")
        elif response.status >= 500:
            self.outage = f"{self.base_url} failed with HTTP {response.status}"
        passed = {name: value for name, value in response.getheaders() if name.lower() in ("retry-after",)}
        handler._reply(response.status, body, passed)

    def _relay_stream(self, handler: _Handler, response: http.client.HTTPResponse, wants_usage: bool) -> None:
        """Pass server-sent events through as they come, reading the usage chunk (dropped if not asked for)."""
        handler.send_response(200)
        handler.send_header("Content-Type", response.getheader("Content-Type") or "text/event-stream")
        handler.send_header("Cache-Control", "no-cache")
        handler.end_headers()  # HTTP/1.0 and no length: the body ends when the connection closes
        tokens_in = tokens_out = 0
        seen = skip_blank = False
        client_gone = False
        try:
            for line in iter(response.readline, b""):
                if skip_blank and not line.strip():
                    skip_blank = False
                    continue
                if line.startswith(b"data:") and line[5:].strip() not in (b"", b"[DONE]"):
                    try:
                        chunk = json.loads(line[5:])
                    except ValueError:
                        chunk = None
                    usage = chunk.get("usage") if isinstance(chunk, dict) else None
                    if isinstance(usage, dict) and usage:
                        seen = True
                        tokens_in = int(usage.get("prompt_tokens") or 0)
                        tokens_out = int(usage.get("completion_tokens") or 0)
                        if not wants_usage and isinstance(chunk, dict) and not chunk.get("choices"):
                            skip_blank = True  # the usage-only chunk the agent did not ask for
                            continue
                if not client_gone:
                    try:
                        handler.wfile.write(line)
                        handler.wfile.flush()
                    except OSError:
                        client_gone = True  # keep reading: the tokens are spent and must be counted
        except (OSError, http.client.HTTPException):
            pass  # the server died mid-stream: the agent sees a cut stream, the tokens so far are counted
        finally:
            self._record(tokens_in, tokens_out, seen)
