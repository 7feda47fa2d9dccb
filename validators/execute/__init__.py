"""The execution layer: checks that prepare the task and run code against it (`runner validate --execute`).

Each check is registered with `layer="execute"`; they share one prepared copy of the task per run (`kit_for`).
The check modules import the runner's preparation and grading (and numpy, pandas) inside their bodies, so
registering them costs static validation nothing.
"""

from typing import TYPE_CHECKING, Any

from . import (  # noqa: F401
    _audio_leaks,
    _duplicates,
    _groups,
    _image_leaks,
    _layout,
    _leakage,
    _learnability,
    _metric_sanity,
    _preparation,
    _research,
    _sample_columns,
    _shortcuts,
    _significance,
    _submissions,
    _target_sanity,
    _text_leaks,
)
from ._duplicates import task_fingerprint
from ._groups import UnitColumn, unit_columns

if TYPE_CHECKING:
    from ._kit import Kit, kit_for

__all__ = ["Kit", "UnitColumn", "kit_for", "task_fingerprint", "unit_columns"]


def __getattr__(name: str) -> Any:
    # The kit imports preparation, grading and numpy: only when asked for.
    if name in ("Kit", "kit_for"):
        from . import _kit

        return getattr(_kit, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
