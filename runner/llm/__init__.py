"""Model access for LLM agents: settings and where they came from, an OpenAI-protocol client, prices, budgets.

The API key itself is read from the environment variable the settings name, at the moment a client is made; it is
never stored in settings, results, logs or command lines.
"""

from ._budget import Budget, BudgetExceeded, CostMeter, Limits, batch_meter, set_batch_meter
from ._client import ChatReply, Message, ModelClient, ModelError
from ._prices import Price, cost_usd, is_loopback, price_for
from ._proxy import FORWARDER_NAME, ModelAccess, ModelProxy, parse_limits
from ._settings import (
    CONFIG_FILES,
    DEFAULT_API_KEY_ENV,
    DEFAULT_BASE_URL,
    DEFAULT_MODEL,
    ModelSettings,
    Setting,
    resolve_settings,
)

__all__ = [
    "CONFIG_FILES",
    "DEFAULT_API_KEY_ENV",
    "DEFAULT_BASE_URL",
    "DEFAULT_MODEL",
    "FORWARDER_NAME",
    "Budget",
    "BudgetExceeded",
    "ChatReply",
    "CostMeter",
    "Limits",
    "Message",
    "ModelAccess",
    "ModelClient",
    "ModelError",
    "ModelProxy",
    "ModelSettings",
    "Price",
    "Setting",
    "batch_meter",
    "cost_usd",
    "is_loopback",
    "parse_limits",
    "price_for",
    "resolve_settings",
    "set_batch_meter",
]
