"""What a task is: the manifest models (the source of truth), its JSON Schema, the YAML loader, the digest.

Everything persisted by benchsmith derives from `StrictModel`. A manifest is loaded with `load_task`, which
never raises on bad content: it returns a `LoadedTask` whose `problems` say where and what to fix.
"""

import importlib
from typing import TYPE_CHECKING

from ._catalogue import (
    TaskNotFoundError,
    default_tasks_dir,
    find_manifests,
    installed_catalogue,
    iter_manifests,
    resolve_task,
)
from ._entrypoints import entrypoint_root, import_entrypoint
from ._targets import DESIGN_NAMES, IDENTIFIER_NAMES, SENSITIVE_WORDS, TargetConcern, derived_target, target_concern

if TYPE_CHECKING:
    from ._audio import AudioFiles
    from ._base import StrictModel
    from ._digest import task_digest, task_files
    from ._fields import duration_seconds
    from ._images import ImageFiles
    from ._loader import LOADER_CODES, AnyTask, LoadedTask, format_field_path, load_task, parse_manifest
    from ._manifest import (
        MANIFEST_ADAPTER,
        SCHEMA_VERSION,
        Baseline,
        CompetitionTask,
        GeneratorInfo,
        Leaderboard,
        Provenance,
        ResearchTask,
        SpeedrunRecord,
        SpeedrunTarget,
        SpeedrunTask,
        Submission,
        Tags,
        TaskManifest,
        ValidationSettings,
    )
    from ._metric import EntrypointMetric, Metric, NamedMetric, ScriptMetric
    from ._paths import TaskPathError, task_file
    from ._prepare import DeclarativePrepare, EntrypointPrepare, Prepare, ScriptPrepare, Split
    from ._problems import Problem, Severity, has_errors
    from ._research import ResearchArtefact, ResearchEvaluation
    from ._resources import Environment, Resources
    from ._schema import SCHEMA_PATH, generate_schema, load_committed_schema, schema_is_current, write_schema
    from ._sources import FileSource, KaggleSource, PackagedSource, Source, UrlSource
    from ._speedrun import (
        HINT_LEVELS,
        TOKEN_BYTES,
        HintSelection,
        ScriptUrl,
        SpeedrunHardware,
        SpeedrunHints,
        SpeedrunInvariants,
        SpeedrunProtocol,
        SpeedrunValidation,
        UpstreamHints,
    )
    from ._task import Modality, ProblemType

# The models and the loader import pydantic and ruamel and build every model's validator (about 0.3 s): they
# load on first use, so that finding manifests (`runner list` reading its index) costs none of it.
_LAZY_NAMES = {
    "._base": ("StrictModel",),
    "._digest": ("task_digest", "task_files"),
    "._fields": ("duration_seconds",),
    "._loader": ("LOADER_CODES", "AnyTask", "LoadedTask", "format_field_path", "load_task", "parse_manifest"),
    "._manifest": (
        "MANIFEST_ADAPTER",
        "SCHEMA_VERSION",
        "Baseline",
        "CompetitionTask",
        "GeneratorInfo",
        "Leaderboard",
        "Provenance",
        "ResearchTask",
        "SpeedrunRecord",
        "SpeedrunTarget",
        "SpeedrunTask",
        "Submission",
        "Tags",
        "TaskManifest",
        "ValidationSettings",
    ),
    "._audio": ("AudioFiles",),
    "._images": ("ImageFiles",),
    "._metric": ("EntrypointMetric", "Metric", "NamedMetric", "ScriptMetric"),
    "._paths": ("TaskPathError", "task_file"),
    "._prepare": ("DeclarativePrepare", "EntrypointPrepare", "Prepare", "ScriptPrepare", "Split"),
    "._problems": ("Problem", "Severity", "has_errors"),
    "._research": ("ResearchArtefact", "ResearchEvaluation"),
    "._resources": ("Environment", "Resources"),
    "._schema": ("SCHEMA_PATH", "generate_schema", "load_committed_schema", "schema_is_current", "write_schema"),
    "._sources": ("FileSource", "KaggleSource", "PackagedSource", "Source", "UrlSource"),
    "._speedrun": (
        "HINT_LEVELS",
        "TOKEN_BYTES",
        "HintSelection",
        "ScriptUrl",
        "SpeedrunHardware",
        "SpeedrunHints",
        "SpeedrunInvariants",
        "SpeedrunProtocol",
        "SpeedrunValidation",
        "UpstreamHints",
    ),
    "._task": ("Modality", "ProblemType"),
}
_LAZY = {name: module for module, names in _LAZY_NAMES.items() for name in names}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "DESIGN_NAMES",
    "HINT_LEVELS",
    "IDENTIFIER_NAMES",
    "LOADER_CODES",
    "MANIFEST_ADAPTER",
    "SCHEMA_PATH",
    "SCHEMA_VERSION",
    "SENSITIVE_WORDS",
    "TOKEN_BYTES",
    "AnyTask",
    "AudioFiles",
    "Baseline",
    "CompetitionTask",
    "DeclarativePrepare",
    "EntrypointMetric",
    "EntrypointPrepare",
    "Environment",
    "FileSource",
    "GeneratorInfo",
    "HintSelection",
    "ImageFiles",
    "KaggleSource",
    "Leaderboard",
    "LoadedTask",
    "Metric",
    "Modality",
    "NamedMetric",
    "PackagedSource",
    "Prepare",
    "Problem",
    "ProblemType",
    "Provenance",
    "ResearchArtefact",
    "ResearchEvaluation",
    "ResearchTask",
    "Resources",
    "ScriptMetric",
    "ScriptPrepare",
    "ScriptUrl",
    "Severity",
    "Source",
    "SpeedrunHardware",
    "SpeedrunHints",
    "SpeedrunInvariants",
    "SpeedrunProtocol",
    "SpeedrunRecord",
    "SpeedrunTarget",
    "SpeedrunTask",
    "SpeedrunValidation",
    "Split",
    "StrictModel",
    "Submission",
    "Tags",
    "TargetConcern",
    "TaskManifest",
    "TaskNotFoundError",
    "TaskPathError",
    "UpstreamHints",
    "UrlSource",
    "ValidationSettings",
    "default_tasks_dir",
    "derived_target",
    "duration_seconds",
    "entrypoint_root",
    "find_manifests",
    "format_field_path",
    "generate_schema",
    "has_errors",
    "import_entrypoint",
    "installed_catalogue",
    "iter_manifests",
    "load_committed_schema",
    "load_task",
    "parse_manifest",
    "resolve_task",
    "schema_is_current",
    "target_concern",
    "task_digest",
    "task_file",
    "task_files",
    "write_schema",
]
