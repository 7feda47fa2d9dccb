"""`runner llm serve`: run the local OpenAI-compatible LLM (SmolLM2 via llama-cpp-python) in the foreground."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from ._app import EXIT_FAILED, EXIT_OK, command_group, stderr, stdout

# runner.llm_server's defaults, written out so that building the help does not import the server module (urllib,
# subprocess, ...); tests/runner/test_cli_startup.py keeps them equal.
DEFAULT_CHAT_FORMAT = "chatml"
DEFAULT_START_TIMEOUT = 60.0
DEFAULT_N_CTX = 8192

llm_app = command_group("llm", "Model settings, and a local OpenAI-compatible LLM for tests and offline use.")


@llm_app.command("config")
def config(
    model: Annotated[str | None, typer.Option(help="As `runner exec --model`.")] = None,
    base_url: Annotated[str | None, typer.Option(help="As `runner exec --base-url`.")] = None,
    api_key_env: Annotated[str | None, typer.Option(help="As `runner exec --api-key-env`.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show model, base_url and api_key_env as resolved (flag > env > ./benchsmith.toml or ./pyproject.toml
    [tool.benchsmith] > default), where each came from, whether the key is set (never the key) and the price."""
    # `python -m runner.llm config` under its `runner llm` name; mounted through this wrapper because importing
    # runner.llm loads the model client (openai), which `runner --help` must not pay for.
    from runner.llm._cli import config as show_model_settings

    show_model_settings(model=model, base_url=base_url, api_key_env=api_key_env, as_json=as_json)


@llm_app.command("serve")
def serve(
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free port).", min=0, max=65535)] = 8080,
    host: Annotated[str, typer.Option(help="Address to bind (0.0.0.0 exposes it to the network).")] = "127.0.0.1",
    chat_format: Annotated[
        str,
        typer.Option(
            help="llama-cpp-python chat format (the default honours response_format; chatml-function-calling "
            "supports tool calls)."
        ),
    ] = DEFAULT_CHAT_FORMAT,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the server to answer.")] = DEFAULT_START_TIMEOUT,
    n_ctx: Annotated[
        int,
        typer.Option("--n-ctx", help="Context window in tokens (the prompts of the llm agent need > 2,048).", min=512),
    ] = DEFAULT_N_CTX,
) -> None:
    """Serve SmolLM2-135M-Instruct on an OpenAI-compatible API until Ctrl-C (needs scripts/install-llm-server.sh)."""
    from runner.llm_server import LLMServerError, start_server

    try:
        server = start_server(port=port or None, host=host, chat_format=chat_format, timeout=timeout, n_ctx=n_ctx)
    except LLMServerError as exc:
        stderr.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(EXIT_FAILED) from exc
    try:
        stdout.print(f"serving {escape(server.model)} at {server.base_url} (pid {server.process.pid})", highlight=False)
        stdout.print("in another shell (Ctrl-C here stops the server):", highlight=False)
        exports = {"OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "local", "BENCHSMITH_MODEL": server.model}
        stdout.print("\n".join(f"  export {name}={value}" for name, value in exports.items()), highlight=False)
        status = server.wait()
    except KeyboardInterrupt:
        stdout.print("stopping")
        server.stop()
        raise typer.Exit(EXIT_OK) from None
    finally:
        server.stop()
    stderr.print(f"[bold red]error:[/] the LLM server exited with status {status}", highlight=False)
    raise typer.Exit(EXIT_FAILED)
