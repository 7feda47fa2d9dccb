"""What a task is: the manifest models (the source of truth), its JSON Schema, the YAML loader, the digest.

Everything persisted by benchsmith derives from `StrictModel`. A manifest is loaded with `load_task`, which
never raises on bad content: it returns a `LoadedTask` whose `problems` say where and what to fix.
"""

from ._base import StrictModel
from ._catalogue import (
    TaskNotFoundError,
    default_tasks_dir,
    find_manifests,
    installed_catalogue,
    iter_manifests,
    resolve_task,
)
from ._digest import task_digest, task_files
from ._entrypoints import entrypoint_root, import_entrypoint
from ._fields import duration_seconds
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

__all__ = [
    "HINT_LEVELS",
    "LOADER_CODES",
    "MANIFEST_ADAPTER",
    "SCHEMA_PATH",
    "SCHEMA_VERSION",
    "TOKEN_BYTES",
    "AnyTask",
    "Baseline",
    "CompetitionTask",
    "DeclarativePrepare",
    "EntrypointMetric",
    "EntrypointPrepare",
    "Environment",
    "FileSource",
    "GeneratorInfo",
    "HintSelection",
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
    "TaskManifest",
    "TaskNotFoundError",
    "TaskPathError",
    "UpstreamHints",
    "UrlSource",
    "ValidationSettings",
    "default_tasks_dir",
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
    "task_digest",
    "task_file",
    "task_files",
    "write_schema",
]
