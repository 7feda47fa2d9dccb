"""The execution layer: checks that prepare the task and run code against it (`runner validate --execute`).

Each check is registered with `layer="execute"`; they share one prepared copy of the task per run (`kit_for`).
"""

from . import _layout, _leakage, _learnability, _metric_sanity, _preparation, _research, _submissions  # noqa: F401
from ._kit import Kit, kit_for

__all__ = ["Kit", "kit_for"]
