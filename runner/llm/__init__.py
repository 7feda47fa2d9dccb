"""Model access for LLM agents: settings and where they came from, an OpenAI-protocol client, prices, budgets.

The API key itself is read from the environment variable the settings name, at the moment a client is made; it is
never stored in settings, results, logs or command lines.
"""

from runner._project import CONFIG_FILES

from ._budget import Budget, BudgetExceeded, CostMeter, Limits, batch_meter, set_batch_meter
from ._client import ChatReply, Message, ModelClient, ModelError, served_settings
from ._prices import Price, cost_usd, is_loopback, price_for
from ._proxy import FORWARDER_NAME, ModelAccess, ModelProxy, parse_limits
from ._settings import (
    DEFAULT_API_KEY_ENV,
    DEFAULT_BASE_URL,
    DEFAULT_MODEL,
    ENDPOINT_SOURCE,
    ModelMismatch,
    ModelSettings,
    Setting,
    reconcile_with_endpoint,
    resolve_settings,
)

__all__ = [
    "CONFIG_FILES",
    "DEFAULT_API_KEY_ENV",
    "DEFAULT_BASE_URL",
    "DEFAULT_MODEL",
    "ENDPOINT_SOURCE",
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
    "ModelMismatch",
    "ModelProxy",
    "ModelSettings",
    "Price",
    "Setting",
    "batch_meter",
    "cost_usd",
    "is_loopback",
    "parse_limits",
    "price_for",
    "reconcile_with_endpoint",
    "resolve_settings",
    "served_settings",
    "set_batch_meter",
]
