"""`runner llm config`: the resolved model settings and where each came from (register `llm_app` on the CLI)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ._prices import price_for
from ._settings import resolve_settings

llm_app = typer.Typer(name="llm", help="Model access for the llm/gpt agents.", no_args_is_help=True)


@llm_app.callback()
def _group() -> None:
    """Model access for the llm/gpt agents."""


@llm_app.command("config")
def config(
    model: Annotated[str | None, typer.Option(help="As `runner exec --model`.")] = None,
    base_url: Annotated[str | None, typer.Option(help="As `runner exec --base-url`.")] = None,
    api_key_env: Annotated[str | None, typer.Option(help="As `runner exec --api-key-env`.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Show model, base_url and api_key_env as resolved (flag > env > ./benchsmith.toml or ./pyproject.toml
    [tool.benchsmith] > default), where each came from, whether the key is set (never the key) and the price."""
    settings = resolve_settings({"model": model, "base_url": base_url, "api_key_env": api_key_env})
    shown = settings.describe()
    price = price_for(settings.base_url.value, settings.model.value)
    shown["price_usd_per_mtok"] = {
        "value": "unknown" if price is None else f"{price.input:g} in / {price.output:g} out",
        "source": "runner/llm/prices.toml",
    }
    if as_json:
        typer.echo(json.dumps(shown, indent=2))
        return
    for name, entry in shown.items():
        typer.echo(f"{name:20} {entry['value']:40} ({entry['source']})")
