"""Make new tasks from raw data: a profiler-driven generator (no model) and an LLM pipeline (`generators.llm`).

`generate(references, out)` runs the stages profile → propose → design → verify over packaged datasets; each
stage is also a function of its own with pydantic outputs: `profile_table`, `propose`, `design`, `verify`.
`generate_series` makes one time-series classification task per UCR/UEA problem of the `aeon` provider.
Only tasks that pass `validators` (static and execution layers) are kept.
"""

from ._catalogue import CatalogueStats, catalogue_readme, catalogue_stats, reject_tasks, write_catalogue_readme
from ._design import GENERATOR_NAME, GENERATOR_VERSION, TaskDesign, design, license_text, slugify, task_id
from ._generate import (
    LOG_FILE,
    DatasetRecord,
    GenerationLog,
    GenerationReport,
    Rejection,
    generate,
    stage_counts,
)
from ._images import (
    IMAGE_GENERATOR_NAME,
    ImageFolderError,
    design_image_folder,
    generate_image_folders,
    is_image_folder,
    merge_reports,
)
from ._profile import ColumnProfile, TableProfile, TargetCandidate, profile_table
from ._propose import TaskProposal, propose
from ._series import SERIES_GENERATOR_NAME, SERIES_PROVIDER, design_series, generate_series
from ._solution import solution_text
from ._verify import Verdict, reference_score, remove_task, verify, write_task

__all__ = [
    "GENERATOR_NAME",
    "GENERATOR_VERSION",
    "IMAGE_GENERATOR_NAME",
    "LOG_FILE",
    "SERIES_GENERATOR_NAME",
    "SERIES_PROVIDER",
    "CatalogueStats",
    "ColumnProfile",
    "DatasetRecord",
    "GenerationLog",
    "GenerationReport",
    "ImageFolderError",
    "Rejection",
    "TableProfile",
    "TargetCandidate",
    "TaskDesign",
    "TaskProposal",
    "Verdict",
    "catalogue_readme",
    "catalogue_stats",
    "design",
    "design_image_folder",
    "design_series",
    "generate",
    "generate_image_folders",
    "generate_series",
    "is_image_folder",
    "license_text",
    "merge_reports",
    "profile_table",
    "propose",
    "reference_score",
    "reject_tasks",
    "remove_task",
    "slugify",
    "solution_text",
    "stage_counts",
    "task_id",
    "verify",
    "write_catalogue_readme",
    "write_task",
]
