"""Interoperability with other evaluation tools: benchsmith tasks and trials in Inspect, tasks in Harbor's layout
(docs/interop.md).

Nothing here is imported with `runner`: each tool's module imports that tool, so names load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._harbor import (
        HarborError,
        HarborExport,
        HarborImport,
        check_exportable,
        checkout_wheel,
        export_harbor,
        harbor_task_folders,
        import_harbor,
        import_harbor_tasks,
    )
    from ._inspect import InspectTaskError, benchsmith_scorer, benchsmith_task, default_solver
    from ._inspect_export import export_inspect_logs

_LAZY = {
    "._inspect": ("InspectTaskError", "benchsmith_scorer", "benchsmith_task", "default_solver"),
    "._inspect_export": ("export_inspect_logs",),
    "._harbor": (
        "HarborError",
        "HarborExport",
        "HarborImport",
        "check_exportable",
        "checkout_wheel",
        "export_harbor",
        "harbor_task_folders",
        "import_harbor",
        "import_harbor_tasks",
    ),
}
_MODULE_OF = {name: module for module, names in _LAZY.items() for name in names}


def __getattr__(name: str) -> object:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module, __name__), name)


__all__ = [
    "HarborError",
    "HarborExport",
    "HarborImport",
    "InspectTaskError",
    "benchsmith_scorer",
    "benchsmith_task",
    "check_exportable",
    "checkout_wheel",
    "default_solver",
    "export_harbor",
    "export_inspect_logs",
    "harbor_task_folders",
    "import_harbor",
    "import_harbor_tasks",
]
