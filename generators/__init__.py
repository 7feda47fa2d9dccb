"""Make new tasks from raw data: a profiler-driven generator (no model) and an LLM pipeline (`generators.llm`).

`generate(references, out)` runs the stages profile → propose → design → verify over packaged datasets; each
stage is also a function of its own with pydantic outputs: `profile_table`, `propose`, `design`, `verify`.
`generate_series` makes one time-series classification task per UCR/UEA problem of the `aeon` provider;
`generate_text` makes NLP tasks from tables with a document column (tweets, reviews, incident reports);
`generate_ranking` makes MAP@k shortlist tasks from categories of too many classes to predict one.
Only tasks that pass `validators` (static and execution layers) are kept.
"""

from ._audio import (
    AUDIO_GENERATOR_NAME,
    SPEECH_PROVIDER,
    design_audio_folder,
    design_speech,
    generate_audio_folders,
    generate_speech,
    is_audio_folder,
)
from ._catalogue import (
    CatalogueStats,
    catalogue_readme,
    catalogue_stats,
    merge_catalogues,
    reject_tasks,
    write_catalogue_readme,
)
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
from ._ranking import RANKING_GENERATOR_NAME, generate_ranking
from ._series import SERIES_GENERATOR_NAME, SERIES_PROVIDER, design_series, generate_series
from ._solution import solution_text
from ._text import TEXT_GENERATOR_NAME, TextProposal, document_column, generate_text, propose_text
from ._verify import Verdict, reference_score, remove_task, verify, write_task

__all__ = [
    "AUDIO_GENERATOR_NAME",
    "GENERATOR_NAME",
    "GENERATOR_VERSION",
    "IMAGE_GENERATOR_NAME",
    "LOG_FILE",
    "RANKING_GENERATOR_NAME",
    "SERIES_GENERATOR_NAME",
    "SERIES_PROVIDER",
    "SPEECH_PROVIDER",
    "TEXT_GENERATOR_NAME",
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
    "TextProposal",
    "Verdict",
    "catalogue_readme",
    "catalogue_stats",
    "design",
    "design_audio_folder",
    "design_image_folder",
    "design_series",
    "design_speech",
    "document_column",
    "generate",
    "generate_audio_folders",
    "generate_image_folders",
    "generate_ranking",
    "generate_series",
    "generate_speech",
    "generate_text",
    "is_audio_folder",
    "is_image_folder",
    "license_text",
    "merge_catalogues",
    "merge_reports",
    "profile_table",
    "propose",
    "propose_text",
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
