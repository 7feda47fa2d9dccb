"""Audio tasks: how a split's rows become audio files that the agent reads from public/."""

from __future__ import annotations

from pydantic import Field

from ._base import StrictModel
from ._fields import Slug


class AudioFiles(StrictModel):
    """Each row of the split's table is one audio clip, written as `public/train/<id>.wav` or `public/test/<id>.wav`
    (16-bit PCM WAV, no metadata).

    The clips come either from a zip archive source whose members the table names (`archive`: a folder of audio
    files with a labels table), or, without `archive`, are synthesised from the split's packaged speech corpus
    (`espeak:<name>`), each checked against the table's `sha256` column. Public tables keep only the id and, in
    train, the target.
    """

    file_column: str = Field(min_length=1, description="Column of the table naming each row's audio file.")
    archive: Slug | None = Field(
        default=None,
        description="Source (a zip file) that holds the audio files; absent, the split's source is a packaged "
        "speech corpus whose rows are synthesised.",
    )
