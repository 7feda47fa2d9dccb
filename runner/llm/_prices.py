"""What a call costs: prices.toml keyed by (endpoint host, model); loopback is free; unknown pairs are None."""

from __future__ import annotations

import ipaddress
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from urllib.parse import urlsplit

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


@dataclass(frozen=True)
class Price:
    """US dollars per one million input and output tokens."""

    input: float
    output: float


@cache
def _prices() -> dict[tuple[str, str], Price]:
    data = tomllib.loads(files("runner.llm").joinpath("prices.toml").read_text(encoding="utf-8"))
    return {
        (str(row["host"]).lower(), str(row["model"])): Price(float(row["input"]), float(row["output"]))
        for row in data.get("price", [])
    }


def _host(base_url: str) -> str:
    return (urlsplit(base_url).hostname or "").lower()


def is_loopback(base_url: str) -> bool:
    """Whether the endpoint is this machine: 127.0.0.0/8, ::1 or localhost."""
    host = _host(base_url)
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def price_for(base_url: str, model: str) -> Price | None:
    """The price of `model` at this endpoint: 0 on loopback, None when the pair is not in prices.toml."""
    if is_loopback(base_url):
        return Price(0.0, 0.0)
    return _prices().get((_host(base_url), model))


def cost_usd(base_url: str, model: str, input_tokens: int, output_tokens: int) -> float | None:
    """Dollars for one call, or None when the price is unknown."""
    price = price_for(base_url, model)
    if price is None:
        return None
    return (input_tokens * price.input + output_tokens * price.output) / 1_000_000
