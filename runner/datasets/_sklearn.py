"""`sklearn:<name>`: the small datasets bundled with scikit-learn (the `fetch_*` ones need the network)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._registry import DatasetNames, dataset_provider

if TYPE_CHECKING:
    import pandas as pd

# name -> (loader in sklearn.datasets, keyword arguments)
_BUNDLED: dict[str, tuple[str, dict[str, bool]]] = {
    "breast_cancer": ("load_breast_cancer", {}),
    "diabetes": ("load_diabetes", {}),
    "diabetes_raw": ("load_diabetes", {"scaled": False}),
    "digits": ("load_digits", {}),
    "iris": ("load_iris", {}),
    "linnerud": ("load_linnerud", {}),
    "wine": ("load_wine", {}),
}

_DOWNLOADED = (
    "20newsgroups",
    "20newsgroups_vectorized",
    "california_housing",
    "covtype",
    "kddcup99",
    "lfw_pairs",
    "lfw_people",
    "olivetti_faces",
    "openml",
    "rcv1",
    "species_distributions",
)


@dataset_provider(
    "sklearn",
    package="sklearn",
    pip="scikit-learn",
    description="scikit-learn's bundled toy datasets; features plus a `target` column (`target_<name>` for "
    "linnerud's three targets); `diabetes` is mean-centred and scaled, `diabetes_raw` is not",
    network_only={name: f"scikit-learn downloads it (`sklearn.datasets.fetch_{name}`)" for name in _DOWNLOADED},
)
class SklearnDatasets:
    """scikit-learn's `load_*(as_frame=True).frame`: the features and the integer or float `target`."""

    def list(self) -> DatasetNames:
        return sorted(_BUNDLED)

    def load(self, name: str) -> pd.DataFrame:
        from sklearn import datasets

        loader, kwargs = _BUNDLED[name]
        bunch = getattr(datasets, loader)(as_frame=True, **kwargs)
        frame: pd.DataFrame = bunch.frame
        if name == "linnerud":  # the only multi-output one: its targets would be indistinguishable from features
            frame = frame.rename(columns={target: f"target_{target}" for target in bunch.target_names})
        return frame
