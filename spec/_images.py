"""Image tasks: how a split's rows become image files that the agent reads from public/."""

from __future__ import annotations

from pydantic import Field, model_validator

from ._base import StrictModel
from ._fields import Slug


class ImageFiles(StrictModel):
    """Each row of the split's table is one image, written as `public/train/<id>.png` or `public/test/<id>.png`.

    The images come either from pixel columns of the table (`pixels` and `shape`: a packaged dataset such as
    `sklearn:digits`) or from a zip archive source whose members the table names (`archive` and `file_column`:
    a folder of image files with a labels table). Public tables keep only the id and, in train, the target.
    """

    pixels: str | None = Field(
        default=None,
        min_length=1,
        description="Prefix of the pixel columns, which are taken in the table's order as row-major pixels "
        "(`pixel_` for `pixel_0`, `pixel_1`, ... or `pixel_0_0`, `pixel_0_1`, ...).",
    )
    shape: tuple[int, int] | None = Field(
        default=None, description="Height and width of a pixel-column image; their product is the column count."
    )
    max_value: float | None = Field(
        default=None, gt=0, description="The pixel value shown as white (e.g. 16 for digits, 255 for MNIST)."
    )
    archive: Slug | None = Field(default=None, description="Source (a zip file) that holds the image files.")
    file_column: str | None = Field(
        default=None, min_length=1, description="Column of the table naming each row's image inside the archive."
    )

    @model_validator(mode="after")
    def _one_origin(self) -> ImageFiles:
        from_pixels = self.pixels is not None or self.shape is not None or self.max_value is not None
        from_archive = self.archive is not None or self.file_column is not None
        if from_pixels == from_archive:
            raise ValueError("images need either pixels, shape and max_value, or archive and file_column")
        if from_pixels and (self.pixels is None or self.shape is None or self.max_value is None):
            raise ValueError("pixel images need all of pixels, shape and max_value")
        if from_archive and (self.archive is None or self.file_column is None):
            raise ValueError("archive images need both archive and file_column")
        if self.shape is not None and min(self.shape) < 1:
            raise ValueError("shape needs a positive height and width")
        return self
