"""`palmerpenguins:<name>`: the Palmer Archipelago penguins, as shipped by the `palmerpenguins` package."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._registry import DatasetNames, dataset_provider

if TYPE_CHECKING:
    import pandas as pd


@dataset_provider(
    "palmerpenguins",
    package="palmerpenguins",
    description="Palmer penguins: `penguins` (344 rows, 8 tidy columns) and `penguins_raw` (17 original columns)",
)
class PalmerPenguins:
    """`load_penguins()` and `load_penguins_raw()`, unchanged (missing values kept)."""

    def list(self) -> DatasetNames:
        return ["penguins", "penguins_raw"]

    def load(self, name: str) -> pd.DataFrame:
        import palmerpenguins

        frame: pd.DataFrame = (
            palmerpenguins.load_penguins() if name == "penguins" else palmerpenguins.load_penguins_raw()
        )
        return frame
