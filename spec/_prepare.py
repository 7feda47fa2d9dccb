"""How raw sources become the public and private data of a task."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Discriminator, Field, Tag, model_validator

from ._audio import AudioFiles
from ._base import StrictModel, key_discriminator
from ._fields import EntryPoint, Slug, TaskPath, import_path_field
from ._images import ImageFiles

SplitMethod = Literal["random", "stratified", "group", "time"]


class Split(StrictModel):
    """A declarative train/test split of one source table."""

    method: SplitMethod = Field(
        description="random: uniform; stratified: keeps the target's class shares; group: no group on both sides; "
        "time: test rows come after train rows."
    )
    target: str = Field(min_length=1, description="Column(s) the agent must predict; removed from public test data.")
    test_size: float = Field(default=0.25, gt=0, lt=1, description="Share of rows held out for the test set.")
    seed: int = Field(default=0, ge=0, description="Seed of the split's random generator.")
    source: Slug | None = Field(default=None, description="Source to split; defaults to the only source.")
    id_column: str | None = Field(
        default=None,
        description="Existing column that identifies a row; when absent an `id` column is created.",
    )
    group_column: str | None = Field(
        default=None,
        description="Column whose values never straddle the split; listed in drop_columns too, it decides the split "
        "and is then removed (a unit's key that is no feature).",
    )
    time_column: str | None = Field(default=None, description="Column ordering rows in time.")
    drop_columns: list[str] = Field(
        default_factory=list, description="Columns removed before splitting (leaky or irrelevant)."
    )
    images: ImageFiles | None = Field(
        default=None,
        description="Rows are images: written as files under public/train/ and public/test/, the tables keep "
        "only the id and the target.",
    )
    audio: AudioFiles | None = Field(
        default=None,
        description="Rows are audio clips: written as WAV files under public/train/ and public/test/, the tables "
        "keep only the id and the target.",
    )

    @model_validator(mode="after")
    def _method_columns(self) -> Split:
        if self.method == "group" and not self.group_column:
            raise ValueError("method 'group' needs group_column")
        if self.method == "time" and not self.time_column:
            raise ValueError("method 'time' needs time_column")
        if self.group_column and self.method != "group":
            raise ValueError("group_column is only used by method 'group'")
        if self.time_column and self.method != "time":
            raise ValueError("time_column is only used by method 'time'")
        if self.images is not None and self.audio is not None:
            raise ValueError("a split's rows are images or audio clips, not both")
        return self


class DeclarativePrepare(StrictModel):
    """Preparation by a built-in splitter; no task code runs."""

    split: Split = Field(description="The split that produces public train/test and private answers.")


class ScriptPrepare(StrictModel):
    """Preparation by a script of the task that defines `prepare(raw, public, private)`."""

    script: TaskPath = Field(description="Python file defining `prepare(raw, public, private)`.")


class EntrypointPrepare(StrictModel):
    """Preparation by a function of an installed package, `prepare(raw, public, private)`."""

    entrypoint: EntryPoint = Field(description="`module:function` with the signature `(raw, public, private)`.")
    import_path: str | None = import_path_field()


Prepare = Annotated[
    Annotated[DeclarativePrepare, Tag("prepare:split")]
    | Annotated[ScriptPrepare, Tag("prepare:script")]
    | Annotated[EntrypointPrepare, Tag("prepare:entrypoint")],
    Discriminator(
        key_discriminator("prepare", "split", "script", "entrypoint"),
        custom_error_type="prepare_kind",
        custom_error_message="prepare needs exactly one of the keys split, script or entrypoint",
    ),
]
